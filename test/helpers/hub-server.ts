import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONVERT_REVISION,
  HubRepos,
  parquetShards,
  repoInfo,
  repoRefs,
  splitRevision,
  treeEntries,
  type Repo,
  type RepoFile,
  type RepoType,
  type Revision,
} from './hub-repos.js';
import { fixturePath } from './paths.js';

/*
 * A local stand-in for huggingface.co: a real HTTP server on 127.0.0.1 that answers the hub's URL
 * layout (the API, `resolve` downloads, renamed-repo redirects, hub error headers) from a fixture
 * folder, so the real download code runs against it with HF_ENDPOINT pointing here.
 * Routing produces a Reply value; only `send` writes to the socket.
 */

export interface HubServerOptions {
  /** Folder in the hub layout (see hub-repos.ts); default fixtures/hub. */
  readonly root?: string;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
}

export interface HubServer extends AsyncDisposable {
  /** http://127.0.0.1:<port>, to use as HF_ENDPOINT. */
  readonly url: string;
  /** "METHOD /path?query" of every request, in arrival order. */
  readonly requests: string[];
  close(): Promise<void>;
  /** The next GET download whose path contains `pathSubstring` sends `afterBytes` bytes of body, then drops the connection. */
  failNext(pathSubstring: string, afterBytes: number): void;
}

type ErrorCode = 'RepoNotFound' | 'RevisionNotFound' | 'EntryNotFound' | 'GatedRepo';

type Reply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown; readonly headers?: http.OutgoingHttpHeaders }
  | { readonly kind: 'redirect'; readonly status: 302 | 307; readonly location: string }
  | { readonly kind: 'file'; readonly revision: Revision; readonly file: RepoFile };

const json = (status: number, body: unknown): Reply => ({ kind: 'json', status, body });
const notFound: Reply = json(404, { error: 'Not Found' });

/** As huggingface_hub's hf_raise_for_status reads them: `X-Error-Code`, `X-Error-Message`, `{"error": ...}`. */
function hubError(status: number, code: ErrorCode | null, message: string): Reply {
  return { kind: 'json', status, body: { error: message }, headers: { ...(code === null ? {} : { 'x-error-code': code }), 'x-error-message': message } };
}

class HubRoutes {
  constructor(
    private readonly repos: HubRepos,
    private readonly token: string | undefined,
    private readonly base: string,
  ) {}

