import { errorResponseFor, failUpstreamTransaction, resolveAndRun, sendRows, type JobContext } from './call-runner.js';
import type { QueryPlan } from './interceptor.js';
import { encodeReadyForQuery } from './protocol/backend.js';
import type { TransactionStatus } from './protocol/codes.js';

const NO_PARAMETERS = { formats: [], values: [] };

/**
 * Answers a simple Query that calls pgml functions, statement by statement in the client's
 * order: ordinary statements run on the upstream with their results relayed, calls are
 * answered by the interceptor. Like PostgreSQL, the first error ends the string and the whole
 * string is one implicit transaction (its statements run without Sync until the end).
 * Resolves to the transaction status sent in the closing ReadyForQuery.
 */
export async function runQueryPlan(plan: QueryPlan, context: JobContext): Promise<TransactionStatus> {
  for (const [index, step] of plan.steps.entries()) {
    // Later statements share the implicit transaction with what ran before them in the string.
    const stepContext = index === 0 ? context : { ...context, ownsTransaction: false };
    try {
      context.signal.throwIfAborted();
      if (step.kind === 'relay') {
        await context.upstream.query(step.sql, { relay: true });
      } else if (step.kind === 'reject') {
        throw step.error;
      } else {
        const described = await context.upstream.describe(step.call.sql);
        const columns = described.rowDescription === null ? 0 : described.rowDescription.readInt16BE(5);
        const formats = new Array<number>(columns).fill(0);
        const rows = await resolveAndRun(step.call, described, { parameterTypes: [], parameters: NO_PARAMETERS, formats }, stepContext);
        if (described.rowDescription !== null) context.send(described.rowDescription);
        sendRows(rows, context);
      }
    } catch (error) {
      context.send(errorResponseFor(error, step.offset, context.signal));
      await failUpstreamTransaction(context.upstream, error);
      break;
    }
  }
  const status = await context.upstream.sync();
  context.send(encodeReadyForQuery(status));
  return status;
}
