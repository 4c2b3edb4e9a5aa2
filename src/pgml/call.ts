import type { CallContext, InterceptedCall, ResultRows } from '../../proxy/interceptor.js';
import { resolveArguments } from './arguments.js';
import type { Output, PgmlFunction, Services } from './registry-types.js';
import { encodeOutput } from './results.js';

/** One intercepted `pgml.<fn>(...)` statement: its texts for PostgreSQL, and its dispatch. */
export class PgmlCallHandler implements InterceptedCall {
  constructor(
    readonly fn: PgmlFunction,
    readonly sql: string,
    readonly argumentsSql: string,
    private readonly services: Services,
  ) {}

  async run(argumentsJson: string | null, context: CallContext): Promise<ResultRows> {
    const { overload, args } = resolveArguments(this.fn, argumentsJson ?? 'null');
    if (overload.strict === true && Object.values(args).some((value) => value === null)) {
      // PostgreSQL's STRICT rule: a NULL argument gives NULL (no rows for a set) without a call.
      const scalar = overload.returns.kind === 'scalar' && overload.returns.setof !== true;
      return scalar ? [context.columns.map(() => null)] : [];
    }
    const output: Output = await overload.handler(args, {
      signal: context.signal,
      transactionStatus: context.transactionStatus,
      ownsTransaction: context.ownsTransaction,
      upstream: context.upstream,
      services: this.services,
      notice: (fields) => context.notice({ severity: 'NOTICE', code: '00000', ...fields }),
    });
    return encodeOutput(overload.returns, output, context);
  }
}
