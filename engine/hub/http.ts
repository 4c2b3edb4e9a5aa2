import { HubError, type HubErrorContext } from './errors.js';
import { DEFAULT_TIMEOUT_MS, type HubOptions } from './options.js';

/**
 * One request to the hub: the token, redirects followed by hand, timeouts, and hub error
 * responses turned into HubErrors. Knows nothing of repositories or the cache.
 */

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export interface HubRequest {
  readonly url: string;
  readonly context: HubErrorContext;
  /** What a 404 without an `X-Error-Code` header means for this URL. */
  readonly notFound: 'repo-not-found' | 'entry-not-found';
  readonly range?: number;
  readonly signal?: AbortSignal;
}

export interface HubResponse {
  /** The final response, after redirects. */
  readonly response: Response;
  /**
   * The response that speaks for the hub: the first one that is not a same-origin redirect.
   * For a file moved to a CDN it is the hub's 302, whose X-Linked-Etag/X-Repo-Commit describe
   * the file (huggingface_hub reads its metadata there too, following only relative redirects).
   */
  readonly hubResponse: Response;
  /** Keeps the idle timer from firing: call per chunk received. */
  readonly touch: () => void;
  /** Stops the idle timer: call once the body is read or abandoned. */
  readonly done: () => void;
  /** True once the idle timer fired (the body read then fails with an abort). */
  readonly timedOut: () => boolean;
  readonly idleMs: number;
}

export class HubHttp {
  private readonly hubOrigin: string;

  constructor(private readonly options: HubOptions) {
    this.hubOrigin = new URL(options.endpoint).origin;
  }

  /** Sends a GET and follows redirects. Resolves with a 2xx (or a 416 to a range) response. */
  async get(request: HubRequest, idleMs = this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS): Promise<HubResponse> {
    const idle = new IdleTimer(idleMs);
    const signal = request.signal === undefined ? idle.signal : AbortSignal.any([request.signal, idle.signal]);
    let url = new URL(request.url);
    // The token goes to the hub only: never to a CDN or any other host a redirect points at.
    let sendToken = url.origin === this.hubOrigin;
    let hubResponse: Response | undefined;
    try {
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        const response = await fetch(url, { headers: this.headers(sendToken, request.range), redirect: 'manual', signal });
        const location = REDIRECTS.has(response.status) ? response.headers.get('location') : null;
        if (location === null) {
          hubResponse ??= response;
          if (!response.ok && !(response.status === 416 && request.range !== undefined)) {
            await response.body?.cancel();
            throw failure(response, request);
          }
          idle.touch();
          return { response, hubResponse, touch: () => idle.touch(), done: () => idle.clear(), timedOut: () => idle.expired, idleMs };
        }
        await response.body?.cancel();
        const next = new URL(location, url);
        if (next.origin !== url.origin) hubResponse ??= response;
        if (next.origin !== this.hubOrigin) sendToken = false;
        url = next;
      }
      throw HubError.network(request.context, `more than ${MAX_REDIRECTS} redirects from ${request.url}`);
    } catch (error) {
      idle.clear();
      throw networkFailure(error, request, idle, idleMs);
    }
  }

  /** GET of a JSON document, with the URL of the next page when the hub paginates (`Link: rel="next"`). */
  async getJson(request: HubRequest): Promise<{ json: unknown; next: string | null }> {
    const { response, done, timedOut, idleMs } = await this.get(request);
    try {
      const json: unknown = await response.json();
      return { json, next: nextPage(response.headers.get('link'), response.url || request.url) };
    } catch (error) {
      if (error instanceof SyntaxError) throw HubError.network(request.context, `${request.url} did not answer JSON`);
      throw networkFailure(error, request, { expired: timedOut() }, idleMs);
    } finally {
      done();
    }
  }

  private headers(sendToken: boolean, range: number | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent ?? `pgml-proxy; node/${process.versions.node}`,
      // Compressed bodies would make Content-Length and Range offsets meaningless for the file.
      'accept-encoding': 'identity',
    };
    if (sendToken && this.options.token !== null) headers.authorization = `Bearer ${this.options.token}`;
    if (range !== undefined) headers.range = `bytes=${range}-`;
    return headers;
  }
}

/** Maps a hub error response, as huggingface_hub's hf_raise_for_status reads `X-Error-Code`. */
function failure(response: Response, request: HubRequest): HubError {
  const context = request.context;
  switch (response.headers.get('x-error-code')) {
    case 'RepoNotFound':
      return HubError.repoNotFound(context);
    case 'RevisionNotFound':
      return HubError.revisionNotFound(context);
    case 'EntryNotFound':
      return HubError.entryNotFound(context);
    case 'GatedRepo':
      return HubError.unauthorized(context, response.status, true);
    default:
      break;
  }
  if (response.status === 401 || response.status === 403) return HubError.unauthorized(context, response.status, false);
  if (response.status === 404) return request.notFound === 'repo-not-found' ? HubError.repoNotFound(context) : HubError.entryNotFound(context);
  return HubError.network(context, `${new URL(request.url).host} answered HTTP ${response.status}`);
}

/** A thrown fetch or body error as the caller should see it: its own abort, a timeout, or the network. */
function networkFailure(error: unknown, request: HubRequest, idle: { readonly expired: boolean }, idleMs: number): unknown {
  if (error instanceof HubError) return error;
  if (request.signal?.aborted === true) return request.signal.reason;
  if (idle.expired) return HubError.network(request.context, `no data from ${new URL(request.url).host} for ${idleMs / 1000} s`);
  return HubError.network(request.context, `cannot reach ${new URL(request.url).host} (${describeCause(error)})`, error);
}

/** The short reason of a fetch failure: `ECONNREFUSED`, `UND_ERR_SOCKET`, or the message. */
export function describeCause(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    return code ?? cause.message;
  }
  return String(cause);
}

function nextPage(link: string | null, base: string): string | null {
  if (link === null) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1] !== undefined) return new URL(match[1], base).toString();
  }
  return null;
}

/** Aborts when nothing happened for `ms`: a stalled server fails instead of hanging forever. */
class IdleTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error('hub request timed out')), this.ms);
    this.timer.unref();
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
