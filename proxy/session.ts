import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { CancelRegistry, Cancellable } from './cancel.js';
import { Coalescer } from './coalescer.js';
import { FlowControl } from './flow-control.js';
import { ProxyError } from './errors.js';
import { ExtendedIntercepts } from './extended-intercept.js';
import { FastPath, type FastRelayExit } from './fast-path.js';
import { mayClaim, type Interceptor } from './interceptor.js';
import { Jobs, type JobRun } from './jobs.js';
import type { Logger } from './log.js';
import { awaitingPassword, checkChannelBinding, planStartup, withoutChannelBinding } from './login.js';
import {
  decodeAuthCode,
  decodeBackendKeyData,
  decodeFields,
  decodeReadyForQuery,
  encodeBackendKeyData,
  type BackendKeyData,
} from './protocol/backend.js';
import { AuthCode, Backend, Frontend, isFrontendType, MAX_STARTUP_PACKET_LENGTH, type TransactionStatus } from './protocol/codes.js';
import { Framer } from './protocol/framer.js';
import {
  decodeQuery,
  decodeStartupPacket,
  encodeStartupMessage,
  type StartupPacket,
} from './protocol/frontend.js';
import { ProtocolViolation } from './protocol/violation.js';
import { FLUSH } from './protocol/extended.js';
import { ResponseTracker } from './response-tracker.js';
import { runQueryPlan } from './simple-intercept.js';
import type { UpstreamConnection } from './upstream.js';
import { UpstreamQueries } from './upstream-queries.js';

/**
 * The life of one client connection (pgbouncer's CL_LOGIN → CL_ACTIVE, pg-gateway's steps):
 * startup packets (SSL/GSS negotiation, cancel), connecting upstream, relayed authentication,
 * then relaying, with a detour through the interceptor for claimed statements.
 */
export type SessionState =
  | 'awaiting-startup'
  | 'tls-handshake'
  | 'connecting'
  | 'authenticating'
  | 'relaying'
  | 'intercepting'
  | 'closed';

export interface SessionOptions {
  readonly id: string;
  readonly log: Logger;
  /** Largest frontend message accepted (length field); larger is a protocol violation. */
  readonly maxMessageSize: number;
  /** Present when the proxy has a certificate: SSLRequest is then answered 'S'. */
  readonly tlsContext: tls.SecureContext | null;
  readonly cancels: CancelRegistry;
  readonly interceptor: Interceptor | null;
  /** Where the upstream is, for messages. */
  readonly upstreamAddress: string;
  connectUpstream(): Promise<UpstreamConnection>;
  /** Sends a CancelRequest carrying the upstream's key on a new upstream connection. */
  sendUpstreamCancel(key: BackendKeyData): Promise<void>;
  onClose(session: Session): void;
}

const TERMINATE = Buffer.from([Frontend.Terminate, 0, 0, 0, 4]);
/** How long a job aborted by a disconnect may still use the upstream to clean up. */
const JOB_CLEANUP_MS = 10_000;
const SSL_YES = Buffer.from('S');
const SSL_NO = Buffer.from('N');

