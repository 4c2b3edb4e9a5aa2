import { Backend, type TransactionStatus } from './protocol/codes.js';
import { decodeFields, decodeReadyForQuery } from './protocol/backend.js';
import {
  decodeCommandComplete,
  encodeBind,
  encodeClose,
  encodeCopyFail,
  encodeDescribe,
  encodeExecute,
  encodeParse,
  FLUSH,
  SYNC,
  type BoundParameters,
} from './protocol/extended.js';

/** An ErrorResponse from the upstream to one of the proxy's own queries, bytes kept as sent. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly raw: Buffer,
    readonly fields: ReadonlyMap<string, string>,
  ) {
    super(fields.get('M') ?? 'upstream error');
  }

  get code(): string {
    return this.fields.get('C') ?? 'XX000';
  }
}

export interface Described {
  /** The ParameterDescription message, as PostgreSQL sent it. */
  readonly parameterDescription: Buffer;
  /** The RowDescription message, or null for NoData. */
  readonly rowDescription: Buffer | null;
}

export interface QueryOutput {
  readonly rowDescription: Buffer | null;
  /** DataRow messages, as sent (only when collecting). */
  readonly rows: readonly Buffer[];
  readonly commandTag: string;
}

export interface QueryOptions {
  readonly parameterTypes?: readonly number[];
  readonly parameters?: BoundParameters;
  readonly resultFormats?: readonly number[];
  /** Relay the result messages to the client instead of collecting them. */
  readonly relay?: boolean;
  /**
   * Receives each DataRow message (type byte and length included) instead of collecting it:
   * `buf[start, end)` is only valid during the call (it is the socket's buffer), so copy what you keep.
   */
  readonly onRow?: (buf: Buffer, start: number, end: number) => void;
}

const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]); // 'c'

function copyDataHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(5);
  header[0] = 0x64; // 'd'
  header.writeInt32BE(length + 4, 1);
  return header;
}

/** Names no client is expected to use, so the proxy's queries never clobber the client's. */
const STATEMENT = 'pgml_proxy_statement';
const PORTAL = 'pgml_proxy_portal';
const NO_PARAMETERS: BoundParameters = { formats: [], values: [] };

interface Pending {
  readonly kind: 'describe' | 'query' | 'sync' | 'copy';
  readonly relay: boolean;
  readonly onRow: QueryOptions['onRow'];
  parameterDescription: Buffer | null;
  rowDescription: Buffer | null;
  readonly rows: Buffer[];
  resolve(value: Described | QueryOutput | TransactionStatus): void;
  reject(error: Error): void;
  /** COPY FROM STDIN: the server is ready for data. */
  copyReady?: () => void;
}

/**
 * Runs the proxy's own statements on a client's upstream session, between the client's
 * requests: one at a time, each ended by Flush rather than Sync, so they join the client's
 * transaction (implicit or explicit) instead of committing it. An error leaves the server
 * discarding messages until a Sync, exactly as after a failed client message; the caller then
 * stops and lets a Sync end the group. Notices and notifications go to the client as they come.
 */
export class UpstreamQueries {
  private pending: Pending | null = null;
  private failed = false;
  /** CommandComplete's tag once the Execute finished; the trailing Close then completes it. */
  private completedTag: string | null = null;
  private closed: Error | null = null;

  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly toClient: (buf: Buffer, start: number, end: number) => void,
    /** Resolves once the upstream socket can take more (COPY streams respect backpressure). */
    private readonly drained: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** True while a statement of the proxy's own is waiting for its answer. */
  get busy(): boolean {
    return this.pending !== null;
  }

  /** True after an error until sync(): the server ignores everything else meanwhile. */
  get discarding(): boolean {
    return this.failed;
  }

  /** Parse + Describe: PostgreSQL's own analysis of `sql` (parameter and result types, errors). */
  describe(sql: string, parameterTypes: readonly number[] = []): Promise<Described> {
    return this.start('describe', false, undefined, [
      encodeClose('S', STATEMENT),
      encodeParse(STATEMENT, sql, parameterTypes),
      encodeDescribe('S', STATEMENT),
      FLUSH,
    ]) as Promise<Described>;
  }

  query(sql: string, options: QueryOptions = {}): Promise<QueryOutput> {
    // Closing the statement does not close a named portal made from it: close both first, and
    // the portal after (its CloseComplete marks the end of this query's answers).
    return this.start('query', options.relay === true, options.onRow, [
      encodeClose('S', STATEMENT),
      encodeClose('P', PORTAL),
      encodeParse(STATEMENT, sql, options.parameterTypes ?? []),
      encodeBind(PORTAL, STATEMENT, options.parameters ?? NO_PARAMETERS, options.resultFormats ?? []),
      encodeDescribe('P', PORTAL),
      encodeExecute(PORTAL, 0),
      encodeClose('P', PORTAL),
      FLUSH,
    ]) as Promise<QueryOutput>;
  }

