// tokenizers.js returns tokens but no offsets, so offsets are recovered by aligning each token
// back onto the input. Any mismatch gives up (undefined) rather than guess wrong spans.

export type Offsets = [number, number][];

/** GPT-2's byte → printable-character table (bytes_to_unicode in the original encoder.py). */
function unicodeToByte(): Map<string, number> {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table.set(String.fromCodePoint(printable(b) ? b : 256 + shifted++), b);
  }
  return table;
}
const BYTE_OF = unicodeToByte();
const SPACE_CHAR = 'Ġ';

/** Byte-level BPE: token characters are bytes of the UTF-8 input; offsets are trimmed of the leading 'Ġ' as trim_offsets does. */
export function byteLevelOffsets(text: string, tokens: readonly string[], addedTokens: ReadonlySet<string>): Offsets | undefined {
  const bytes = Buffer.from(text, 'utf8');
  // utf16At[i] is the UTF-16 index of the character that byte i belongs to.
  const utf16At: number[] = [];
  let unit = 0;
  for (const char of text) {
    const length = Buffer.byteLength(char, 'utf8');
    for (let k = 0; k < length; k++) utf16At.push(unit);
    unit += char.length;
  }
  utf16At.push(unit);
  const charEnd = (byteEnd: number): number => {
    // A token ending inside a multi-byte character still covers that whole character.
    if (byteEnd >= bytes.length) return unit;
    const at = utf16At[byteEnd] ?? unit;
    return at === utf16At[byteEnd - 1] ? at + ((text.codePointAt(at) ?? 0) > 0xffff ? 2 : 1) : at;
  };
  const offsets: Offsets = [];
  let cursor = 0;
  for (const token of tokens) {
    let tokenBytes: number[];
    if (addedTokens.has(token)) {
      // Added tokens are matched verbatim and may swallow surrounding spaces (lstrip/rstrip).
      tokenBytes = [...Buffer.from(token, 'utf8')];
      while (cursor < bytes.length && !matchesAt(bytes, cursor, tokenBytes) && isSpace(bytes[cursor])) cursor++;
    } else {
      const decoded = Array.from(token, (c) => BYTE_OF.get(c));
      if (decoded.some((b) => b === undefined)) return undefined;
      tokenBytes = decoded as number[];
    }
    if (!matchesAt(bytes, cursor, tokenBytes)) return undefined;
    const start = cursor;
    cursor += tokenBytes.length;
    const leading = addedTokens.has(token) ? 0 : Array.from(token).findIndex((c) => c !== SPACE_CHAR);
    const trimmed = leading === -1 ? cursor : Math.min(start + leading, cursor);
    offsets.push([utf16At[trimmed] ?? unit, charEnd(cursor)]);
  }
  return offsets;
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function matchesAt(bytes: Buffer, at: number, expected: readonly number[]): boolean {
  if (at + expected.length > bytes.length) return false;
  return expected.every((b, k) => bytes[at + k] === b);
}

interface NormalizedUnit {
  readonly unit: string;
  readonly start: number;
  readonly end: number;
}

export interface WordPieceAlignOptions {
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  readonly prefix: string;
  readonly unkToken: string;
  readonly addedTokens: ReadonlySet<string>;
}

const PUNCTUATION = /^[\p{P}!-/:-@[-`{-~]$/u;
const WHITESPACE = /^\s$/u;
const CONTROL = /^[\p{Cc}\p{Cf}]$/u;

/** BertNormalizer, one code point at a time, remembering where each output unit came from. */
function normalizeWithSpans(text: string, options: WordPieceAlignOptions): NormalizedUnit[] {
  const units: NormalizedUnit[] = [];
  let at = 0;
  for (const char of text) {
    const start = at;
    at += char.length;
    if (WHITESPACE.test(char)) {
      units.push({ unit: ' ', start, end: at });
      continue;
    }
    if (char === '\0' || char === '\ufffd' || CONTROL.test(char)) continue;
    let normalized = options.stripAccents ? char.normalize('NFD').replace(/\p{Mn}/gu, '') : char;
    if (options.lowercase) normalized = normalized.toLowerCase();
    for (const unit of normalized) units.push({ unit, start, end: at });
  }
  return units;
}

/** WordPiece (BERT): match each token, minus its '##', against the normalized input. */
export function wordPieceOffsets(text: string, tokens: readonly string[], options: WordPieceAlignOptions): Offsets | undefined {
  const units = normalizeWithSpans(text, options);
  const offsets: Offsets = [];
  let cursor = 0;
  const skipSpaces = (): void => {
    while (cursor < units.length && units[cursor]?.unit === ' ') cursor++;
  };
  for (const token of tokens) {
    skipSpaces();
    const first = units[cursor];
    if (first === undefined) return undefined;
    if (token === options.unkToken && !matchUnits(units, cursor, token)) {
      // [UNK] stands for a whole pre-tokenized word: up to the next space or punctuation.
      let end = cursor + 1;
      if (!PUNCTUATION.test(first.unit)) {
        while (end < units.length && units[end]?.unit !== ' ' && !PUNCTUATION.test(units[end]?.unit ?? ' ')) end++;
      }
      offsets.push([first.start, units[end - 1]?.end ?? first.end]);
      cursor = end;
      continue;
    }
    const piece = !options.addedTokens.has(token) && token.startsWith(options.prefix) && token.length > options.prefix.length ? token.slice(options.prefix.length) : token;
    const length = Array.from(piece).length;
    if (!matchUnits(units, cursor, piece)) return undefined;
    offsets.push([first.start, units[cursor + length - 1]?.end ?? first.end]);
    cursor += length;
  }
  return offsets;
}

function matchUnits(units: readonly NormalizedUnit[], at: number, piece: string): boolean {
  let k = at;
  for (const char of piece) {
    if (units[k]?.unit !== char) return false;
    k++;
  }
  return true;
}
