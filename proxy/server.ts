import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type tls from 'node:tls';
import { CancelRegistry } from './cancel.js';
import type { Interceptor } from './interceptor.js';
import { silentLogger, type Logger } from './log.js';
import { encodeCancelRequest } from './protocol/frontend.js';
import { Session } from './session.js';
import { connectUpstream, describeTarget, type UpstreamTarget } from './upstream.js';

export interface ProxyServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly upstream: UpstreamTarget;
  /** The certificate clients see; null answers SSLRequest with 'N'. */
  readonly tlsContext: tls.SecureContext | null;
  /** Largest frontend message accepted, in bytes (PostgreSQL's own limit is 1 GiB). */
  readonly maxMessageSize: number;
  readonly interceptor?: Interceptor | null;
  readonly log?: Logger;
}

/** Accepts client connections and runs one Session per connection, each with its own upstream. */
export class ProxyServer {
  private readonly server: net.Server;
  private readonly sessions = new Set<Session>();
  private readonly cancels = new CancelRegistry();
  private readonly log: Logger;
  private readonly upstreamAddress: string;
  private nextSession = 1;
  private readonly idPrefix = randomBytes(3).toString('hex');

  constructor(private readonly options: ProxyServerOptions) {
    this.log = options.log ?? silentLogger;
    this.upstreamAddress = describeTarget(options.upstream);
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (error) => this.log.error('listener.error', { error: error.message }));
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Starts listening; resolves to the bound address. */
  async listen(): Promise<net.AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as net.AddressInfo;
    this.log.info('listener.ready', { address: address.address, port: address.port, upstream: this.upstreamAddress });
    return address;
  }

  /**
   * Stops accepting, lets sessions finish their current transaction for up to `graceMs`, then
   * closes whatever is left.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.log.info('shutdown.begin', { sessions: this.sessions.size, grace_ms: graceMs });
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.sessions) session.requestShutdown();
    const deadline = Date.now() + graceMs;
    while (this.sessions.size > 0 && Date.now() < deadline) await sleep(25);
    for (const session of [...this.sessions]) session.close('shutdown timeout', undefined);
    await closed;
    this.log.info('shutdown.done');
  }

  private accept(socket: net.Socket): void {
    const id = `${this.idPrefix}-${this.nextSession++}`;
    const log = this.log.child({ session: id });
    log.info('session.accepted', { client: `${socket.remoteAddress ?? 'local'}:${socket.remotePort ?? 0}` });
    const upstream = this.options.upstream;
    const session = new Session(socket, {
      id,
      log,
      maxMessageSize: this.options.maxMessageSize,
      tlsContext: this.options.tlsContext,
      cancels: this.cancels,
      interceptor: this.options.interceptor ?? null,
      upstreamAddress: this.upstreamAddress,
      connectUpstream: () => connectUpstream(upstream),
      sendUpstreamCancel: async (key) => {
        const { socket: cancelSocket } = await connectUpstream(upstream);
        cancelSocket.on('error', () => undefined);
        cancelSocket.end(encodeCancelRequest(key.processId, key.secretKey));
      },
      onClose: (s) => this.sessions.delete(s),
    });
    this.sessions.add(session);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
