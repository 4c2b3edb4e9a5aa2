/**
 * Just enough of PostgreSQL's lexer (src/backend/parser/scan.l) to step over one token or over
 * whitespace and comments, so callers can find a call's closing parenthesis or a statement's
 * last token without being fooled by parentheses, quotes or `--` inside literals.
 *
 * Assumes standard_conforming_strings = on (the default since PostgreSQL 9.1): in '...' a
 * backslash is an ordinary character; only E'...' strings have backslash escapes.
 * Every function takes a JS string index and returns one; an unterminated literal or comment
 * runs to the end of the text, as the server would report it as an error anyway.
 */

const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const DOLLAR = 0x24;
const AMPERSAND = 0x26;
const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const STAR = 0x2a;
const DASH = 0x2d;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;

/** scan.l `space`: [ \t\n\r\f\v], i.e. a space or 0x09 to 0x0d. */
export function isSpace(code: number): boolean {
  return code === SPACE || (code >= TAB && code <= RETURN);
}

/** scan.l `ident_start`: [A-Za-z\200-\377_]; any non-ASCII character is a letter to PostgreSQL. */
export function isIdentStart(code: number): boolean {
  const lower = code | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || code === 0x5f || code >= 0x80;
}

/** scan.l `ident_cont`: ident_start plus digits and `$`. */
export function isIdentCont(code: number): boolean {
  return isIdentStart(code) || (code >= 0x30 && code <= 0x39) || code === DOLLAR;
}

/** Past a '...' string (or U&'...', B'...' etc. from the quote on): '' is an escaped quote. */
export function skipStandardString(sql: string, quote: number): number {
  let i = quote + 1;
  for (;;) {
    const close = sql.indexOf("'", i);
    if (close === -1) return sql.length;
    if (sql.charCodeAt(close + 1) !== QUOTE) return close + 1;
    i = close + 2;
  }
}

/** Past an E'...' string from its quote: a backslash escapes the next character, '' is a quote too. */
export function skipExtendedString(sql: string, quote: number): number {
  for (let i = quote + 1; i < sql.length; i++) {
    const code = sql.charCodeAt(i);
    if (code === BACKSLASH) i++;
    else if (code === QUOTE) {
      if (sql.charCodeAt(i + 1) !== QUOTE) return i + 1;
      i++;
    }
  }
  return sql.length;
}

/** Past a "..." identifier from its quote: "" is an escaped quote. */
export function skipQuotedIdent(sql: string, quote: number): number {
  let i = quote + 1;
  for (;;) {
    const close = sql.indexOf('"', i);
    if (close === -1) return sql.length;
    if (sql.charCodeAt(close + 1) !== DOUBLE_QUOTE) return close + 1;
    i = close + 2;
  }
}

// scan.l `dolqdelim`: $ then an optional tag (an identifier without `$`), then $.
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$/y;

/** Past a $tag$...$tag$ string if one opens at `dollar`, else -1 (a `$1` parameter, say). */
export function skipDollarQuote(sql: string, dollar: number): number {
  DOLLAR_TAG.lastIndex = dollar;
  const tag = DOLLAR_TAG.exec(sql)?.[0];
  if (tag === undefined) return -1;
  const close = sql.indexOf(tag, dollar + tag.length);
  return close === -1 ? sql.length : close + tag.length;
}

/** Past a /* comment from its slash; PostgreSQL's block comments nest. */
export function skipBlockComment(sql: string, slash: number): number {
  let depth = 0;
  for (let i = slash; i < sql.length - 1; i++) {
    const code = sql.charCodeAt(i);
    if (code === SLASH && sql.charCodeAt(i + 1) === STAR) {
      depth++;
      i++;
    } else if (code === STAR && sql.charCodeAt(i + 1) === SLASH) {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return sql.length;
}

/** Past a -- comment from its first dash: it ends at a newline or carriage return. */
export function skipLineComment(sql: string, dash: number): number {
  for (let i = dash + 2; i < sql.length; i++) {
    const code = sql.charCodeAt(i);
    if (code === NEWLINE || code === RETURN) return i;
  }
  return sql.length;
}

/** The first index at or after `i` that is neither whitespace nor inside a comment. */
export function skipTrivia(sql: string, i: number): number {
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    if (isSpace(code)) i++;
    else if (code === DASH && sql.charCodeAt(i + 1) === DASH) i = skipLineComment(sql, i);
    else if (code === SLASH && sql.charCodeAt(i + 1) === STAR) i = skipBlockComment(sql, i);
    else return i;
  }
  return i;
}

/**
 * Past the token that starts at `i` (which must not be trivia). Literals, quoted identifiers,
 * identifiers and numbers are whole tokens; anything else (operators, punctuation) is stepped
 * over one character at a time, which is enough because only quotes and comment openers change
 * how the following text is read, and skipTrivia catches a comment opener inside an operator
 * as the server does.
 */
export function tokenEnd(sql: string, i: number): number {
  const code = sql.charCodeAt(i);
  const next = sql.charCodeAt(i + 1);
  if (code === QUOTE) return skipStandardString(sql, i);
  if (code === DOUBLE_QUOTE) return skipQuotedIdent(sql, i);
  if (code === DOLLAR) {
    const end = skipDollarQuote(sql, i);
    return end === -1 ? i + 1 : end;
  }
  if (code >= 0x30 && code <= 0x39) {
    // A number (1, 1.5, 2e-5 as 2e - 5, 0x1F): one token, so counts of tokens stay meaningful.
    let end = i + 1;
    while (end < sql.length && (isIdentCont(sql.charCodeAt(end)) || sql.charCodeAt(end) === 0x2e)) end++;
    return end;
  }
  if (!isIdentStart(code)) return i + 1;
  // E'...' and U&'...'/U&"..." only when the prefix is a token of its own, not an identifier's end.
  if ((code | 0x20) === 0x65 && next === QUOTE) return skipExtendedString(sql, i + 1);
  if ((code | 0x20) === 0x75 && next === AMPERSAND) {
    const quote = sql.charCodeAt(i + 2);
    if (quote === QUOTE) return skipStandardString(sql, i + 2);
    if (quote === DOUBLE_QUOTE) return skipQuotedIdent(sql, i + 2);
  }
  let end = i + 1;
  while (end < sql.length && isIdentCont(sql.charCodeAt(end))) end++;
  return end;
}
