/**
 * Seeds the backend's generators before every test from the test's own full name, so a test's
 * random draws never depend on which tests ran before it or in what order.
 */
import { beforeEach } from 'vitest';
import { setSeed } from '../../backends/index.js';

/** A 31-bit FNV-1a hash of `text`: a stable, well-spread seed for a name. */
export function seedFromName(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & 0x7fffffff;
}

beforeEach((context) => {
  const names: string[] = [];
  for (let task: { name: string; suite?: unknown } | undefined = context.task; task; ) {
    names.unshift(task.name);
    task = task.suite as { name: string; suite?: unknown } | undefined;
  }
  setSeed(seedFromName(names.join(' > ')));
});
