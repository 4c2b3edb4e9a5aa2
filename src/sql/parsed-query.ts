/**
 * What findPgmlCalls() reports about a query string. All positions are JS string indexes into
 * that string (UTF-16 code units), ready for slicing and splicing.
 */

export interface PgmlCall {
  /** The function name as PostgreSQL folds it: lower case unless it was quoted. */
  readonly fn: string;
  /** Index of the call's first character (the schema token). */
  readonly start: number;
  /** Index just past the call's closing `)`. */
  readonly end: number;
  /** The schema token as written: `pgml`, `PGML` or `"pgml"`. */
  readonly schemaStart: number;
  readonly schemaEnd: number;
}

/** The statement forms the proxy can answer with a result of its own, without the upstream. */
export type StatementShape =
  /** `SELECT pgml.f(...) [[AS] name]` and nothing else; `column` is the result column's name. */
  | { readonly kind: 'select-call'; readonly call: PgmlCall; readonly column: string }
  /** `SELECT * FROM pgml.f(...) [[AS] alias]` and nothing else. */
  | { readonly kind: 'select-from-call'; readonly call: PgmlCall }
  | { readonly kind: 'other' };

export interface ParsedStatement {
  /** The statement text, without surrounding whitespace and comments or the closing `;`. */
  readonly start: number;
  readonly end: number;
  /** The parse node's type, e.g. `SelectStmt`, `InsertStmt`, `ViewStmt`. */
  readonly kind: string;
  /** Every pgml.<fn>(...) call anywhere in the statement, nested ones too, in text order. */
  readonly calls: readonly PgmlCall[];
  readonly shape: StatementShape;
}

export type ParsedQuery =
  | { readonly ok: true; readonly statements: readonly ParsedStatement[] }
  | { readonly ok: false; readonly error: string };
