import { HubError, type HubErrorContext } from './errors.js';
import { HubHttp, type HubResponse } from './http.js';
import { DEFAULT_TIMEOUT_MS, type HubOptions } from './options.js';
import { revisionOf, type RepoRef } from './repo.js';

/** The hub's URL layout and answers (huggingface_hub's hf_api.py and file_download.py). */

export interface RevisionInfo {
  /** The canonical id: differs from the one asked for when the repository was renamed. */
  readonly id: string;
  readonly sha: string;
}

export interface RemoteFile {
  readonly path: string;
  readonly size: number;
}

/** What the hub says about a file, read from the headers of its `resolve` answer. */
export interface FileMeta {
  /** X-Linked-Etag (LFS files: the sha256) or ETag (git sha1), without quotes: the blob's name. */
  readonly etag: string;
  readonly commit: string | null;
  /** The whole file's size, when the hub says it. */
  readonly size: number | null;
}

export interface OpenedFile extends HubResponse {
  readonly meta: FileMeta;
}

export class HubClient {
  private readonly http: HubHttp;

  constructor(private readonly options: HubOptions) {
    this.http = new HubHttp(options);
  }

  context(repo: RepoRef, path?: string): HubErrorContext {
    return { repo, path, endpoint: this.options.endpoint, cacheDir: this.options.cacheDir, hadToken: this.options.token !== null };
  }

  /** GET /api/{models|datasets}/{id}/revision/{revision}: the commit a revision points to. */
  async revision(repo: RepoRef, signal?: AbortSignal): Promise<RevisionInfo> {
    const url = `${this.apiBase(repo)}/revision/${encodeURIComponent(revisionOf(repo))}`;
    const context = this.context(repo);
    const { json } = await this.http.getJson({ url, context, notFound: 'repo-not-found', signal });
    const info = json as { id?: unknown; sha?: unknown } | null;
    if (typeof info?.sha !== 'string' || info.sha === '') throw HubError.network(context, `${url} answered without a commit sha`);
    return { id: typeof info.id === 'string' ? info.id : repo.id, sha: info.sha };
  }

  /** GET /api/{models|datasets}/{id}/tree/{revision}/{prefix}?recursive=true, every page. */
  async tree(repo: RepoRef, prefix: string, signal?: AbortSignal): Promise<RemoteFile[]> {
    const folder = prefix === '' ? '' : `/${encodePath(prefix)}`;
    let url: string | null = `${this.apiBase(repo)}/tree/${encodeURIComponent(revisionOf(repo))}${folder}?recursive=true`;
    const context = this.context(repo, prefix);
    const files: RemoteFile[] = [];
    while (url !== null) {
      const page: { json: unknown; next: string | null } = await this.http.getJson({
        url,
        context,
        notFound: prefix === '' ? 'repo-not-found' : 'entry-not-found',
        signal,
      });
      if (!Array.isArray(page.json)) throw HubError.network(context, `${url} did not answer a list of files`);
      for (const entry of page.json as unknown[]) {
        const file = treeFile(entry);
        if (file !== null) files.push(file);
      }
      url = page.next;
    }
    return files;
  }

  /**
   * GET {endpoint}/{datasets/}{id}/resolve/{revision}/{path}, from byte `offset` on. The response
   * is 200 (whole file), 206 (from offset) or 416 (offset past the end); the caller reads the body.
   */
  async openFile(repo: RepoRef, revision: string, path: string, offset: number, signal?: AbortSignal): Promise<OpenedFile> {
    const prefix = repo.type === 'dataset' ? 'datasets/' : '';
    const url = `${this.options.endpoint}/${prefix}${encodePath(repo.id)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
    const context = this.context(repo, path);
    const opened = await this.http.get(
      { url, context, notFound: 'entry-not-found', range: offset > 0 ? offset : undefined, signal },
      this.options.downloadTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    const meta = fileMeta(opened);
    if (meta === null) {
      opened.done();
      await opened.response.body?.cancel();
      throw HubError.network(context, `${url} answered without an ETag, so the file cannot be cached; HF_ENDPOINT must be a Hugging Face hub`);
    }
    return { ...opened, meta };
  }

  private apiBase(repo: RepoRef): string {
    return `${this.options.endpoint}/api/${repo.type}s/${encodePath(repo.id)}`;
  }
}

/** Encodes each segment, keeping the slashes: huggingface_hub's quote(filename). */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function treeFile(entry: unknown): RemoteFile | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { type, path, size, lfs } = entry as { type?: unknown; path?: unknown; size?: unknown; lfs?: { size?: unknown } };
  if (type !== 'file' || typeof path !== 'string') return null;
  // An LFS file's `size` is already the real size on huggingface.co; lfs.size says it too.
  const bytes = typeof lfs?.size === 'number' ? lfs.size : typeof size === 'number' ? size : 0;
  return { path, size: bytes };
}

function fileMeta({ response, hubResponse }: HubResponse): FileMeta | null {
  const headers = hubResponse.headers;
  const etag = normalizeEtag(headers.get('x-linked-etag') ?? headers.get('etag'));
  if (etag === null) return null;
  return { etag, commit: headers.get('x-repo-commit'), size: linkedSize(headers) ?? finalSize(response) };
}

// huggingface_hub's _normalize_etag: weak prefix and quotes removed.
function normalizeEtag(value: string | null): string | null {
  const etag = value?.replace(/^W\//, '').replace(/^"|"$/g, '') ?? '';
  return etag === '' ? null : etag;
}

function linkedSize(headers: Headers): number | null {
  return toSize(headers.get('x-linked-size'));
}

/**
 * The whole size from the final answer (the CDN's, after a redirect; never a redirect's own
 * Content-Length, which is that of its little HTML body): Content-Length, or a range's total.
 */
function finalSize(response: Response): number | null {
  if (response.status === 206 || response.status === 416) return toSize(/\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '')?.[1] ?? null);
  return toSize(response.headers.get('content-length'));
}

function toSize(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}
