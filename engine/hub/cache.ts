import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkRelativePath, repoFolderName, type RepoRef } from './repo.js';

export interface CachedFile {
  readonly path: string;
  readonly size: number;
}

/**
 * The huggingface_hub cache layout (its `file_download.py`), so a cache made by Python tools is read
 * as is and one made here serves them:
 *
 *   {root}/{models|datasets}--{org}--{name}/
 *     blobs/{etag}                  file contents, named by ETag (git sha1, or sha256 for LFS files)
 *     blobs/{etag}.incomplete       a download in progress, resumable
 *     refs/{revision}               the commit sha a branch or tag pointed to (nested for `refs/convert/parquet`)
 *     snapshots/{sha}/{path}        relative symlink to ../../blobs/{etag} (a copy where symlinks fail)
 *     .no_exist/{sha}/{path}        empty marker: the file is known not to exist at that commit
 *   {root}/.locks/{repo folder}/    lock files of downloads in progress
 *
 * The repository folder is named after the id as given, not after a rename the hub redirected to:
 * huggingface_hub does the same, so both find the same folder.
 */
export class HubCache {
  constructor(
    readonly root: string,
    /** False forces the copy fallback of file systems without symlinks. */
    private readonly symlinks = true,
  ) {}

  repoDir(repo: RepoRef): string {
    return path.join(this.root, repoFolderName(repo));
  }

  blobPath(repo: RepoRef, etag: string): string {
    checkRelativePath(etag, 'etag');
    return path.join(this.repoDir(repo), 'blobs', etag);
  }

  incompletePath(repo: RepoRef, etag: string): string {
    return `${this.blobPath(repo, etag)}.incomplete`;
  }

  lockPath(repo: RepoRef, etag: string): string {
    checkRelativePath(etag, 'etag');
    // Not huggingface_hub's own `{etag}.lock`: that one is an flock target Python leaves behind,
    // so its mere existence means nothing; ours exists exactly while a download runs.
    return path.join(this.root, '.locks', repoFolderName(repo), `${etag}.node-lock`);
  }

  refPath(repo: RepoRef, revision: string): string {
    checkRelativePath(revision, 'revision');
    return path.join(this.repoDir(repo), 'refs', ...revision.split('/'));
  }

  snapshotDir(repo: RepoRef, sha: string): string {
    checkRelativePath(sha, 'commit sha');
    return path.join(this.repoDir(repo), 'snapshots', sha);
  }

  pointerPath(repo: RepoRef, sha: string, file: string): string {
    checkRelativePath(file, 'file path');
    return path.join(this.snapshotDir(repo, sha), ...file.split('/'));
  }

  noExistPath(repo: RepoRef, sha: string, file: string): string {
    checkRelativePath(sha, 'commit sha');
    checkRelativePath(file, 'file path');
    return path.join(this.repoDir(repo), '.no_exist', sha, ...file.split('/'));
  }

  /** The commit sha the revision pointed to when last seen online, or null. */
  async readRef(repo: RepoRef, revision: string): Promise<string | null> {
    try {
      const sha = (await readFile(this.refPath(repo, revision), 'utf8')).trim();
      return sha === '' ? null : sha;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Records revision → sha, as huggingface_hub's _cache_commit_hash_for_specific_revision. */
  async writeRef(repo: RepoRef, revision: string, sha: string): Promise<void> {
    if (revision === sha || (await this.readRef(repo, revision)) === sha) return;
    const file = this.refPath(repo, revision);
    await mkdir(path.dirname(file), { recursive: true });
    // Written aside then renamed, so a concurrent reader never sees an empty ref.
    const temp = `${file}.${randomUUID()}.tmp`;
    await writeFile(temp, sha);
    await rename(temp, file);
  }

  /** The snapshot path of the file if it is there and its blob is readable, else null. */
  async findFile(repo: RepoRef, sha: string, file: string): Promise<string | null> {
    const pointer = this.pointerPath(repo, sha, file);
    try {
      // stat follows the symlink: a dangling one (blob deleted) counts as absent, as os.path.exists.
      return (await stat(pointer)).isFile() ? pointer : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async isKnownMissing(repo: RepoRef, sha: string, file: string): Promise<boolean> {
    return exists(this.noExistPath(repo, sha, file));
  }

  async markMissing(repo: RepoRef, sha: string, file: string): Promise<void> {
    const marker = this.noExistPath(repo, sha, file);
    await mkdir(path.dirname(marker), { recursive: true });
    await writeFile(marker, '');
  }

  async hasBlob(repo: RepoRef, etag: string): Promise<boolean> {
    return exists(this.blobPath(repo, etag));
  }

  /** Puts the blob at its snapshot path and returns that path. */
  async linkSnapshot(repo: RepoRef, sha: string, file: string, etag: string): Promise<string> {
    const pointer = this.pointerPath(repo, sha, file);
    const blob = this.blobPath(repo, etag);
    await mkdir(path.dirname(pointer), { recursive: true });
    // Made aside and renamed over the pointer: a concurrent reader sees the old or the new one, never none.
    const temp = `${pointer}.${randomUUID()}.tmp`;
    try {
      if (!this.symlinks) throw Object.assign(new Error('symlinks disabled'), { code: 'EPERM' });
      await symlink(path.relative(path.dirname(pointer), blob), temp);
    } catch (error) {
      if (!symlinkUnsupported(error)) throw error;
      await copyFile(blob, temp);
    }
    await rename(temp, pointer);
    return pointer;
  }

  /** Files of the snapshot under `prefix` (recursively), or null when that folder is not cached. */
  async listSnapshot(repo: RepoRef, sha: string, prefix: string): Promise<CachedFile[] | null> {
    const base = this.snapshotDir(repo, sha);
    const start = prefix === '' ? base : this.pointerPath(repo, sha, prefix);
    const files: CachedFile[] = [];
    const walk = async (dir: string): Promise<boolean> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error) || isNotDir(error)) return false;
        throw error;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (TEMP_NAME.test(entry.name)) continue; // a pointer being written by linkSnapshot
        if (entry.isDirectory()) {
          await walk(full);
          continue;
        }
        const info = await stat(full).catch(() => null); // a dangling link: the blob was deleted
        if (info?.isFile() === true) files.push({ path: path.relative(base, full).split(path.sep).join('/'), size: info.size });
      }
      return true;
    };
    if (!(await walk(start))) return null;
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async removeQuietly(file: string): Promise<void> {
    await unlink(file).catch(() => undefined);
  }
}

const TEMP_NAME = /\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export function isMissing(error: unknown): boolean {
  return errorCode(error) === 'ENOENT';
}

function isNotDir(error: unknown): boolean {
  return errorCode(error) === 'ENOTDIR';
}

function symlinkUnsupported(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EACCES' || code === 'ENOSYS';
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
