import type { TransactionStatus } from './protocol/codes.js';

/** What a session tells an interceptor while it answers a statement. */
export interface InterceptContext {
  /** Transaction status of the upstream session before this statement. */
  readonly transactionStatus: TransactionStatus;
  /** Aborted when the client sends a CancelRequest for this session or disconnects. */
  readonly signal: AbortSignal;
  /** Sends a message (e.g. a NoticeResponse) to the client while the statement runs. */
  send(message: Buffer): void;
}

/**
 * The seam between the wire protocol and the application: a session offers each simple Query
 * to the interceptor; a claimed one is answered by the interceptor instead of the upstream.
 * Everything unclaimed is relayed as raw bytes.
 */
export interface Interceptor {
  /** Cheap and synchronous; called for every simple Query, so ordinary traffic must answer fast. */
  claims(sql: string): boolean;
  /**
   * Produces the full answer to a claimed Query — every message before ReadyForQuery — and the
   * transaction status to report. The session runs it only once the upstream has answered all
   * earlier requests, so responses stay in order. A rejection becomes an ERROR, not a FATAL.
   */
  execute(sql: string, context: InterceptContext): Promise<InterceptResult>;
}

export interface InterceptResult {
  readonly messages: readonly Buffer[];
  readonly transactionStatus: TransactionStatus;
}
