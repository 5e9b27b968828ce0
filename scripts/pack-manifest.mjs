// Keeps the repository's `prepare` script (the build that `npm ci` runs here) out of the packed
// package.json, so installing the tarball runs nothing. `prepack` runs `strip`, which renames
// the key to `_prepare`, a name npm never runs; `postpack` runs `restore`. The rename edits
// that one key in place, leaving the rest of the file byte for byte as it was.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const manifest = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json');

/** The key each step looks for, and the key it leaves in its place. */
const STEPS = {
  strip: ['"prepare":', '"_prepare":'],
  restore: ['"_prepare":', '"prepare":'],
};

const step = process.argv[2];
if (!(step in STEPS)) {
  console.error(`pack-manifest: expected 'strip' or 'restore', got ${JSON.stringify(step)}`);
  process.exit(2);
}
const [from, to] = STEPS[step];
const text = readFileSync(manifest, 'utf8');
const key = new RegExp(`^(\\s*)${from}`, 'm');
// Already done (e.g. a pack that failed before `postpack`): nothing to change.
if (key.test(text)) writeFileSync(manifest, text.replace(key, `$1${to}`));
