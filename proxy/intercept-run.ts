import { ProxyError } from './errors.js';
import type { InterceptContext, Interceptor } from './interceptor.js';
import { encodeErrorResponse, encodeReadyForQuery } from './protocol/backend.js';
import type { TransactionStatus } from './protocol/codes.js';

/**
 * Runs one claimed statement and writes its answer, ending with ReadyForQuery. A failure of the
 * interceptor is the statement's ERROR; the session goes on. Resolves to the status reported.
 */
export async function runIntercept(interceptor: Interceptor, sql: string, context: InterceptContext): Promise<TransactionStatus> {
  try {
    const result = await interceptor.execute(sql, context);
    for (const message of result.messages) context.send(message);
    context.send(encodeReadyForQuery(result.transactionStatus));
    return result.transactionStatus;
  } catch (error) {
    const fields =
      error instanceof ProxyError
        ? { ...error.fields, severity: 'ERROR' }
        : context.signal.aborted
          ? { severity: 'ERROR', code: '57014', message: 'canceling statement due to user request' }
          : { severity: 'ERROR', code: 'XX000', message: `pgml-proxy: ${error instanceof Error ? error.message : String(error)}` };
    context.send(encodeErrorResponse(fields));
    // The upstream never saw the statement, so its transaction status is still the truth.
    context.send(encodeReadyForQuery(context.transactionStatus));
    return context.transactionStatus;
  }
}
