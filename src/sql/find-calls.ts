/**
 * Finds the `pgml.*` function calls in a query string with PostgreSQL's own grammar (libpg-query,
 * DESIGN.md decision 2) and reports where each call and each statement sits in the original text,
 * so callers can splice the text rather than deparse it.
 */
import { loadModule, parseSync, SqlError, type FuncCall, type Node, type ParseResult } from 'libpg-query';
import { isIdentStart, skipTrivia, tokenEnd } from './lexer.js';
import { MAX_NESTING, nestingEstimate } from './nesting.js';
import type { ParsedQuery, ParsedStatement, PgmlCall } from './parsed-query.js';
import { statementShape } from './shape.js';
import { byteToIndex, type ByteToIndex } from './utf8-offsets.js';

export type { ParsedQuery, ParsedStatement, PgmlCall, StatementShape } from './parsed-query.js';

let loading: Promise<void> | undefined;
let loaded = false;
/** Set when the parser failed from inside its WASM module: its memory can no longer be trusted. */
let broken: string | undefined;

/** Loads the parser's WASM module; the app awaits this once at start, before findPgmlCalls. */
export async function loadSqlParser(): Promise<void> {
  loading ??= loadModule().then(
    () => void (loaded = true),
    (error: unknown) => {
      loading = undefined; // let a later call retry
      throw error;
    },
  );
  await loading;
}

/** PostgreSQL's scanner whitespace only: an all-blank query is an empty query, not an error. */
const BLANK = /^[ \t\n\r\f\v]*$/;

/**
 * Splits `sql` into statements and finds the pgml calls in each. A text the parser rejects
 * gives `{ ok: false }` (the proxy relays it so PostgreSQL reports the error in its own words).
 * Throws only when loadSqlParser() has not finished, which is a wiring bug, not bad input.
 */
export function findPgmlCalls(sql: string): ParsedQuery {
  if (!loaded) throw new Error('findPgmlCalls() before loadSqlParser() resolved');
  if (BLANK.test(sql)) return { ok: true, statements: [] };
  // parseSync() refuses text JS's trim() empties (e.g. only U+00A0) without a SqlError;
  // PostgreSQL calls it a syntax error.
  if (sql.trim() === '') return { ok: false, error: 'syntax error: the query has only non-ASCII spaces' };
  // The parser reads a C string; the wire protocol cannot carry a zero byte inside a query.
  if (sql.includes('\0')) return { ok: false, error: 'query text contains a zero byte' };
  const toIndex = byteToIndex(sql);
  if (toIndex === null) return { ok: false, error: 'query text is not valid Unicode (lone surrogate)' };
  if (broken !== undefined) return { ok: false, error: broken };
  if (nestingEstimate(sql) > MAX_NESTING) return { ok: false, error: 'query nests too deeply to look for pgml calls' };
  let tree: ParseResult;
  try {
    tree = parseSync(sql) as ParseResult;
  } catch (error) {
    // A syntax error, which PostgreSQL will report in its own words.
    if (error instanceof SqlError) return { ok: false, error: error.message };
    // Anything else is a trap or an exhausted stack inside the module (see nesting.ts): later
    // parses would fail or misread, so stop parsing; statements are relayed and reach the stubs.
    broken = `the SQL parser failed internally and is disabled until restart (${String(error)})`;
    return { ok: false, error: broken };
  }
  const statements: ParsedStatement[] = [];
  for (const raw of tree.stmts ?? []) {
    const byteStart = raw.stmt_location ?? 0; // absent means 0: the JSON omits zero values
    const start = skipTrivia(sql, toIndex(byteStart));
    // stmt_len absent or 0 means "to the end of the text" (the last statement).
    const rawEnd = raw.stmt_len ? toIndex(byteStart + raw.stmt_len) : sql.length;
    const located = locateCalls(sql, raw.stmt, toIndex);
    if (typeof located === 'string') return { ok: false, error: located };
    const calls = [...located.values()].sort((a, b) => a.start - b.start);
    const kind = raw.stmt === undefined ? '' : (Object.keys(raw.stmt)[0] ?? '');
    statements.push({ start, end: lastTokenEnd(sql, start, rawEnd), kind, calls, shape: statementShape(raw.stmt, located) });
  }
  return { ok: true, statements };
}

