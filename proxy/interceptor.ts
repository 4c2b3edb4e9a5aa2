import type { ProxyError } from './errors.js';
import type { NoticeFields } from './protocol/backend.js';
import type { TransactionStatus } from './protocol/codes.js';
import type { UpstreamQueries } from './upstream-queries.js';

/**
 * The seam between the wire protocol and the application. The session offers every simple
 * Query and every Parse to the interceptor; what it does not claim is relayed as raw bytes.
 * A claimed statement is analysed by PostgreSQL itself (so types, overloads and errors are the
 * server's), its arguments are evaluated by PostgreSQL on the client's own session, and the
 * interceptor turns them into result rows.
 */
export interface Interceptor {
  /**
   * ASCII words (matched in any letter case on the raw bytes) one of which is in the text of
   * every statement the interceptor could claim; a Query containing none is relayed without
   * being decoded or offered, by the native relay too (fast-path.ts). null offers every Query.
   */
  readonly markers: readonly string[] | null;
  /**
   * Splits a simple Query into steps, or returns null to relay it untouched. Called for every
   * Query, so it must answer statements without pgml calls in well under a microsecond.
   */
  planQuery(sql: string): QueryPlan | null;
  /** The same for the single statement of a Parse message; null relays the Parse. */
  planStatement(sql: string): CallStep | RejectStep | null;
}

export interface QueryPlan {
  readonly steps: readonly PlanStep[];
}

export type PlanStep = RelayStep | CallStep | RejectStep;

/** An ordinary statement, run on the upstream with its results relayed as they come. */
export interface RelayStep {
  readonly kind: 'relay';
  readonly sql: string;
  /** Character offset of the statement in the Query, to point error positions at the right place. */
  readonly offset: number;
}

/** A statement the interceptor answers. */
export interface CallStep {
  readonly kind: 'call';
  readonly call: InterceptedCall;
  readonly offset: number;
}

/** A statement that is refused with an error (e.g. a pgml call where it is not supported yet). */
export interface RejectStep {
  readonly kind: 'reject';
  readonly error: ProxyError;
  readonly offset: number;
}

export interface InterceptedCall {
  /** The statement as the client wrote it; PostgreSQL analyses it against the SQL stubs. */
  readonly sql: string;
  /** The statement rewritten so its single value is the call's resolved arguments as jsonb. */
  readonly argumentsSql: string;
  /**
   * Produces the result rows from the arguments (the jsonb text; null when a STRICT function
   * got a NULL argument), each value already encoded in the format the client asked for its
   * column. A rejection becomes the statement's ERROR.
   */
  run(argumentsJson: string | null, context: CallContext): Promise<ResultRows>;
}

export type ResultRows = readonly (readonly (Buffer | null)[])[];

export interface CallContext {
  /** The result columns as PostgreSQL described them for the client's statement. */
  readonly columns: readonly { readonly name: string; readonly typeOid: number }[];
  /** Per column: 0 for text, 1 for binary. */
  readonly formats: readonly number[];
  /** Transaction status of the session before this statement. */
  readonly transactionStatus: TransactionStatus;
  /**
   * True when the statement is alone in an implicit transaction: no transaction block is open
   * and nothing of the client's ran since the last Sync. The call may then commit on the client's
   * session (UpstreamQueries.sync()) without committing anything of the client's early, e.g. to
   * make progress visible to other sessions while it runs.
   */
  readonly ownsTransaction: boolean;
  /** Aborted when the client cancels the statement or disconnects. */
  readonly signal: AbortSignal;
  /** The client's upstream session, for reading and writing as the client. */
  readonly upstream: UpstreamQueries;
  /** Sends a NoticeResponse to the client while the call runs. */
  notice(fields: NoticeFields): void;
}

/** Whether `interceptor` might claim the statement text in `buf[start, end)` (see `markers`). */
export function mayClaim(interceptor: Interceptor, buf: Buffer, start: number, end: number): boolean {
  const markers = interceptor.markers;
  if (markers === null) return true;
  for (const marker of markers) if (containsAsciiCaseless(buf, start, end, marker)) return true;
  return false;
}

function containsAsciiCaseless(buf: Buffer, start: number, end: number, word: string): boolean {
  const last = end - word.length;
  outer: for (let i = start; i <= last; i++) {
    for (let j = 0; j < word.length; j++) {
      if (foldAscii(buf[i + j] ?? 0) !== foldAscii(word.charCodeAt(j))) continue outer;
    }
    return true;
  }
  return false;
}

function foldAscii(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
}