export class Session implements Cancellable {
  state: SessionState = 'awaiting-startup';
  /** Transaction status from the last ReadyForQuery. */
  transactionStatus: TransactionStatus = 'I';
  private client: Duplex;
  private clientEncrypted = false;
  private clientFramer = new Framer({ typed: false, maxLength: MAX_STARTUP_PACKET_LENGTH });
  private readonly upstreamFramer: Framer;
  private upstream: UpstreamConnection | null = null;
  private readonly flow = new FlowControl({
    client: () => this.client,
    upstream: () => this.upstream?.socket ?? null,
    upstreamWritable: () => this.resumeClient(),
  });
  private readonly toClient = new Coalescer((bytes) => this.flow.writeClient(bytes));
  private readonly toUpstream = new Coalescer((bytes) => this.flow.writeUpstream(bytes));
  /** Responses the upstream still owes for relayed messages. */
  private readonly tracker = new ResponseTracker();
  /** The proxy's own statements on this client's upstream session. */
  private readonly upstreamQueries = new UpstreamQueries(
    (bytes) => this.flow.writeUpstream(bytes),
    (buf, start, end) => this.toClient.add(buf, start, end),
    () => this.flow.upstreamDrained(),
  );
  private readonly extended: ExtendedIntercepts | null;
  private readonly jobs: Jobs;
  private lastAuthCode: number | null = null;
  /**
   * A client message sent before the login ended (pipelined after the startup packet, as a
   * trust login allows), held with the rest of its chunk until the login's ReadyForQuery.
   */
  private heldDuringLogin: Buffer | null = null;
  private upstreamKey: BackendKeyData | null = null;
  private proxyKey: BackendKeyData | null = null;
  private upstreamSentFatal = false;
  /** Something of the client's ran on the upstream since its last ReadyForQuery (see ownsTransaction). */
  private clientWorkSinceSync = false;
  private shutdownRequested = false;
  /** The native relay for plain simple-Query traffic (fast-path.ts), once the login is done. */
  private fast: FastPath | null = null;
  private fastOpened = false;
  /** False while the client's last relayed message was other than a plain Query (extended protocol). */
  private fastEligible = true;
  private applyingFastExit = false;
  /** Queries the native relay relayed, for the session.closed log. */
  private nativeQueries = 0;
  private readonly log: Logger;
  private readonly startedAt = Date.now();

  constructor(
    client: Duplex,
    private readonly options: SessionOptions,
  ) {
    this.log = options.log;
    this.client = client;
    this.upstreamFramer = new Framer({ typed: true, maxLength: 0x7fffffff });
    this.extended = options.interceptor === null ? null : new ExtendedIntercepts(options.interceptor);
    this.jobs = new Jobs({
      tracker: this.tracker,
      upstream: this.upstreamQueries,
      transactionStatus: () => this.transactionStatus,
      ownsTransaction: () => this.transactionStatus === 'I' && !this.clientWorkSinceSync,
      send: (message) => this.sendToClient(message),
      finished: (status) => this.finishJob(status),
    });
    this.listenToClient(client);
  }

  /** True when nothing is in flight: the upstream owes nothing and no transaction is open. */
  get idle(): boolean {
    return this.state === 'relaying' && this.tracker.idle && this.transactionStatus === 'I';
  }

  /** CancelRequest for this session: stop the running interceptor job or upstream query. */
  cancel(): void {
    this.leaveFast(); // the tracker below must be current
    const key = this.upstreamKey;
    if (this.jobs.running) {
      this.log.info('cancel.intercepted');
      this.jobs.abort();
      // A statement of the proxy's own may be running on the upstream (e.g. a slow argument).
      if (!this.upstreamQueries.busy || key === null) return;
    } else if (this.tracker.idle || key === null) {
      // Cancelling an idle session could hit the client's next query instead (pgbouncer #717).
      this.log.info('cancel.dropped', { reason: 'idle' });
      return;
    }
    this.log.info('cancel.forwarded');
    this.options.sendUpstreamCancel(key).catch((error: unknown) => {
      this.log.warn('cancel.failed', { error: String(error) });
    });
  }

  /** Graceful shutdown: close now if idle, else once the current transaction ends. */
  requestShutdown(): void {
    this.shutdownRequested = true;
    this.leaveFast();
    if (this.state !== 'relaying' && this.state !== 'intercepting') this.close('shutdown', ProxyError.shuttingDown());
    else if (this.idle) this.close('shutdown', ProxyError.shuttingDown());
  }

