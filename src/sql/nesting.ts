/**
 * libpg-query turns the parse tree into JSON with recursive code inside its WASM module. A tree
 * deep enough to exhaust the stack there (about 10 000 chained operators, or 3 000 nested
 * subqueries, measured with 17.7.3) throws a RangeError and leaves the module's memory corrupt:
 * every later parse in the process fails. Such text is never worth parsing (PostgreSQL answers
 * it with "stack depth limit exceeded" or plans it without help), so findPgmlCalls() declines
 * text whose tree *could* be that deep, judged from its tokens before the parser sees it.
 */
import { isIdentStart, skipTrivia, tokenEnd } from './lexer.js';

/** A third of the smallest failing estimate measured: ~12 000, for 3 000 nested subqueries. */
export const MAX_NESTING = 4000;

// Items of a flat list: the grammar gathers AND/OR chains and CASE arms into one node, so they
// do not nest however many there are (a 10 000-term OR list parses fine).
const SEPARATORS = new Set([',', ';', 'and', 'or', 'when', 'then', 'else']);

/**
 * A pessimistic bound on the parse tree's depth: along the innermost bracket path, 3 for each
 * open bracket (a subquery costs several tree levels) plus every token since the last list
 * separator at each level (a chain like 1+1+1 or x::a::b nests one level per operator).
 */
export function nestingEstimate(sql: string): number {
  const outer: number[] = []; // the run of tokens at each enclosing bracket level
  let run = 0;
  let depth = 0;
  let deepest = 0;
  for (let i = skipTrivia(sql, 0); i < sql.length; i = skipTrivia(sql, i)) {
    const end = tokenEnd(sql, i);
    const char = sql[i] ?? '';
    if (char === '(' || char === '[') {
      outer.push(run);
      depth += 3;
      run = 0;
    } else if ((char === ')' || char === ']') && outer.length > 0) {
      depth -= run + 3;
      run = outer.pop() ?? 0;
    } else if (isSeparator(sql, i, end)) {
      depth -= run;
      run = 0;
    } else {
      run++;
      depth++;
    }
    if (depth > deepest) deepest = depth;
    i = end;
  }
  return deepest;
}

function isSeparator(sql: string, start: number, end: number): boolean {
  if (end - start > 4) return false;
  const first = sql.charCodeAt(start);
  return (first === 0x2c || first === 0x3b || isIdentStart(first)) && SEPARATORS.has(sql.slice(start, end).toLowerCase());
}
