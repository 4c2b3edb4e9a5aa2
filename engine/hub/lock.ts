import { mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from './cache.js';

/**
 * A lock file held while one download writes a blob's `.incomplete`, so two downloads of the same
 * file — in this process, another process, or another machine sharing the cache — never append to
 * it at once. Created with O_EXCL; it says who holds it and is touched while held, so a lock left
 * by a crashed process is recognised (dead pid on this host, or not touched for a while) and broken.
 */

const POLL_MS = 50;
const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;

export interface FileLock {
  release(): Promise<void>;
}

/** Waits for the lock (polling) until it is free, or the signal aborts. */
export async function acquireLock(file: string, signal?: AbortSignal): Promise<FileLock> {
  for (;;) {
    signal?.throwIfAborted();
    const held = await tryLock(file);
    if (held !== null) return held;
    await sleep(POLL_MS, undefined, { signal });
  }
}

/** Takes the lock if nobody holds it (breaking a stale one), else null. */
export async function tryLock(file: string): Promise<FileLock | null> {
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }));
      } finally {
        await handle.close();
      }
      return held(file);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      if (!(await isStale(file))) return null;
      await breakLock(file);
    }
  }
  return null;
}

function held(file: string): FileLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      await unlink(file).catch(() => undefined);
    },
  };
}

async function isStale(file: string): Promise<boolean> {
  let owner: { pid?: unknown; host?: unknown } = {};
  let modified: number;
  try {
    modified = (await stat(file)).mtimeMs;
    owner = JSON.parse(await readFile(file, 'utf8')) as typeof owner;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false; // released meanwhile: just try again
    if (!(error instanceof SyntaxError)) throw error;
    // Half written by an owner starting right now, or by one that died mid-write: judged by age.
    modified = (await stat(file).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
  }
  if (owner.host === hostname() && typeof owner.pid === 'number' && !isAlive(owner.pid)) return true;
  return Date.now() - modified > STALE_MS;
}

/**
 * Moves the stale lock aside before deleting it: of two processes that judged it stale at the
 * same moment only one rename succeeds, which narrows (without closing) the window in which one
 * of them could remove the fresh lock the other just took.
 */
async function breakLock(file: string): Promise<void> {
  const aside = `${file}.${process.pid}.${Date.now()}.stale`;
  try {
    await rename(file, aside);
    await unlink(aside);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM'; // exists, but belongs to another user
  }
}
