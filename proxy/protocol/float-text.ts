import { parseDecimal, shortestFloat32, shortestFloat64, type Decimal } from './float-shortest.js';

/**
 * Floating-point text as PostgreSQL 15 prints it with the default extra_float_digits = 1: Ryu's
 * shortest digits (float4out → f2s.c, float8out → d2s.c; see float-shortest.ts) in PostgreSQL's
 * own layout, plus the positional decimal that numeric_out prints for a JavaScript number
 * (numeric and jsonb numbers).
 */

/** float4out: fixed notation for display exponents -4..5, else d.ddde±XX (f2s.c to_chars). */
export function float4Text(value: number): string {
  return special(value) ?? signed(value, layout(shortestFloat32(Math.abs(value)), 6));
}

/** float8out: fixed notation for display exponents -4..14, else d.ddde±XX (d2s.c to_chars). */
export function float8Text(value: number): string {
  return special(value) ?? signed(value, layout(shortestFloat64(Math.abs(value)), 15));
}

/**
 * A finite number as numeric_out prints numeric_in(JSON.stringify(value)): always positional,
 * with exactly the shortest round-trip digits ("1e-7" → "0.0000001", "1e21" → 22 digits).
 */
export function positionalText(value: number): string {
  if (value === 0) return '0';
  // JSON.stringify's digits, which (unlike float8out's) may be a half-way point: 1e23 stays 1e23.
  const { digits, exponent } = parseDecimal(String(Math.abs(value)));
  return signed(value, fixed(digits, exponent));
}

/** copy_special_str: NaN, ±Infinity and the two zeros bypass the digit generation. */
function special(value: number): string | null {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  return null;
}

function signed(value: number, text: string): string {
  return value < 0 ? `-${text}` : text;
}

function layout(d: Decimal, fixedBelow: number): string {
  if (d.exponent >= -4 && d.exponent < fixedBelow) return fixed(d.digits, d.exponent);
  const mantissa = d.digits.length > 1 ? `${d.digits[0] ?? ''}.${d.digits.slice(1)}` : d.digits;
  // printf-style exponent: always signed, at least two digits.
  const sign = d.exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(d.exponent)).padStart(2, '0')}`;
}

function fixed(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = exponent + 1;
  if (digits.length <= whole) return digits + '0'.repeat(whole - digits.length);
  return `${digits.slice(0, whole)}.${digits.slice(whole)}`;
}
