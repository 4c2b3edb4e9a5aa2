import { ProxyError } from './errors.js';
import type { InterceptedCall, ResultRows } from './interceptor.js';
import { encodeErrorResponse, encodeNoticeResponse } from './protocol/backend.js';
import type { TransactionStatus } from './protocol/codes.js';
import {
  decodeDataRow,
  decodeRowDescription,
  encodeCommandComplete,
  encodeDataRow,
  type BoundParameters,
} from './protocol/extended.js';
import { withPositionShifted } from './protocol/fields.js';
import { UpstreamError, type Described, type UpstreamQueries } from './upstream-queries.js';

/** What a session lends to the proxy's own work on one client request. */
export interface JobContext {
  readonly upstream: UpstreamQueries;
  readonly signal: AbortSignal;
  readonly transactionStatus: TransactionStatus;
  /** See CallContext.ownsTransaction. */
  readonly ownsTransaction: boolean;
  /** Sends a message to the client, after everything sent before it. */
  send(message: Buffer): void;
}

export interface CallInput {
  readonly parameterTypes: readonly number[];
  readonly parameters: BoundParameters;
  /** Per result column: 0 text, 1 binary. */
  readonly formats: readonly number[];
}

/**
 * Evaluates the call's arguments on the client's session (the companion function returns them
 * as jsonb, with the client's parameters bound) and runs the call. Returns the rows, encoded.
 */
export async function resolveAndRun(call: InterceptedCall, described: Described, input: CallInput, context: JobContext): Promise<ResultRows> {
  const resolved = await context.upstream.query(call.argumentsSql, {
    parameterTypes: input.parameterTypes,
    parameters: input.parameters,
    resultFormats: [0],
  });
  const first = resolved.rows[0];
  const value = first === undefined ? null : (decodeDataRow(first, 0, first.length)[0] ?? null);
  const columns =
    described.rowDescription === null
      ? []
      : decodeRowDescription(described.rowDescription, 0, described.rowDescription.length).map((f) => ({ name: f.name, typeOid: f.typeOid }));
  context.signal.throwIfAborted();
  return call.run(value === null ? null : value.toString('utf8'), {
    columns,
    formats: input.formats,
    transactionStatus: context.transactionStatus,
    ownsTransaction: context.ownsTransaction,
    signal: context.signal,
    upstream: context.upstream,
    notice: (fields) => context.send(encodeNoticeResponse(fields)),
  });
}

/** Sends rows as DataRows, then (unless a portal is only suspended) CommandComplete `SELECT n`. */
export function sendRows(rows: ResultRows, context: JobContext, complete = true): void {
  for (const row of rows) context.send(encodeDataRow(row));
  if (complete) context.send(encodeCommandComplete(`SELECT ${rows.length}`));
}

/**
 * The ErrorResponse a failure becomes: the upstream's own bytes (position moved to where the
 * statement sits in the client's text), the proxy's error, or a cancel.
 */
export function errorResponseFor(error: unknown, offset: number, signal: AbortSignal): Buffer {
  if (error instanceof UpstreamError) return offset === 0 ? error.raw : withPositionShifted(error.raw, offset);
  if (error instanceof ProxyError) return encodeErrorResponse({ ...error.fields, severity: 'ERROR' });
  if (signal.aborted) return encodeErrorResponse({ severity: 'ERROR', code: '57014', message: 'canceling statement due to user request' });
  const message = error instanceof Error ? error.message : String(error);
  return encodeErrorResponse({ severity: 'ERROR', code: 'XX000', message: `pgml-proxy: ${message}` });
}

/**
 * After an error the proxy raised itself, makes the upstream fail too, so the client's
 * transaction ends exactly as PostgreSQL would end it: an explicit block is marked failed, an
 * implicit one (a multi-statement Query, an extended-protocol batch) rolls back at Sync.
 */
export async function failUpstreamTransaction(upstream: UpstreamQueries, error: unknown): Promise<void> {
  if (upstream.discarding || error instanceof UpstreamError) return;
  const reason = (error instanceof Error ? error.message : String(error)).replaceAll('$', '');
  try {
    await upstream.query(`DO $pgml_proxy$BEGIN RAISE EXCEPTION 'pgml-proxy: aborting the transaction after an error in a pgml call: %', $reason$${reason}$reason$; END$pgml_proxy$`);
  } catch {
    // Expected: the exception is the point.
  }
}

export type { Described };
