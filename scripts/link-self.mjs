// Links node_modules/relief to the repository root, so the workspace packages' compiled code
// (packages/*/dist) finds the library by its package name, as it does once installed from npm.
// The packages name `relief` as an optional peer dependency, which npm does not install.
import { lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const link = join(root, 'node_modules', 'relief');
mkdirSync(dirname(link), { recursive: true });
try {
  lstatSync(link);
} catch {
  symlinkSync('..', link, 'dir');
}
