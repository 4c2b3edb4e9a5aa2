import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { HubCache } from './cache.js';
import type { FileMeta, HubClient, OpenedFile } from './client.js';
import { HubError } from './errors.js';
import { describeCause } from './http.js';
import { acquireLock, tryLock, type FileLock } from './lock.js';
import type { RepoRef } from './repo.js';

/**
 * Brings one file's blob into the cache: streamed to `blobs/{etag}.incomplete` under a lock,
 * resumed with a Range request when an earlier attempt left part of it, checked (size, and sha256
 * when the ETag is one: LFS files), then renamed into place so readers only ever see whole blobs.
 */

export interface BlobJob {
  readonly client: HubClient;
  readonly cache: HubCache;
  readonly repo: RepoRef;
  /** The revision put in the URL: as given, like huggingface_hub (the answer says the commit). */
  readonly revision: string;
  readonly path: string;
  readonly signal?: AbortSignal;
  /** Bytes of the file now on disk, and its whole size (0 when the hub did not say). */
  readonly onProgress?: (bytes: number, total: number) => void;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Downloads the blob unless it is cached; resolves with the file's metadata once it is. */
export async function downloadBlob(job: BlobJob): Promise<FileMeta> {
  const { client, cache, repo } = job;
  const first = await client.openFile(repo, job.revision, job.path, 0, job.signal);
  const meta = first.meta;
  if (await cache.hasBlob(repo, meta.etag)) {
    await abandon(first);
    return meta;
  }
  const lockFile = cache.lockPath(repo, meta.etag);
  let lock: FileLock | null = await tryLock(lockFile);
  let opened: OpenedFile | null = first;
  if (lock === null) {
    // Someone else writes this blob: wait without holding a connection open meanwhile.
    await abandon(first);
    opened = null;
    lock = await acquireLock(lockFile, job.signal);
  }
  try {
    if (await cache.hasBlob(repo, meta.etag)) {
      if (opened !== null) await abandon(opened);
      return meta;
    }
    await fillBlob(job, meta, opened);
    return meta;
  } finally {
    await lock.release();
  }
}

async function fillBlob(job: BlobJob, meta: FileMeta, first: OpenedFile | null): Promise<void> {
  const { client, cache, repo } = job;
  const context = client.context(repo, job.path);
  const incomplete = cache.incompletePath(repo, meta.etag);
  await mkdir(path.dirname(incomplete), { recursive: true });
  let offset = await sizeOf(incomplete);
  if (meta.size !== null && offset > meta.size) offset = await restart(incomplete);
  let opened = first;
  if (offset > 0 && opened !== null) {
    await abandon(opened);
    opened = null;
  }
  if (offset > 0 && offset === meta.size) {
    // A previous run got every byte but stopped before the rename: check what is there.
    const hash = await hashPrefix(incomplete, meta.etag);
    if (verify(meta, offset, hash) === null) {
      await rename(incomplete, cache.blobPath(repo, meta.etag));
      return;
    }
    offset = await restart(incomplete);
  }
  opened ??= await client.openFile(repo, job.revision, job.path, offset, job.signal);
  if (opened.meta.etag !== meta.etag) {
    await abandon(opened);
    throw HubError.network(context, 'the file changed on the hub during the download; run again');
  }
  if (opened.response.status === 416 || (opened.response.status === 200 && offset > 0)) {
    // The server refused or ignored the range: start over from byte 0.
    if (opened.response.status === 416) {
      await abandon(opened);
      opened = await client.openFile(repo, job.revision, job.path, 0, job.signal);
    }
    offset = await restart(incomplete);
  }
  const hash = await hashPrefix(offset > 0 ? incomplete : null, meta.etag);
  const received = await receive(job, opened, incomplete, offset, meta.size, hash);
  const problem = verify(meta, received, hash);
  if (problem !== null) {
    // Too few bytes can be resumed later; wrong bytes cannot.
    const resumable = meta.size !== null && received < meta.size;
    if (!resumable) await cache.removeQuietly(incomplete);
    throw HubError.network(context, problem);
  }
  await rename(incomplete, cache.blobPath(repo, meta.etag));
}

/** Appends the body at `offset`; returns the file's size afterwards. Keeps what arrived on failure. */
async function receive(job: BlobJob, opened: OpenedFile, file: string, offset: number, total: number | null, hash: Hash | null): Promise<number> {
  const handle = await open(file, offset > 0 ? 'a' : 'w');
  let bytes = offset;
  try {
    const reader = (opened.response.body as ReadableStream<Uint8Array> | null)?.getReader();
    while (reader !== undefined) {
      const { done, value } = await reader.read();
      if (done) break;
      opened.touch();
      hash?.update(value);
      await handle.write(value);
      bytes += value.byteLength;
      job.onProgress?.(bytes, total ?? 0);
    }
    return bytes;
  } catch (error) {
    if (job.signal?.aborted === true) throw job.signal.reason;
    const context = job.client.context(job.repo, job.path);
    const after = `${bytes}${total === null ? '' : ` of ${total}`} bytes`;
    const problem = opened.timedOut() ? `the download stalled: no data for ${opened.idleMs / 1000} s after ${after}` : `the download stopped after ${after} (${describeCause(error)})`;
    throw HubError.network(context, `${problem}; running it again resumes it`, error);
  } finally {
    opened.done();
    await handle.close();
  }
}

/** Null when the blob is whole and right, else what is wrong with it. */
function verify(meta: FileMeta, size: number, hash: Hash | null): string | null {
  if (meta.size !== null && size !== meta.size) return `received ${size} bytes where the hub announced ${meta.size}; run again`;
  if (hash === null) return null;
  const digest = hash.digest('hex');
  return digest === meta.etag ? null : `the downloaded bytes have sha256 ${digest}, not the hub's ${meta.etag}; the partial file was deleted, run again`;
}

/** A sha256 over the bytes already on disk, when the ETag is a sha256 (an LFS file), else null. */
async function hashPrefix(file: string | null, etag: string): Promise<Hash | null> {
  if (!SHA256.test(etag)) return null;
  const hash = createHash('sha256');
  if (file !== null) for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash;
}

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => null))?.size ?? 0;
}

async function restart(file: string): Promise<0> {
  await truncate(file, 0).catch(() => undefined);
  return 0;
}

async function abandon(opened: OpenedFile): Promise<void> {
  opened.done();
  await opened.response.body?.cancel().catch(() => undefined);
}