  reply(req: http.IncomingMessage, url: URL): Reply {
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'Method not allowed' });
    const denied = this.denied(req.headers.authorization);
    if (denied !== null) return denied;
    // Split before decoding: a `%2F` inside a revision must not become a separator.
    const raw = url.pathname.split('/').slice(1);
    let segments: string[];
    try {
      segments = raw.map((segment) => decodeURIComponent(segment));
    } catch {
      return json(400, { error: 'Malformed URL' });
    }
    if (segments[0] === 'api' && (segments[1] === 'datasets' || segments[1] === 'models')) {
      const type: RepoType = segments[1] === 'datasets' ? 'dataset' : 'model';
      return this.route(type, raw.slice(2), segments.slice(2), `/api/${segments[1]}/`, url.search, (repo, rest) => this.api(repo, rest, url.searchParams));
    }
    // Dataset files live under /datasets/{id}/resolve/..., model files under /{id}/resolve/...
    const [type, skip]: [RepoType, number] = segments[0] === 'datasets' ? ['dataset', 1] : ['model', 0];
    return this.route(type, raw.slice(skip), segments.slice(skip), type === 'dataset' ? '/datasets/' : '/', url.search, (repo, rest) =>
      this.resolve(repo, rest),
    );
  }

  private denied(authorization: string | undefined): Reply | null {
    if (this.token === undefined || authorization === `Bearer ${this.token}`) return null;
    if (authorization === undefined) {
      return hubError(401, 'GatedRepo', 'Access to this repository is restricted. You must be authenticated to access it. Please log in.');
    }
    return hubError(401, null, 'Invalid credentials in Authorization header');
  }

  /** Finds the repo named by the first segments, or redirects a legacy id as the hub does after a rename. */
  private route(
    type: RepoType,
    raw: readonly string[],
    segments: readonly string[],
    prefix: string,
    search: string,
    next: (repo: Repo, rest: string[]) => Reply,
  ): Reply {
    const [owner = '', name = ''] = segments;
    const repo = this.repos.repo(type, `${owner}/${name}`);
    if (repo !== undefined) return next(repo, segments.slice(2));
    const canonical = this.repos.canonical(type, owner);
    if (canonical === undefined) return hubError(404, 'RepoNotFound', 'Repository not found');
    // A relative Location, like the hub's: clients follow it and keep their token (same origin).
    const rest = raw.slice(1).join('/');
    return { kind: 'redirect', status: 307, location: `${prefix}${canonical}${rest === '' ? '' : `/${rest}`}${search}` };
  }

  private api(repo: Repo, rest: string[], query: URLSearchParams): Reply {
    const [kind = '', ...more] = rest;
    switch (kind) {
      case '':
        return withRevision(repo, ['main'], (revision) => json(200, repoInfo(repo, revision)));
      case 'revision':
        return withRevision(repo, more, (revision, path) => (path.length === 0 ? json(200, repoInfo(repo, revision)) : notFound));
      case 'tree':
        return withRevision(repo, more, (revision, path) => {
          const recursive = query.get('recursive') === 'true' || query.get('recursive') === '1';
          const entries = treeEntries(revision, path.join('/'), recursive);
          return entries === null ? hubError(404, 'EntryNotFound', 'Entry not found') : json(200, entries);
        });
      case 'refs':
        return json(200, repoRefs(repo));
      case 'parquet':
        return this.parquet(repo, more);
      default:
        return notFound;
    }
  }

  /** `/api/datasets/{id}/parquet[/{config}[/{split}[/{n}.parquet]]]`: the conversion's shard URLs, or a redirect to one. */
  private parquet(repo: Repo, rest: string[]): Reply {
    const configs = parquetShards(repo);
    if (configs === null) return hubError(404, 'RevisionNotFound', `Invalid rev id: ${CONVERT_REVISION}`);
    const id = repo.id.split('/').map(encodeURIComponent).join('/');
    const urls = (config: string, split: string, shards: readonly number[]): string[] =>
      shards.map((n) => `${this.base}/api/datasets/${id}/parquet/${encodeURIComponent(config)}/${encodeURIComponent(split)}/${n}.parquet`);
    const splitsJson = (config: string, splits: ReadonlyMap<string, number[]>): Record<string, string[]> =>
      Object.fromEntries([...splits].map(([split, shards]) => [split, urls(config, split, shards)]));
    const [config, split, shardFile, ...extra] = rest;
    if (config === undefined) return json(200, Object.fromEntries([...configs].map(([c, splits]) => [c, splitsJson(c, splits)])));
    const splits = configs.get(config);
    if (splits === undefined) return hubError(404, 'EntryNotFound', `Config ${config} not found`);
    if (split === undefined) return json(200, splitsJson(config, splits));
    const shards = splits.get(split);
    if (shards === undefined) return hubError(404, 'EntryNotFound', `Split ${split} not found`);
    if (shardFile === undefined) return json(200, urls(config, split, shards));
    const n = /^(\d+)\.parquet$/.exec(shardFile)?.[1];
    if (n === undefined || !shards.includes(Number(n)) || extra.length > 0) return hubError(404, 'EntryNotFound', 'Entry not found');
    const path = `${encodeURIComponent(config)}/${encodeURIComponent(split)}/${n.padStart(4, '0')}.parquet`;
    return { kind: 'redirect', status: 302, location: `${this.base}/datasets/${id}/resolve/${encodeURIComponent(CONVERT_REVISION)}/${path}` };
  }

  /** `GET|HEAD /{datasets/}{id}/resolve/{revision}/{path}`: the file itself. */
  private resolve(repo: Repo, rest: string[]): Reply {
    const [kind, ...more] = rest;
    if (kind !== 'resolve') return notFound;
    return withRevision(repo, more, (revision, path) => {
      const file = revision.files.get(path.join('/'));
      return file === undefined ? hubError(404, 'EntryNotFound', 'Entry not found') : { kind: 'file', revision, file };
    });
  }
}

