import { ProxyError } from '../../proxy/errors.js';
import type { CallStep, Interceptor, PlanStep, QueryPlan, RejectStep } from '../../proxy/interceptor.js';
import { findPgmlCalls, type ParsedStatement, type PgmlCall } from '../sql/find-calls.js';
import { mightCallPgml } from '../sql/prefilter.js';
import { PgmlCallHandler } from './call.js';
import { PGML_FUNCTIONS } from './registry.js';
import type { PgmlFunction, Services } from './registry-types.js';
import { COMPANION_SCHEMA } from './sql-functions.js';

/**
 * Statements that run what they contain. A pgml call inside one of them (other than the two
 * shapes the proxy answers) would reach the SQL stub and fail, so it is refused up front with a
 * clearer message. Other statements (CREATE VIEW, EXPLAIN, ...) go to PostgreSQL untouched.
 */
const EXECUTING = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CreateTableAsStmt', 'CopyStmt', 'DeclareCursorStmt', 'CallStmt']);

/** Finds the pgml.* calls this proxy serves and plans how each statement is answered. */
export class PgmlInterceptor implements Interceptor {
  /** mightCallPgml() needs `pgml` (any case; /i never folds non-ASCII to ASCII) or a U&"..." identifier. */
  readonly markers = ['pgml', '&"'];
  private readonly functions: ReadonlyMap<string, PgmlFunction>;
  private readonly served = (call: PgmlCall): boolean => this.functions.has(call.fn);

  constructor(
    private readonly services: Services,
    functions: readonly PgmlFunction[] = PGML_FUNCTIONS,
  ) {
    this.functions = new Map(functions.map((f) => [f.name, f]));
  }

  planQuery(sql: string): QueryPlan | null {
    const statements = this.parse(sql);
    if (statements === null) return null;
    let offset = 0;
    let counted = 0;
    const steps = statements.map((statement): PlanStep => {
      // Error positions count characters (code points), not UTF-16 units.
      offset += codePoints(sql, counted, statement.start);
      counted = statement.start;
      return this.plan(sql, statement, offset) ?? { kind: 'relay', sql: sql.slice(statement.start, statement.end), offset };
    });
    return { steps };
  }

  planStatement(sql: string): CallStep | RejectStep | null {
    const statements = this.parse(sql);
    const only = statements?.length === 1 ? statements[0] : undefined;
    // Several statements in one Parse is PostgreSQL's error to give.
    return only === undefined ? null : this.plan(sql, only, 0);
  }

  /** The query's statements when at least one calls a served pgml function; else null. */
  private parse(sql: string): readonly ParsedStatement[] | null {
    if (!mightCallPgml(sql)) return null;
    const parsed = findPgmlCalls(sql);
    // A syntax error is PostgreSQL's to report, with its own message and position.
    if (!parsed.ok) return null;
    return parsed.statements.some((s) => s.calls.some(this.served)) ? parsed.statements : null;
  }

  private plan(sql: string, statement: ParsedStatement, offset: number): CallStep | RejectStep | null {
    const calls = statement.calls.filter(this.served);
    if (calls.length === 0) return null;
    const { shape } = statement;
    if (shape.kind !== 'other' && calls.length === 1 && calls[0] === shape.call) {
      const fn = this.functions.get(shape.call.fn);
      if (fn !== undefined) {
        const text = sql.slice(statement.start, statement.end);
        const call = new PgmlCallHandler(fn, text, `SELECT ${companionCall(sql, shape.call)}`, this.services);
        return { kind: 'call', call, offset };
      }
    }
    if (!EXECUTING.has(statement.kind)) return null;
    const name = calls[0]?.fn ?? '';
    return {
      kind: 'reject',
      offset,
      error: new ProxyError({
        severity: 'ERROR',
        code: '0A000',
        message: `pgml.${name}() can only be called in its own statement for now`,
        detail: 'pgml-proxy answers SELECT pgml.f(...) and SELECT * FROM pgml.f(...); calls inside larger queries are not supported yet.',
        hint: `Run the call on its own, e.g. SELECT pgml.${name}(...);`,
      }),
    };
  }
}

/** The call's text with its schema pointed at the companion: same arguments, same `$n`. */
function companionCall(sql: string, call: PgmlCall): string {
  return sql.slice(call.start, call.schemaStart) + COMPANION_SCHEMA + sql.slice(call.schemaEnd, call.end);
}

function codePoints(sql: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = sql.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate belongs to the character before it
  }
  return n;
}