  /** Ends the session; with an error, the client is told why first. Safe to call twice. */
  close(reason: string, error?: ProxyError): void {
    if (this.state === 'closed') return;
    const wasRelaying = this.state === 'relaying' || this.state === 'intercepting';
    this.state = 'closed';
    this.nativeQueries += this.fast?.destroy()?.queries ?? 0;
    this.jobs.abort();
    if (this.proxyKey) this.options.cancels.release(this.proxyKey.processId);
    // Only whole messages are ever relayed, so both streams sit at a message boundary here.
    this.toClient.flush();
    if (error && !this.client.destroyed) this.client.end(error.toBytes());
    else this.client.end();
    setTimeout(() => this.client.destroy(), 2000).unref();
    const upstream = this.upstream;
    if (upstream) {
      const end = (): void => {
        if (wasRelaying && upstream.socket.writable) {
          this.toUpstream.flush();
          upstream.socket.end(TERMINATE);
        } else {
          upstream.socket.destroy();
        }
      };
      // A cancelled job may still have its cleanup to write (a model marked failed): give it the
      // client's upstream session for a moment before ending it.
      if (wasRelaying && this.jobs.running) void this.jobs.settled(JOB_CLEANUP_MS).then(end);
      else end();
    }
    const fields = {
      reason,
      ms: Date.now() - this.startedAt,
      ...(this.nativeQueries > 0 ? { native_queries: this.nativeQueries } : {}),
      ...(error ? { code: error.fields.code, message: error.message } : {}),
    };
    this.log.info('session.closed', fields);
    this.options.onClose(this);
  }

  // ---- I/O ---------------------------------------------------------------------------------

  private listenToClient(client: Duplex): void {
    client.on('data', this.onClientData);
    client.on('error', (error: Error) => this.close(`client error: ${error.message}`));
    client.on('close', () => this.close('client disconnected'));
  }

  private readonly onClientData = (chunk: Buffer): void => {
    try {
      this.clientFramer.push(chunk, this.onClientFrame);
      this.toUpstream.flush();
      if (this.state === 'tls-handshake') this.startClientTls();
    } catch (error) {
      this.fail(error);
    }
  };

  private readonly onUpstreamData = (chunk: Buffer): void => {
    try {
      this.upstreamFramer.push(chunk, this.onUpstreamFrame);
      this.toClient.flush();
      if (this.heldDuringLogin !== null && this.state === 'relaying') this.releaseHeld();
      if (this.jobs.active) this.jobs.startIfReady();
      else if (this.shutdownRequested && this.idle) this.close('shutdown', ProxyError.shuttingDown());
      else this.maybeEnterFast();
    } catch (error) {
      this.fail(error);
    }
  };

  /** Resumes reading the client unless the session is waiting on something else. */
  private resumeClient(): void {
    if (this.heldDuringLogin !== null || this.flow.upstreamBlocked) return;
    if (this.state === 'relaying' || this.state === 'authenticating') this.client.resume();
  }

  /** After the login's ReadyForQuery: relays what the client sent ahead of it. */
  private releaseHeld(): void {
    const held = this.heldDuringLogin;
    if (held === null) return;
    this.heldDuringLogin = null;
    this.onClientData(Buffer.concat([held, this.clientFramer.drain()]));
    this.resumeClient();
  }

  /** Sends a message of the proxy's own, after anything already gathered for the client. */
  private sendToClient(message: Buffer): void {
    if (this.state === 'closed') return; // a job cleaning up after a disconnect has no one to tell
    this.toClient.flush();
    this.flow.writeClient(message);
  }

  private fail(error: unknown): void {
    if (error instanceof ProtocolViolation) {
      this.log.warn('protocol.violation', { message: error.message });
      this.close('protocol violation', ProxyError.protocolViolation(error.message));
    } else if (error instanceof ProxyError) {
      this.close(error.message, error);
    } else {
      this.log.error('session.internal_error', { error: error instanceof Error ? error.stack : String(error) });
      this.close('internal error', new ProxyError({ severity: 'FATAL', code: 'XX000', message: 'internal error in pgml-proxy' }));
    }
  }

  // ---- client frames -----------------------------------------------------------------------

