/**
 * The cheap test the proxy runs on every statement it relays: could this text call a `pgml.*`
 * function? Only a yes costs a real parse (find-calls.ts), so a false positive is merely slower,
 * while a false negative would send the call to the upstream's stub. DESIGN.md decision 1.
 */
import {
  isIdentCont,
  skipBlockComment,
  skipDollarQuote,
  skipExtendedString,
  skipLineComment,
  skipQuotedIdent,
  skipStandardString,
  skipTrivia,
} from './lexer.js';

// V8 compiles a case-insensitive literal into a skipping search: ~0.15 ns a character, no
// allocation (lower-casing a copy would allocate, and can change the length outside ASCII).
const PGML = /pgml/i;
// Where pgml might be spelled: the letters, or the `&"` of a U&"..." identifier with escapes.
const CANDIDATES = /pgml|&"/gi;
// The places where the reading of what follows can change, plus candidate names. Leftmost
// match first, so a quote or comment opener before a candidate is always seen before it.
const EVENTS = /['"$]|--|\/\*|pgml/gi;

/**
 * True when `sql` contains the schema name `pgml` (any case, or quoted exactly as "pgml")
 * followed, after optional whitespace and comments, by `.` — outside string literals, quoted
 * identifiers, comments and dollar quotes. False positives are allowed, false negatives are not.
 */
export function mightCallPgml(sql: string): boolean {
  // U&"\0070gml" spells pgml without the letters; `&"` is rare enough to just take the slow path.
  if (!PGML.test(sql) && !sql.includes('&"')) return false;
  // Most texts that mention pgml do so in a way no lexing can turn into a call ('^(pgml)$' in
  // psql's catalogue queries): only lex when some mention is followed by a dot.
  if (!hasDottedCandidate(sql)) return false;
  EVENTS.lastIndex = 0;
  for (let match = EVENTS.exec(sql); match !== null; match = EVENTS.exec(sql)) {
    const at = match.index;
    const code = sql.charCodeAt(at);
    let next: number;
    if (code === 0x27 /* ' */) next = skipString(sql, at);
    else if (code === 0x22 /* " */) {
      next = skipQuotedIdent(sql, at);
      if (isUnicodeIdent(sql, at)) return true; // U&"\0070gml" may spell pgml: no decoding here.
      if (next - at === 6 && sql.startsWith('pgml', at + 1) && dotFollows(sql, next)) return true;
    } else if (code === 0x24 /* $ */) {
      // A `$` inside an identifier (a$b) or a $1 parameter does not open a dollar quote.
      const end = at > 0 && isIdentCont(sql.charCodeAt(at - 1)) ? -1 : skipDollarQuote(sql, at);
      next = end === -1 ? at + 1 : end;
    } else if (code === 0x2d /* - */) next = skipLineComment(sql, at);
    else if (code === 0x2f /* / */) next = skipBlockComment(sql, at);
    else {
      // A candidate `pgml`: it must be a whole identifier, not part of xpgml or pgml_x.
      next = at + 4;
      const whole = (at === 0 || !isIdentCont(sql.charCodeAt(at - 1))) && !isIdentCont(sql.charCodeAt(next));
      if (whole && dotFollows(sql, next)) return true;
    }
    EVENTS.lastIndex = next;
  }
  return false;
}

/**
 * Whether some mention of pgml would be the schema of a qualified name if it stood outside
 * literals and comments. Where it really stands is for the lexing loop to decide.
 */
function hasDottedCandidate(sql: string): boolean {
  CANDIDATES.lastIndex = 0;
  for (let match = CANDIDATES.exec(sql); match !== null; match = CANDIDATES.exec(sql)) {
    const at = match.index;
    if (sql.charCodeAt(at) === 0x26 /* & */) {
      if (isUnicodeIdent(sql, at + 1)) return true;
    } else if (sql.charCodeAt(at - 1) === 0x22 /* " */ && sql.charCodeAt(at + 4) === 0x22) {
      if (sql.startsWith('pgml', at) && dotFollows(sql, at + 5)) return true;
    } else if ((at === 0 || !isIdentCont(sql.charCodeAt(at - 1))) && !isIdentCont(sql.charCodeAt(at + 4)) && dotFollows(sql, at + 4)) {
      return true;
    }
  }
  return false;
}

/** A quote opens an E'...' string when the E before it is a token of its own. */
function skipString(sql: string, quote: number): number {
  const before = sql.charCodeAt(quote - 1) | 0x20;
  const prefixed = before === 0x65 /* e */ && (quote < 2 || !isIdentCont(sql.charCodeAt(quote - 2)));
  return prefixed ? skipExtendedString(sql, quote) : skipStandardString(sql, quote);
}

function isUnicodeIdent(sql: string, quote: number): boolean {
  return quote >= 2 && sql.charCodeAt(quote - 1) === 0x26 /* & */ && (sql.charCodeAt(quote - 2) | 0x20) === 0x75 /* u */;
}

function dotFollows(sql: string, i: number): boolean {
  return sql.charCodeAt(skipTrivia(sql, i)) === 0x2e /* . */;
}
