/**
 * Exclusive locks between processes on one path (`<path>.lock`, created with O_EXCL and
 * holding the owner's pid), so that two processes saving to one model directory take turns.
 * A lock whose process has died (e.g. killed mid-save) is taken over.
 */
import { DataError } from '../errors/index.js';

/** How long {@link withFileLock} waits for another process's save by default. */
export const LOCK_TIMEOUT_MS = 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a lock file, or undefined when it cannot be read (being written, or gone). */
async function ownerOf(lock: string): Promise<number | undefined> {
  const fs = await import('node:fs');
  try {
    const pid = Number.parseInt(await fs.promises.readFile(lock, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds since the lock file was last written (0 when it is gone). */
async function ageOf(lock: string): Promise<number> {
  const fs = await import('node:fs');
  const stat = await fs.promises.stat(lock).catch(() => undefined);
  return stat ? Date.now() - stat.mtimeMs : 0;
}

/** A lock file still without a pid this long after it was made belongs to a process killed in between. */
const UNWRITTEN_LOCK_MS = 5_000;

/**
 * Runs `action` holding the lock on `path`, waiting for other holders (polling) up to `timeoutMs`.
 * @throws DataError naming the process that holds the lock, after the timeout
 */
export async function withFileLock<T>(path: string, action: () => Promise<T>, timeoutMs = LOCK_TIMEOUT_MS): Promise<T> {
  const fs = await import('node:fs');
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  for (;;) {
    try {
      const handle = await fs.promises.open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await ownerOf(lock);
    const abandoned = owner === undefined && (await ageOf(lock)) > UNWRITTEN_LOCK_MS;
    if (abandoned || (owner !== undefined && !alive(owner))) {
      // The owner died holding it: take it over (a rename is atomic, so one process wins).
      const claim = `${lock}.stale-${process.pid}`;
      await fs.promises.rename(lock, claim).catch(() => undefined);
      await fs.promises.rm(claim, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new DataError(
        `save: ${path} is locked by process ${owner ?? '(unknown)'} (${lock}) for over ${timeoutMs} ms; delete the lock file if that process is gone`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 100);
  }
  try {
    return await action();
  } finally {
    await fs.promises.rm(lock, { force: true });
  }
}