  private readonly onClientFrame = (type: number, buf: Buffer, start: number, end: number): boolean => {
    switch (this.state) {
      case 'awaiting-startup':
        return this.onStartupPacket(decodeStartupPacket(buf, start, end));
      case 'authenticating':
        if (type !== Frontend.Password && !awaitingPassword(this.lastAuthCode)) {
          // PostgreSQL reads what follows the login only after ReadyForQuery; so does the proxy.
          this.heldDuringLogin = Buffer.from(buf.subarray(start, end));
          this.client.pause();
          return false;
        }
        if (type !== Frontend.Password) throw new ProtocolViolation(`expected password response, got message type ${type}`);
        if (this.lastAuthCode === AuthCode.SASL) checkChannelBinding(buf, start, end, this.upstream?.encrypted === true);
        this.toUpstream.add(buf, start, end);
        return true;
      case 'relaying':
        return this.relayClientFrame(type, buf, start, end);
      case 'tls-handshake':
      case 'connecting':
      case 'intercepting':
      case 'closed':
        return false;
      default:
        return assertNever(this.state);
    }
  };

  private relayClientFrame(type: number, buf: Buffer, start: number, end: number): boolean {
    switch (type) {
      case Frontend.Query: {
        const interceptor = this.options.interceptor;
        if (interceptor !== null) {
          const plan = mayClaim(interceptor, buf, start + 5, end) ? interceptor.planQuery(decodeQuery(buf, start, end)) : null;
          if (plan !== null) return this.startJob((context) => runQueryPlan(plan, context), false);
          this.extended?.forgetUnnamed();
        }
        this.fastEligible = true;
        break;
      }
      case Frontend.Terminate:
        // close() ends the upstream with a Terminate of its own.
        this.close('client terminated');
        return false;
      case Frontend.Sync:
      case Frontend.FunctionCall:
      case Frontend.Flush:
        break;
      default: {
        if (!isFrontendType(type)) throw new ProtocolViolation(`invalid frontend message type ${type}`);
        const job = this.extended?.route(type, buf, start, end) ?? null;
        if (job !== null) {
          return this.startJob(async (context) => {
            await job(context);
            // What an intercepted Execute wrote stays in the group until the client's Sync.
            if (type === Frontend.Execute) this.clientWorkSinceSync = true;
            return undefined;
          }, true);
        }
      }
    }
    if (type !== Frontend.Query) this.fastEligible = false;
    this.tracker.sent(type);
    if (type !== Frontend.Sync && type !== Frontend.Flush) this.clientWorkSinceSync = true;
    this.toUpstream.add(buf, start, end);
    return true;
  }

  private onStartupPacket(packet: StartupPacket): boolean {
    switch (packet.kind) {
      case 'ssl-request':
        if (this.options.tlsContext !== null && !this.clientEncrypted) {
          this.flow.writeClient(SSL_YES);
          this.state = 'tls-handshake';
          return false;
        }
        this.flow.writeClient(SSL_NO);
        return true;
      case 'gssenc-request':
        this.flow.writeClient(SSL_NO);
        return true;
      case 'cancel-request':
        this.options.cancels.find(packet.processId, packet.secretKey)?.cancel();
        this.close('cancel request');
        return false;
      case 'startup':
        if (packet.major !== 3) throw ProxyError.unsupportedProtocol(packet.major, packet.minor);
        this.beginSession(packet.minor, packet.parameters);
        return false;
      default:
        return assertNever(packet);
    }
  }