function withRevision(repo: Repo, segments: string[], next: (revision: Revision, rest: string[]) => Reply): Reply {
  const found = splitRevision(repo, segments);
  return 'missing' in found ? hubError(404, 'RevisionNotFound', `Invalid rev id: ${found.missing}`) : next(found.revision, found.rest);
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; null when absent or not understood (then 200, per RFC 9110). */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Math.min(Number(to), size);
    return suffix === 0 ? 'unsatisfiable' : [size - suffix, size - 1];
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : [start, end];
}

function fileHeaders(revision: Revision, file: RepoFile): http.OutgoingHttpHeaders {
  const name = file.path.split('/').pop() ?? file.path;
  const type = file.lfs !== null ? 'application/octet-stream' : name.endsWith('.json') ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
  return {
    // LFS files are named by their sha256, others by their git blob oid; caches key blobs on it.
    etag: `"${file.lfs?.oid ?? file.oid}"`,
    'x-repo-commit': revision.sha,
    'accept-ranges': 'bytes',
    'content-type': type,
    'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}"`,
    // The hub sends these on the redirect to its CDN; here they ride on the 200 itself.
    ...(file.lfs === null ? {} : { 'x-linked-etag': `"${file.lfs.oid}"`, 'x-linked-size': String(file.lfs.size) }),
  };
}

/** Writes a reply. `failAfter` cuts a file body short after that many bytes, as a network failure would. */
function send(req: http.IncomingMessage, res: http.ServerResponse, reply: Reply, failAfter: number | undefined): void {
  if (reply.kind === 'redirect') {
    res.writeHead(reply.status, { location: reply.location, 'content-length': 0 }).end();
    return;
  }
  if (reply.kind === 'json') {
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const { bytes } = reply.file;
  const headers = fileHeaders(reply.revision, reply.file);
  const range = parseRange(req.headers.range, bytes.length);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${bytes.length}`, 'content-length': 0 }).end();
    return;
  }
  const [start, end] = range ?? [0, bytes.length - 1];
  const body = bytes.subarray(start, end + 1);
  res.writeHead(range === null ? 200 : 206, {
    ...headers,
    'content-length': body.length,
    ...(range === null ? {} : { 'content-range': `bytes ${start}-${end}/${bytes.length}` }),
  });
  if (req.method === 'HEAD') {
    res.end();
  } else if (failAfter === undefined) {
    res.end(body);
  } else {
    // The headers promised the whole body: send part of it, then cut the connection.
    res.flushHeaders();
    res.write(body.subarray(0, failAfter), () => res.destroy());
  }
}

/** Starts the fake hub on a free loopback port. */
export async function startHubServer(options: HubServerOptions = {}): Promise<HubServer> {
  const repos = HubRepos.load(options.root ?? fixturePath('hub'));
  const requests: string[] = [];
  const failures: { readonly substring: string; readonly afterBytes: number }[] = [];
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Routes are made once the port is known: absolute URLs in answers point back at this server.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const routes = new HubRoutes(repos, options.token, url);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    const reply = routes.reply(req, new URL(req.url ?? '/', url));
    let failAfter: number | undefined;
    if (reply.kind === 'file' && req.method === 'GET') {
      const index = failures.findIndex(({ substring }) => (req.url ?? '').includes(substring) || reply.file.path.includes(substring));
      if (index >= 0) failAfter = failures.splice(index, 1)[0]?.afterBytes;
    }
    send(req, res, reply, failAfter);
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive sockets would otherwise hold close() open until they time out.
      server.closeAllConnections();
    }));
  return {
    url,
    requests,
    close,
    failNext: (pathSubstring, afterBytes) => failures.push({ substring: pathSubstring, afterBytes }),
    [Symbol.asyncDispose]: close,
  };
}
