/** A double-quoted SQL identifier: always quoted, since names like `limit` and `text` are keywords. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** An identifier as a person would write it: bare when PostgreSQL keeps it as is, else quoted. */
export function displayIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}
