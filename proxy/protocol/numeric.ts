import { positionalText } from './float-text.js';
import { PgValueError, type PgType, type PgValue } from './pg-value.js';

/**
 * numeric values as numeric_in parses them and numeric_out / numeric_send render them
 * (src/backend/utils/adt/numeric.c): the digits are kept exactly, and the display scale is the
 * number of digits written after the point, less the exponent.
 */
export type Numeric =
  | { readonly special: 'NaN' | 'Infinity' | '-Infinity' }
  | {
      readonly special: null;
      readonly negative: boolean;
      /** Digits before the point, no leading zeros ('' for a value below one). */
      readonly whole: string;
      /** Digits after the point; its length is the display scale (dscale). */
      readonly fraction: string;
    };

// Limits of the stored format: weight is an int16 count of base-10000 digits, dscale 14 bits.
const MAX_WHOLE_DIGITS = (0x7fff + 1) * 4;
const MAX_DSCALE = 0x3fff;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export function asNumeric(type: PgType, value: PgValue): Numeric {
  if (typeof value === 'bigint') return parseNumeric(type, value.toString());
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { special: 'NaN' };
    if (!Number.isFinite(value)) return { special: value > 0 ? 'Infinity' : '-Infinity' };
    return parseNumeric(type, positionalText(value));
  }
  if (typeof value === 'string') return parseNumeric(type, value);
  throw PgValueError.mismatch(type, value);
}

/** numeric_in, for the decimal syntax PostgreSQL 15 accepts (no underscores, no hex). */
export function parseNumeric(type: PgType, input: string): Numeric {
  const text = input.trim();
  const lower = text.toLowerCase();
  if (lower === 'nan') return { special: 'NaN' };
  if (['infinity', '+infinity', 'inf', '+inf'].includes(lower)) return { special: 'Infinity' };
  if (lower === '-infinity' || lower === '-inf') return { special: '-Infinity' };
  const match = DECIMAL.exec(text);
  const [, sign = '', whole = '', fraction = '', exp = '0'] = match ?? [];
  if (match === null || whole + fraction === '') throw PgValueError.invalidInput(type, input);
  const shift = Number(exp);
  // numeric_in refuses exponents this large before looking at the digits.
  if (!Number.isSafeInteger(shift) || Math.abs(shift) >= 0x3fffffff) throw PgValueError.invalidInput(type, input);
  const dscale = Math.max(0, fraction.length - shift);
  if (dscale > MAX_DSCALE) throw PgValueError.outOfRange('value overflows numeric format');
  const digits = whole + fraction;
  const point = whole.length + shift; // digits before the point once the exponent is applied
  let before: string;
  let after: string;
  if (point <= 0) {
    before = '';
    after = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    before = digits + '0'.repeat(Math.min(point - digits.length, MAX_WHOLE_DIGITS + 1));
    after = '';
  } else {
    before = digits.slice(0, point);
    after = digits.slice(point);
  }
  before = before.replace(/^0+/, '');
  if (before.length > MAX_WHOLE_DIGITS) throw PgValueError.outOfRange('value overflows numeric format');
  after = after.length > dscale ? after.slice(0, dscale) : after.padEnd(dscale, '0');
  return { special: null, negative: sign === '-', whole: before, fraction: after };
}

/** numeric_out: a zero never shows a minus sign. */
export function numericText(n: Numeric): string {
  if (n.special !== null) return n.special;
  const zero = /^0*$/.test(n.whole + n.fraction);
  const body = (n.whole === '' ? '0' : n.whole) + (n.fraction === '' ? '' : `.${n.fraction}`);
  return n.negative && !zero ? `-${body}` : body;
}

const SIGN = { positive: 0x0000, negative: 0x4000, NaN: 0xc000, Infinity: 0xd000, '-Infinity': 0xf000 } as const;

/**
 * numeric_send: ndigits, weight, sign, dscale (int16 each), then the base-10000 digits with
 * leading and trailing zero digits stripped, as make_result stores them.
 */
export function numericBinary(n: Numeric): Buffer {
  if (n.special !== null) return header(0, 0, SIGN[n.special], specialDscale(n.special));
  const whole = n.whole.padStart(Math.ceil(n.whole.length / 4) * 4, '0');
  const fraction = n.fraction.padEnd(Math.ceil(n.fraction.length / 4) * 4, '0');
  const all = whole + fraction;
  const groups: number[] = [];
  for (let i = 0; i < all.length; i += 4) groups.push(Number(all.slice(i, i + 4)));
  let weight = whole.length / 4 - 1;
  let first = 0;
  while (first < groups.length && groups[first] === 0) {
    first++;
    weight--;
  }
  let last = groups.length;
  while (last > first && groups[last - 1] === 0) last--;
  const digits = groups.slice(first, last);
  // A zero is stored with weight 0 and a positive sign, whatever it was parsed from.
  if (digits.length === 0) return header(0, 0, SIGN.positive, n.fraction.length);
  const out = header(digits.length, weight, n.negative ? SIGN.negative : SIGN.positive, n.fraction.length);
  const body = Buffer.alloc(2 * digits.length);
  digits.forEach((d, i) => body.writeInt16BE(d, 2 * i));
  return Buffer.concat([out, body]);
}

/**
 * numeric_send reads dscale through NUMERIC_DSCALE, which takes a special value's header for a
 * short-format one: bits 7-12 of 0xD000 / 0xF000 make ±Infinity send dscale 32 (NaN: 0).
 */
function specialDscale(special: 'NaN' | 'Infinity' | '-Infinity'): number {
  return (SIGN[special] & 0x1f80) >> 7;
}

function header(ndigits: number, weight: number, sign: number, dscale: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt16BE(ndigits, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(dscale, 6);
  return b;
}
