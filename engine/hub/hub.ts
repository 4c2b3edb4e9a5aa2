import { inspect } from 'node:util';
import { HubCache } from './cache.js';
import { HubClient, type RemoteFile, type RevisionInfo } from './client.js';
import { downloadBlob } from './download.js';
import { HubError } from './errors.js';
import type { HubOptions } from './options.js';
import { checkRelativePath, checkRepo, isCommitSha, revisionOf, type RepoRef } from './repo.js';

export interface DownloadOptions {
  readonly signal?: AbortSignal;
  /** Bytes of the file on disk so far, and its whole size (0 when the hub did not say). */
  readonly onProgress?: (bytes: number, total: number) => void;
}

/**
 * Files of hub repositories (models and datasets) through the standard huggingface_hub cache.
 * Online, the hub is asked what a revision points to and only missing files are downloaded;
 * offline (HF_HUB_OFFLINE), only the cache is read and the network is never touched.
 */
export class Hub {
  readonly cache: HubCache;
  private readonly client: HubClient;

  constructor(readonly options: HubOptions) {
    this.cache = new HubCache(options.cacheDir);
    this.client = new HubClient(options);
  }

  /** How logs show a Hub: its options with the token masked (console.log, JSON loggers). */
  [inspect.custom](): string {
    return `Hub ${inspect(this.toJSON())}`;
  }

  toJSON(): Record<string, unknown> {
    return { ...this.options, token: this.options.token === null ? null : '***' };
  }

  /** The commit a revision points to: online from the API (and recorded in refs/), offline from refs/. */
  async resolveRevision(repo: RepoRef, signal?: AbortSignal): Promise<RevisionInfo> {
    checkRepo(repo);
    const revision = revisionOf(repo);
    if (this.options.offline) {
      const sha = isCommitSha(revision) ? revision : await this.cache.readRef(repo, revision);
      if (sha === null) throw HubError.offlineMissing(this.client.context(repo), 'this revision');
      return { id: repo.id, sha };
    }
    const info = await this.client.revision(repo, signal);
    await this.cache.writeRef(repo, revision, info.sha);
    return info;
  }

  /**
   * Files at the revision under the folder `prefix` (all of them for ''), recursively, sorted by
   * path. Offline, only what was downloaded before: a partial list is all the cache can know.
   */
  async listFiles(repo: RepoRef, prefix = '', signal?: AbortSignal): Promise<RemoteFile[]> {
    checkRepo(repo);
    const folder = prefix.replace(/\/+$/, '');
    if (folder !== '') checkRelativePath(folder, 'folder');
    if (!this.options.offline) {
      const files = await this.client.tree(repo, folder, signal);
      return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    const { sha } = await this.resolveRevision(repo, signal);
    const files = await this.cache.listSnapshot(repo, sha, folder);
    if (files === null) throw HubError.offlineMissing(this.client.context(repo, folder), folder === '' ? 'this revision' : 'this folder');
    return files;
  }

  /** The local path of the file in the cache snapshot, downloaded first if it is not there. */
  async download(repo: RepoRef, path: string, options: DownloadOptions = {}): Promise<string> {
    checkRepo(repo);
    checkRelativePath(path, 'file path');
    const revision = revisionOf(repo);
    // A commit never changes: a file cached for it is used without asking the hub anything.
    if (isCommitSha(revision)) {
      const cached = await this.cache.findFile(repo, revision, path);
      if (cached !== null) return cached;
    }
    if (this.options.offline) return this.fromCache(repo, path);

    let sha: string;
    try {
      sha = isCommitSha(revision) ? revision : (await this.resolveRevision(repo, options.signal)).sha;
    } catch (error) {
      // As huggingface_hub: with the hub unreachable, the file cached for the last known commit serves.
      if (!(error instanceof HubError && error.kind === 'network')) throw error;
      const known = await this.cache.readRef(repo, revision);
      const cached = known === null ? null : await this.cache.findFile(repo, known, path);
      if (cached === null) throw error;
      return cached;
    }
    const cached = await this.cache.findFile(repo, sha, path);
    if (cached !== null) return cached;

    let meta;
    try {
      meta = await downloadBlob({ client: this.client, cache: this.cache, repo, revision, path, ...options });
    } catch (error) {
      // Remembered in .no_exist/ (as huggingface_hub), so an offline run can say "no such file".
      if (error instanceof HubError && error.kind === 'entry-not-found') await this.cache.markMissing(repo, sha, path);
      throw error;
    }
    // The answer names the commit it was served from; a branch that moved since wins, as in Python.
    const commit = meta.commit !== null && isCommitSha(meta.commit) ? meta.commit : sha;
    if (commit !== sha) await this.cache.writeRef(repo, revision, commit);
    return this.cache.linkSnapshot(repo, commit, path, meta.etag);
  }

  private async fromCache(repo: RepoRef, path: string): Promise<string> {
    const context = this.client.context(repo, path);
    const revision = revisionOf(repo);
    const sha = isCommitSha(revision) ? revision : await this.cache.readRef(repo, revision);
    if (sha === null) throw HubError.offlineMissing(context, 'this revision');
    const cached = await this.cache.findFile(repo, sha, path);
    if (cached !== null) return cached;
    if (await this.cache.isKnownMissing(repo, sha, path)) throw HubError.entryNotFound(context);
    throw HubError.offlineMissing(context, 'this file');
  }
}