  /** After SSLRequest → 'S': the rest of the conversation is TLS. */
  private startClientTls(): void {
    if (this.clientFramer.drain().length > 0) throw new ProtocolViolation('received unencrypted data after SSL request');
    const raw = this.client;
    raw.off('data', this.onClientData);
    const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: this.options.tlsContext ?? undefined });
    secure.once('secure', () => {
      this.clientEncrypted = true;
      this.state = 'awaiting-startup';
      this.log.debug('tls.client', { protocol: secure.getProtocol() });
    });
    this.client = secure;
    this.listenToClient(secure);
  }

  private beginSession(minor: number, parameters: ReadonlyMap<string, string>): void {
    this.state = 'connecting';
    this.client.pause();
    const plan = planStartup(minor, parameters);
    if (plan.negotiate !== null) this.flow.writeClient(plan.negotiate);
    this.log.info('session.startup', {
      user: plan.parameters.get('user'),
      database: plan.parameters.get('database') ?? plan.parameters.get('user'),
      application_name: plan.parameters.get('application_name'),
      tls: this.clientEncrypted,
    });
    void this.connect(plan.parameters);
  }

  private async connect(parameters: ReadonlyMap<string, string>): Promise<void> {
    let upstream: UpstreamConnection;
    try {
      upstream = await this.options.connectUpstream();
    } catch (error) {
      this.log.warn('upstream.unreachable', { address: this.options.upstreamAddress, error: String(error) });
      this.close('upstream unreachable', ProxyError.upstreamUnreachable(this.options.upstreamAddress, error));
      return;
    }
    if (this.state === 'closed') {
      upstream.socket.destroy();
      return;
    }
    this.upstream = upstream;
    upstream.onData(this.onUpstreamData);
    upstream.socket.on('error', (error: Error) => this.log.warn('upstream.error', { error: error.message }));
    upstream.socket.on('close', () => this.onUpstreamClosed());
    upstream.socket.write(encodeStartupMessage(parameters));
    this.state = 'authenticating';
    // From here every client message is typed; bytes that came with the startup packet go first.
    const early = this.clientFramer.drain();
    this.clientFramer = new Framer({ typed: true, maxLength: this.options.maxMessageSize });
    if (early.length > 0) this.onClientData(early);
    this.resumeClient();
  }

  private onUpstreamClosed(): void {
    this.upstreamQueries.abandon(new Error('the upstream connection was lost'));
    if (this.state === 'closed') return;
    if (this.upstreamSentFatal) this.close('upstream ended the session');
    else this.close('upstream connection lost', ProxyError.upstreamLost(this.options.upstreamAddress));
  }

  // ---- upstream frames ---------------------------------------------------------------------

  private readonly onUpstreamFrame = (type: number, buf: Buffer, start: number, end: number): boolean => {
    if (this.upstreamQueries.busy && this.upstreamQueries.onFrame(type, buf, start, end)) return true;
    if (type !== Backend.ReadyForQuery) this.tracker.received(type);
    switch (type) {
      case Backend.ReadyForQuery:
        this.transactionStatus = decodeReadyForQuery(buf, start, end);
        if (this.state === 'authenticating') {
          this.state = 'relaying';
          this.log.info('session.ready');
          break;
        }
        this.tracker.received(type);
        this.upstreamQueries.synced();
        this.clientWorkSinceSync = false;
        if (this.transactionStatus === 'I') this.extended?.transactionEnded();
        break;
      case Backend.ErrorResponse: {
        const severity = decodeFields(buf, start, end).get('V');
        if (severity === 'FATAL' || severity === 'PANIC') this.upstreamSentFatal = true;
        break;
      }
      case Backend.Authentication:
        if (this.state === 'authenticating') return this.onAuthRequest(buf, start, end);
        break;
      case Backend.BackendKeyData:
        if (this.state === 'authenticating') {
          // Clients get the proxy's own key; the upstream's stays here for forwarding cancels.
          this.upstreamKey = decodeBackendKeyData(buf, start, end);
          this.proxyKey = this.options.cancels.issue(this);
          this.sendToClient(encodeBackendKeyData(this.proxyKey));
          return true;
        }
        break;
    }
    this.toClient.add(buf, start, end);
    return true;
  };

  private onAuthRequest(buf: Buffer, start: number, end: number): boolean {
    this.lastAuthCode = decodeAuthCode(buf, start, end);
    const filtered = this.lastAuthCode === AuthCode.SASL ? withoutChannelBinding(buf, start, end) : null;
    if (filtered === null) this.toClient.add(buf, start, end);
    else this.sendToClient(filtered);
    return true;
  }

  // ---- interception ------------------------------------------------------------------------

  /** Answers the current client message with a job; the client's next messages wait for it. */
  private startJob(run: JobRun, skippable: boolean): boolean {
    // PostgreSQL holds extended-query answers until Sync or Flush; the job needs them now.
    if (!this.tracker.idle) this.toUpstream.add(FLUSH, 0, FLUSH.length);
    this.toUpstream.flush();
    this.state = 'intercepting';
    this.client.pause();
    this.jobs.schedule(run, skippable);
    return false;
  }

  private finishJob(status: TransactionStatus | undefined): void {
    if (this.state === 'closed') return;
    if (status !== undefined) this.transactionStatus = status;
    this.toClient.flush();
    this.state = 'relaying';
    if (this.shutdownRequested && this.idle) {
      this.close('shutdown', ProxyError.shuttingDown());
      return;
    }
    const waiting = this.clientFramer.drain();
    if (waiting.length > 0) this.onClientData(waiting);
    // Unless those messages started another job (resumeClient checks the state).
    this.resumeClient();
    this.maybeEnterFast();
  }

  // ---- native fast path --------------------------------------------------------------------

  /**
   * Hands both sockets to the native relay at a quiet moment: logged in, nothing owed, nothing
   * buffered or blocked in either direction, and a client that speaks simple Queries.
   */
  private maybeEnterFast(): void {
    if (!this.fastEligible || this.applyingFastExit || this.state !== 'relaying' || this.fast?.running === true) return;
    if (!this.tracker.idle || this.jobs.active || this.upstreamQueries.busy || this.heldDuringLogin !== null || this.shutdownRequested) return;
    const upstream = this.upstream;
    const client = this.client;
    if (upstream === null || upstream.encrypted || !this.flow.quiet || this.clientFramer.buffered > 0 || this.upstreamFramer.buffered > 0) return;
    if (client.readableLength > 0 || client.isPaused() || client.writableLength > 0 || upstream.socket.writableLength > 0) return;
    if (!this.fastOpened) {
      this.fastOpened = true;
      const markers = this.options.interceptor === null ? [] : this.options.interceptor.markers;
      this.fast = FastPath.open({ client, upstream: upstream.socket, maxMessage: this.options.maxMessageSize, markers }, (exit) => this.onFastExit(exit));
    }
    this.fast?.enter(0, this.transactionStatus.charCodeAt(0));
  }

  /** Takes the session back from the native relay, if it has it, without re-entering. */
  private leaveFast(): void {
    const exit = this.fast?.leave() ?? null;
    if (exit === null) return;
    this.applyingFastExit = true;
    try {
      this.applyFastExit(exit);
    } finally {
      this.applyingFastExit = false;
    }
  }

  private onFastExit(exit: FastRelayExit): void {
    this.log.debug('fast_path.exit', { reason: exit.reason, queries: exit.queries });
    this.applyingFastExit = true;
    try {
      this.applyFastExit(exit);
    } catch (error) {
      this.fail(error);
    } finally {
      this.applyingFastExit = false;
    }
    this.maybeEnterFast();
  }

  /** Brings the JS relay up to date with what the native relay did, then gives it the bytes left over. */
  private applyFastExit(exit: FastRelayExit): void {
    if (exit.reason === 'end of stream' || exit.reason.endsWith('error')) {
      // The JS relay meets the end or error itself on its next read; no point coming back.
      this.fast?.destroy();
      this.fast = null;
    }
    const status = String.fromCharCode(exit.status);
    if (status !== 'I' && status !== 'T' && status !== 'E') throw new ProtocolViolation(`invalid transaction status ${exit.status}`);
    this.transactionStatus = status;
    this.nativeQueries += exit.queries;
    for (let i = 0; i < exit.pending; i++) this.tracker.sent(Frontend.Query);
    // It was entered right after a ReadyForQuery; only its own unanswered Queries count.
    this.clientWorkSinceSync = exit.pending > 0;
    if (exit.queries > 0) this.extended?.forgetUnnamed();
    if (exit.idleEnds > 0) this.extended?.transactionEnded();
    if (exit.toUpstream.length > 0) this.flow.writeUpstream(exit.toUpstream);
    if (exit.toClient.length > 0) this.flow.writeClient(exit.toClient);
    if (exit.upstreamRest.length > 0) this.onUpstreamData(exit.upstreamRest);
    if (exit.clientRest.length > 0) this.onClientData(exit.clientRest);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected state ${JSON.stringify(value)}`);
}
