/**
 * Recognises the two statement forms the proxy answers entirely by itself: a lone call in the
 * select list, and `SELECT *` from a lone call. Anything more (a FROM table, WHERE, a second
 * column, a CTE...) needs the upstream's help and is `other`.
 *
 * The checks are allow-lists of the keys a node may carry: libpg-query's JSON omits fields that
 * hold their default, so any extra key is a clause (DISTINCT, LIMIT, ORDINALITY...) the simple
 * answer would ignore. A new clause in a future grammar then falls to `other`, never to a wrong result.
 */
import type { FuncCall, Node, SelectStmt } from 'libpg-query';
import type { PgmlCall, StatementShape } from './parsed-query.js';

const OTHER: StatementShape = { kind: 'other' };

/** `stmt`'s shape, given the pgml calls found in it (keyed by their node). */
export function statementShape(stmt: Node | undefined, calls: ReadonlyMap<FuncCall, PgmlCall>): StatementShape {
  if (stmt === undefined || !('SelectStmt' in stmt)) return OTHER;
  const select = stmt.SelectStmt;
  if (!onlyKeys(select, 'targetList', 'fromClause', 'op', 'limitOption')) return OTHER;
  if (select.op !== 'SETOP_NONE' || (select.limitOption ?? 'LIMIT_OPTION_DEFAULT') !== 'LIMIT_OPTION_DEFAULT') return OTHER;
  const target = single(select.targetList);
  if (target === undefined || !('ResTarget' in target)) return OTHER;
  const { name, val } = target.ResTarget;
  if (!onlyKeys(target.ResTarget, 'name', 'val', 'location') || val === undefined) return OTHER;
  if (select.fromClause === undefined) {
    const call = 'FuncCall' in val ? plainCall(val.FuncCall, calls) : undefined;
    // PostgreSQL names a function's result column after the function (FigureColname).
    return call === undefined ? OTHER : { kind: 'select-call', call, column: name ?? call.fn };
  }
  if (name !== undefined || !isStar(val)) return OTHER;
  const call = fromCall(select, calls);
  return call === undefined ? OTHER : { kind: 'select-from-call', call };
}

/** The call of `FROM pgml.f(...) [[AS] alias]`, the statement's only FROM item. */
function fromCall(select: SelectStmt, calls: ReadonlyMap<FuncCall, PgmlCall>): PgmlCall | undefined {
  const from = single(select.fromClause);
  if (from === undefined || !('RangeFunction' in from)) return undefined;
  const range = from.RangeFunction;
  // No LATERAL, ROWS FROM, WITH ORDINALITY or column definition list; an alias without column
  // names leaves the result's columns as they are.
  if (!onlyKeys(range, 'functions', 'alias') || (range.alias !== undefined && !onlyKeys(range.alias, 'aliasname'))) return undefined;
  // Each function is a two-item List: the call, and its column definitions ({} when none).
  const item = single(range.functions);
  if (item === undefined || !('List' in item)) return undefined;
  const [fn, coldefs, ...rest] = item.List.items ?? [];
  if (fn === undefined || !('FuncCall' in fn) || rest.length > 0) return undefined;
  if (coldefs !== undefined && Object.keys(coldefs).length > 0) return undefined;
  return plainCall(fn.FuncCall, calls);
}

/** The pgml call `node` is, when it is a plain call: no OVER, FILTER, ORDER BY, DISTINCT, VARIADIC or `*`. */
function plainCall(node: FuncCall, calls: ReadonlyMap<FuncCall, PgmlCall>): PgmlCall | undefined {
  if (!onlyKeys(node, 'funcname', 'args', 'funcformat', 'location') || node.funcformat !== 'COERCE_EXPLICIT_CALL') return undefined;
  return calls.get(node);
}

/** `*` as a select-list entry: a ColumnRef whose only field is A_Star. */
function isStar(val: Node): boolean {
  if (!('ColumnRef' in val)) return false;
  const field = single(val.ColumnRef.fields);
  return field !== undefined && 'A_Star' in field;
}

function single<T>(list: readonly T[] | undefined): T | undefined {
  return list?.length === 1 ? list[0] : undefined;
}

function onlyKeys(node: object, ...allowed: string[]): boolean {
  return Object.keys(node).every((key) => allowed.includes(key));
}