/** The pgml FuncCall nodes of one statement, each with its place in the text, or an error. */
function locateCalls(sql: string, stmt: Node | undefined, toIndex: ByteToIndex): Map<FuncCall, PgmlCall> | string {
  const found = collectPgmlFuncCalls(stmt);
  // Ascending byte order keeps the offset conversion a single pass over the text.
  found.sort((a, b) => (a.location ?? 0) - (b.location ?? 0));
  const calls = new Map<FuncCall, PgmlCall>();
  for (const node of found) {
    const fn = pgmlFunctionName(node) ?? '';
    const start = toIndex(node.location ?? 0);
    const schemaEnd = tokenEnd(sql, start);
    const end = callEnd(sql, schemaEnd);
    // Either would mean the parser's location did not point at this call: refuse rather than
    // let a caller splice the wrong text.
    if (node.location === undefined || node.location < 0 || !isPgmlToken(sql.slice(start, schemaEnd)) || end === -1) {
      return `cannot locate the call to pgml.${fn} in the query text`;
    }
    calls.set(node, { fn, start, end, schemaStart: start, schemaEnd });
  }
  return calls;
}

/**
 * Every FuncCall named pgml.<fn> under `root`, found generically (any node that has a FuncCall
 * key: expressions, subqueries, CTEs, arguments, FROM items) so no statement kind is missed.
 * Iterative, because the parser accepts nesting deep enough to overflow a recursive walk.
 */
function collectPgmlFuncCalls(root: unknown): FuncCall[] {
  const found: FuncCall[] = [];
  const stack: unknown[] = [root];
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) stack.push(item);
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const child = record[key];
      if (typeof child !== 'object' || child === null) continue;
      // JSON from the parser: a FuncCall key always holds a FuncCall node.
      const call: FuncCall = child;
      if (key === 'FuncCall' && pgmlFunctionName(call) !== null) found.push(call);
      stack.push(child);
    }
  }
  return found;
}

/** `fn` when the call's name is exactly two parts, pgml and fn; else null. */
function pgmlFunctionName(call: FuncCall): string | null {
  const parts = call.funcname;
  if (parts?.length !== 2) return null;
  const [schema, fn] = parts;
  if (schema === undefined || fn === undefined || !('String' in schema) || !('String' in fn)) return null;
  return schema.String.sval === 'pgml' ? (fn.String.sval ?? null) : null;
}

/** The schema token as the parser's location found it: pgml in any case, "pgml", or U&"...". */
function isPgmlToken(token: string): boolean {
  return token.toLowerCase() === 'pgml' || token === '"pgml"' || /^u&"/i.test(token);
}

/**
 * Past the `)` that closes the call whose qualified name continues at `i`: steps over the rest
 * of the name (dots, identifiers, trivia), then matches parentheses token by token so none
 * inside a literal, quoted identifier, comment or dollar quote counts. -1 if the text ends first.
 */
function callEnd(sql: string, i: number): number {
  for (i = skipTrivia(sql, i); sql[i] !== '('; i = skipTrivia(sql, i)) {
    const char = sql[i];
    if (char === '.') i++;
    else if (char !== undefined && (char === '"' || isIdentStart(char.charCodeAt(0)))) i = tokenEnd(sql, i);
    else return -1;
  }
  let depth = 0;
  for (; i < sql.length; i = skipTrivia(sql, i)) {
    const char = sql[i];
    if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return i + 1;
    i = tokenEnd(sql, i);
  }
  return -1;
}

/** The end of the last token in [start, end): trims trailing whitespace and comments. */
function lastTokenEnd(sql: string, start: number, end: number): number {
  let last = start;
  for (let i = skipTrivia(sql, start); i < end; i = skipTrivia(sql, i)) {
    i = tokenEnd(sql, i);
    last = Math.min(i, end);
  }
  return last;
}
