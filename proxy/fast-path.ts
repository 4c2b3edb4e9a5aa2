import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';

/**
 * The native pass-through relay (proxy/native/fast-relay.c, built at install when a C compiler
 * and Node's headers are present). While a session only sees plain simple Queries and their
 * results, relaying them in JavaScript costs more CPU in Node's stream and callback machinery
 * than in the proxy's own code (a minimal Node relay used as much as the proxy did); the native
 * relay scans frame headers and forwards each read with one send() on an epoll thread of its
 * own, as pgbouncer does. Anything else hands the session back to the JS relay (FastRelayExit),
 * which is told on Node's loop.
 */
export interface FastRelayExit {
  /** Why it stopped (for debug logs). */
  readonly reason: string;
  /** Client bytes read but not relayed: the message JS must look at, and what follows it. */
  readonly clientRest: Buffer;
  /** Upstream bytes read but not relayed, from a message boundary on. */
  readonly upstreamRest: Buffer;
  /** Relayed bytes the peer did not take at once (backpressure): JS writes them first. */
  readonly toClient: Buffer;
  readonly toUpstream: Buffer;
  /** Simple Queries relayed and not yet answered by ReadyForQuery. */
  readonly pending: number;
  /** Status byte of the last ReadyForQuery (as given to start() when none came). */
  readonly status: number;
  /** Queries relayed since start(), and ReadyForQuery messages with status 'I'. */
  readonly queries: number;
  readonly idleEnds: number;
}

type RelayHandle = object;

interface NativeRelay {
  create(clientFd: number, upstreamFd: number, maxMessage: number, markers: readonly string[], onExit: (exit: FastRelayExit) => void): RelayHandle;
  start(relay: RelayHandle, pending: number, status: number): void;
  stop(relay: RelayHandle): FastRelayExit;
  destroy(relay: RelayHandle): void;
}

/**
 * The part of a socket's libuv handle (`socket._handle`, Node internals) the fast path needs:
 * reading is stopped on it while the native relay reads a duplicate of its descriptor.
 */
interface StreamHandle {
  readonly fd: number;
  readonly reading: boolean;
  readStart(): number;
  readStop(): number;
}

function loadNative(): NativeRelay | null {
  if (process.env.PGML_PROXY_FAST_RELAY === 'off') return null;
  try {
    const loaded: unknown = createRequire(import.meta.url)('../../build/fast-relay.node');
    return isNativeRelay(loaded) ? loaded : null;
  } catch {
    return null; // not built here: the JS relay does everything
  }
}

function isNativeRelay(value: unknown): value is NativeRelay {
  if (typeof value !== 'object' || value === null) return false;
  return ['create', 'start', 'stop', 'destroy'].every((name) => typeof Reflect.get(value, name) === 'function');
}

const native = loadNative();

/** True when the native relay is built and loaded (PGML_PROXY_FAST_RELAY=off disables it). */
export const fastRelayAvailable = native !== null;

/** The libuv handle of a plain (not TLS) socket with a descriptor, else null. */
function streamHandle(socket: unknown): StreamHandle | null {
  if (!(socket instanceof net.Socket) || socket instanceof tls.TLSSocket) return null;
  const handle: unknown = Reflect.get(socket, '_handle');
  if (typeof handle !== 'object' || handle === null) return null;
  const fd: unknown = Reflect.get(handle, 'fd');
  const ok = typeof fd === 'number' && fd >= 0 && typeof Reflect.get(handle, 'readStart') === 'function' && typeof Reflect.get(handle, 'readStop') === 'function';
  return ok ? (handle as StreamHandle) : null;
}

export interface FastPathSockets {
  readonly client: unknown;
  readonly upstream: unknown;
  /** Largest client message length accepted; a longer one is left to the JS relay to refuse. */
  readonly maxMessage: number;
  /** The interceptor's markers (interceptor.ts): [] without an interceptor, null when it wants every Query. */
  readonly markers: readonly string[] | null;
}

/** One session's native relay: entered at a quiet moment, left on its own or when asked. */
export class FastPath {
  private active = false;
  private destroyed = false;

  private constructor(
    private readonly relay: RelayHandle,
    private readonly api: NativeRelay,
    private readonly handles: readonly [StreamHandle, StreamHandle],
  ) {}

  /**
   * A fast path for these sockets, or null when it would not help or cannot work: nothing built,
   * a socket that is not a plain one (TLS, a test's in-memory stream), an interceptor without markers.
   */
  static open(sockets: FastPathSockets, onExit: (exit: FastRelayExit) => void): FastPath | null {
    const clientHandle = streamHandle(sockets.client);
    const upstreamHandle = streamHandle(sockets.upstream);
    if (native === null || clientHandle === null || upstreamHandle === null || sockets.markers === null) return null;
    let path: FastPath | null = null;
    let relay: RelayHandle;
    try {
      relay = native.create(clientHandle.fd, upstreamHandle.fd, sockets.maxMessage, sockets.markers, (exit) => {
        path?.resumeJs();
        onExit(exit);
      });
    } catch {
      return null; // e.g. a worker thread's proxy: the native relay serves the main thread only
    }
    path = new FastPath(relay, native, [clientHandle, upstreamHandle]);
    return path;
  }

  get running(): boolean {
    return this.active;
  }

  /**
   * Stops libuv reading both sockets for JS and starts the native relay; false (nothing done)
   * when either socket is not being read now (paused for backpressure).
   */
  enter(pending: number, status: number): boolean {
    if (this.active || this.destroyed || !this.handles.every((handle) => handle.reading)) return false;
    // `reading` stays true: net.Socket's _read() would otherwise restart reading on its own.
    for (const handle of this.handles) handle.readStop();
    this.active = true;
    this.api.start(this.relay, pending, status);
    return true;
  }

  /** Takes the session back into JS; null when the native relay was not running. */
  leave(): FastRelayExit | null {
    if (!this.active) return null;
    const exit = this.api.stop(this.relay);
    this.resumeJs();
    return exit;
  }

  /**
   * Releases the native side without handing the sockets back (the session is closing); returns
   * what it was doing if it was running, for the record (its bytes are dropped with the session).
   */
  destroy(): FastRelayExit | null {
    if (this.destroyed) return null;
    const exit = this.active ? this.api.stop(this.relay) : null;
    this.destroyed = true;
    this.active = false;
    this.api.destroy(this.relay);
    return exit;
  }

  private resumeJs(): void {
    this.active = false;
    // A handle whose `reading` someone cleared meanwhile (Socket.pause()) is restarted by its resume().
    for (const handle of this.handles) if (handle.reading) handle.readStart();
  }
}