  /**
   * Runs a `COPY ... FROM STDIN` statement, streaming `chunks` (COPY text or binary data) to it
   * as CopyData at the pace the upstream takes them. Resolves to the command tag (`COPY n`).
   * If `chunks` fails, the COPY is aborted with CopyFail and that error is thrown.
   */
  async copyIn(sql: string, chunks: AsyncIterable<Buffer>): Promise<string> {
    let ready: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (ready = resolve));
    const done = this.start('copy', false, undefined, [
      encodeClose('S', STATEMENT),
      encodeClose('P', PORTAL),
      encodeParse(STATEMENT, sql, []),
      encodeBind(PORTAL, STATEMENT, NO_PARAMETERS, []),
      encodeExecute(PORTAL, 0),
      FLUSH,
    ], ready) as Promise<QueryOutput>;
    await Promise.race([started, done]);
    const copy = this.pending;
    try {
      for await (const chunk of chunks) {
        if (this.pending !== copy) break; // the server reported an error: `done` has it
        this.write(copyDataHeader(chunk.length));
        this.write(chunk);
        await this.drained();
      }
    } catch (error) {
      if (this.pending === copy) this.write(Buffer.concat([encodeCopyFail(`pgml-proxy: ${String(error)}`), FLUSH]));
      await done.catch(() => undefined);
      throw error;
    }
    if (this.pending === copy) this.write(Buffer.concat([COPY_DONE, encodeClose('P', PORTAL), FLUSH]));
    return (await done).commandTag;
  }

  /** Ends the group (commits an implicit transaction); resolves to the transaction status. */
  sync(): Promise<TransactionStatus> {
    return this.start('sync', false, undefined, [SYNC]) as Promise<TransactionStatus>;
  }

  /** Feeds a backend message while busy; returns false when it was not for this runner. */
  onFrame(type: number, buf: Buffer, start: number, end: number): boolean {
    const p = this.pending;
    if (p === null) return false;
    switch (type) {
      case Backend.ParseComplete:
      case Backend.BindComplete:
      case Backend.CloseComplete:
        if (type === Backend.CloseComplete && (p.kind === 'query' || p.kind === 'copy') && this.completedTag !== null) {
          this.finish({ rowDescription: p.rowDescription, rows: p.rows, commandTag: this.completedTag });
        }
        return true;
      case Backend.ParameterDescription:
        p.parameterDescription = Buffer.from(buf.subarray(start, end));
        return true;
      case Backend.RowDescription:
      case Backend.NoData: {
        const row = type === Backend.RowDescription ? Buffer.from(buf.subarray(start, end)) : null;
        if (p.kind === 'describe') {
          this.finish({ parameterDescription: p.parameterDescription ?? Buffer.alloc(0), rowDescription: row });
        } else {
          p.rowDescription = row;
          if (p.relay && row !== null) this.toClient(buf, start, end);
        }
        return true;
      }
      case Backend.DataRow:
        if (p.relay) this.toClient(buf, start, end);
        else if (p.onRow !== undefined) p.onRow(buf, start, end);
        else p.rows.push(Buffer.from(buf.subarray(start, end)));
        return true;
      case Backend.CommandComplete:
      case Backend.EmptyQueryResponse:
        // Complete once the trailing Close is answered, so the statement name is free again.
        this.completedTag = type === Backend.CommandComplete ? decodeCommandComplete(buf, start, end) : '';
        if (p.relay) this.toClient(buf, start, end);
        return true;
      case Backend.CopyInResponse:
        if (p.copyReady !== undefined) {
          p.copyReady();
          return true;
        }
        // The client is not sending COPY data in the middle of the proxy's work; refuse cleanly.
        this.write(encodeCopyFail('COPY FROM STDIN cannot run in the same query string as a pgml function call; send it as its own query'));
        this.write(FLUSH);
        return true;
      case Backend.ErrorResponse:
        this.failed = true;
        this.fail(new UpstreamError(Buffer.from(buf.subarray(start, end)), decodeFields(buf, start, end)));
        return true;
      case Backend.ReadyForQuery:
        this.failed = false;
        this.finish(decodeReadyForQuery(buf, start, end));
        return true;
      default:
        // Notices, notifications, ParameterStatus, COPY TO STDOUT traffic: the client's to see.
        this.toClient(buf, start, end);
        return true;
    }
  }

  /** A ReadyForQuery reached the client (its own Sync): the server listens again. */
  synced(): void {
    this.failed = false;
  }

  /** The upstream went away: whoever waits gets the error, and later calls fail at once. */
  abandon(error: Error): void {
    this.closed = error;
    this.fail(error);
  }

  private start(
    kind: Pending['kind'],
    relay: boolean,
    onRow: QueryOptions['onRow'],
    messages: readonly Buffer[],
    copyReady?: () => void,
  ): Promise<Described | QueryOutput | TransactionStatus> {
    if (this.closed !== null) return Promise.reject(this.closed);
    if (this.pending !== null) return Promise.reject(new Error('pgml-proxy: an upstream query is already running'));
    if (this.failed && kind !== 'sync') {
      return Promise.reject(new Error('pgml-proxy: the upstream is discarding messages until Sync after an error'));
    }
    return new Promise((resolve, reject) => {
      this.completedTag = null;
      this.pending = { kind, relay, onRow, parameterDescription: null, rowDescription: null, rows: [], resolve, reject, ...(copyReady ? { copyReady } : {}) };
      this.write(Buffer.concat(messages));
    });
  }

  private finish(value: Described | QueryOutput | TransactionStatus): void {
    const p = this.pending;
    this.pending = null;
    this.completedTag = null;
    p?.resolve(value);
  }

  private fail(error: Error): void {
    const p = this.pending;
    this.pending = null;
    this.completedTag = null;
    p?.reject(error);
  }
}
