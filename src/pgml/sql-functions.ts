import { quoteIdent } from '../sql/identifiers.js';
import type { SqlFunction } from '../store/sql-function.js';
import { PGML_FUNCTIONS } from './registry.js';
import type { Overload, Param, PgmlFunction, Returns } from './registry-types.js';

/** The schema of the companions: they mirror pgml.* signatures but return their arguments. */
export const COMPANION_SCHEMA = 'pgml_proxy';

const GUARD = `${COMPANION_SCHEMA}.not_through_proxy`;

/**
 * The SQL the upstream needs for the registry: for every overload a stub `pgml.<fn>` with
 * PostgresML's exact signature (so PostgreSQL resolves calls and `\df pgml.*` lists them) and
 * a companion `pgml_proxy.<fn>` with the same signature that returns `{"o": overload, "a":
 * [arguments...]}` as jsonb. Stubs are LANGUAGE sql (plpgsql refuses an IN parameter named
 * like a result column, e.g. tune's `task`) and VOLATILE (so the planner never evaluates one
 * while planning a statement the proxy relays, e.g. an EXPLAIN).
 */
export function sqlFunctions(functions: readonly PgmlFunction[] = PGML_FUNCTIONS): SqlFunction[] {
  const out: SqlFunction[] = [guardFunction()];
  for (const fn of functions) {
    fn.overloads.forEach((overload, index) => {
      out.push(stub(fn, overload), companion(fn, overload, index));
    });
  }
  return out;
}

/** Raises the error a stub gives when PostgreSQL itself runs it. */
function guardFunction(): SqlFunction {
  const signature = `${GUARD}(function_name text, result_type anyelement)`;
  return {
    signature,
    create: `CREATE OR REPLACE FUNCTION ${signature} RETURNS anyelement LANGUAGE plpgsql VOLATILE AS $pgml_proxy$
BEGIN
  RAISE EXCEPTION '% can only run through pgml-proxy', function_name
    USING ERRCODE = '0A000',
          HINT = 'Connect to pgml-proxy instead of directly to PostgreSQL, and call the function in its own statement (SELECT pgml.f(...) or SELECT * FROM pgml.f(...)): calls inside views, functions or larger queries are not intercepted yet.';
END
$pgml_proxy$`,
  };
}

function stub(fn: PgmlFunction, overload: Overload): SqlFunction {
  const signature = `pgml.${quoteIdent(fn.name)}(${identityArgs(overload.params)})`;
  const guard = `${GUARD}('pgml.${fn.name}()', NULL::${firstResultType(overload.returns)})`;
  const rest = overload.returns.kind === 'table' ? overload.returns.columns.slice(1).map((c) => `, NULL::${c.type.name}`).join('') : '';
  return {
    signature,
    create: `CREATE OR REPLACE FUNCTION pgml.${quoteIdent(fn.name)}(${declaredArgs(overload.params)}) RETURNS ${returnsClause(overload.returns)}
LANGUAGE sql VOLATILE${overload.strict === true ? ' STRICT' : ''} AS $pgml_proxy$ SELECT ${guard}${rest} $pgml_proxy$`,
  };
}

function companion(fn: PgmlFunction, overload: Overload, index: number): SqlFunction {
  const signature = `${COMPANION_SCHEMA}.${quoteIdent(fn.name)}(${identityArgs(overload.params)})`;
  const values = overload.params.map((_, i) => `$${i + 1}`).join(', ');
  return {
    signature,
    // Never STRICT: the proxy applies the stub's strictness itself, knowing the overload.
    create: `CREATE OR REPLACE FUNCTION ${COMPANION_SCHEMA}.${quoteIdent(fn.name)}(${declaredArgs(overload.params)}) RETURNS jsonb
LANGUAGE sql VOLATILE AS $pgml_proxy$ SELECT pg_catalog.jsonb_build_object('o', ${index}, 'a', pg_catalog.jsonb_build_array(${values})) $pgml_proxy$`,
  };
}

function declaredArgs(params: readonly Param[]): string {
  return params.map((p) => `${quoteIdent(p.name)} ${p.type.sql}${p.default === undefined ? '' : ` DEFAULT ${p.default}`}`).join(', ');
}

function identityArgs(params: readonly Param[]): string {
  return params.map((p) => `${quoteIdent(p.name)} ${p.type.sql}`).join(', ');
}

function returnsClause(returns: Returns): string {
  if (returns.kind === 'table') return `TABLE(${returns.columns.map((c) => `${quoteIdent(c.name)} ${c.type.name}`).join(', ')})`;
  return `${returns.setof === true ? 'SETOF ' : ''}${returns.type.name}`;
}

function firstResultType(returns: Returns): string {
  return returns.kind === 'table' ? (returns.columns[0]?.type.name ?? 'text') : returns.type.name;
}
