/**
 * The digits PostgreSQL's Ryu port (src/common/f2s.c, d2s.c) prints for a float: the fewest
 * significant digits of a decimal that lies STRICTLY between the half-way points to the
 * neighbouring floats, and among those the closest to the value, an exact tie going to the even
 * digit. Strictly: PostgreSQL builds Ryu with STRICTLY_SHORTEST 0 (src/common/ryu_common.h) so
 * that it never prints a half-way point, which only a reader that rounds ties to even would
 * read back correctly. Hence 1e23 prints as 9.999999999999999e+22, and the float4 75242736 as
 * 7.5242736e+07 although 7.524274e+07 reads back as it too.
 */

/** A positive decimal: `digits` (no leading or trailing zeros) × 10^(exponent - digits.length + 1). */
export interface Decimal {
  readonly digits: string;
  /** Power of ten of the first digit (the "display exponent"). */
  readonly exponent: number;
}

/** Digits and exponent of a JavaScript number string ("1.5e-7", "123.45", "1e+21", "75e-3"). */
export function parseDecimal(text: string): Decimal {
  const [mantissa = '', exp = '0'] = text.split('e');
  const point = mantissa.indexOf('.');
  const all = mantissa.replace('.', '');
  const lead = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(lead).replace(/0+$/, '');
  const intLength = point < 0 ? all.length : point;
  return { digits, exponent: Number(exp) + intLength - lead - 1 };
}

/** The float4out digits of a positive, finite float32 value. */
export function shortestFloat32(value: number): Decimal {
  return search(value, 9, interval(value, true));
}

/** The float8out digits of a positive, finite double. */
export function shortestFloat64(value: number): Decimal {
  // Number.prototype.toString gives the fewest digits that round-trip, closest to the value,
  // ties to even: PostgreSQL's answer too unless it sits on a half-way point. A half-way point
  // has at most 17 significant digits only when it is an integer, so only from 2^53 up.
  const text = String(value);
  if (value < 2 ** 53) return parseDecimal(text);
  const bounds = interval(value, false);
  return inside(text, bounds) ? parseDecimal(text) : search(value, 17, bounds);
}

/** m·2^e, exactly. */
interface Dyadic {
  readonly m: bigint;
  readonly e: number;
}

/** The value and the half-way points to its neighbours, exactly and (for float32) as doubles. */
interface Interval {
  readonly value: Dyadic;
  readonly low: Dyadic;
  readonly high: Dyadic;
  /** Half-way points between float32s need 26 bits at most, so they are exact doubles. */
  readonly fast: { readonly low: number; readonly high: number } | null;
}

/** Scratch space for reinterpreting float bits. */
const view = new DataView(new ArrayBuffer(8));

function interval(value: number, single: boolean): Interval {
  let m: bigint;
  let e: number;
  let narrowBelow: boolean;
  if (single) {
    view.setFloat32(0, value);
    const bits = view.getUint32(0);
    const field = bits >>> 23;
    const fraction = bits & 0x7fffff;
    m = BigInt(field === 0 ? fraction : fraction | 0x800000);
    e = (field === 0 ? 1 : field) - 150;
    narrowBelow = fraction === 0 && field > 1;
  } else {
    view.setFloat64(0, value);
    const bits = view.getBigUint64(0);
    const field = Number(bits >> 52n);
    const fraction = bits & 0xfffffffffffffn;
    m = field === 0 ? fraction : fraction | 0x10000000000000n;
    e = (field === 0 ? 1 : field) - 1075;
    narrowBelow = fraction === 0n && field > 1;
  }
  // Just above a power of two the float below is half as far away as the float above.
  const low = narrowBelow ? { m: 4n * m - 1n, e: e - 2 } : { m: 2n * m - 1n, e: e - 1 };
  const high = { m: 2n * m + 1n, e: e - 1 };
  const fast = single ? { low: Number(low.m) * 2 ** low.e, high: Number(high.m) * 2 ** high.e } : null;
  return { value: { m, e }, low, high, fast };
}

/** The value's digits, correctly rounded to a few more places than any answer needs. */
interface Digits {
  readonly digits: string;
  /** Power of ten of the first digit. */
  readonly exponent: number;
}

/**
 * Lengths are monotone (a k-digit decimal is also a (k+1)-digit one). Most floats need their
 * full length or one digit less, so step down from a length that always has a candidate (9
 * digits for float32, 17 for doubles, more only just above a power of two) while that pays,
 * then binary-search the short lengths of round values.
 */
function search(value: number, longest: number, bounds: Interval): Decimal {
  // One correctly rounded expansion serves every length: toExponential is the costly step.
  const [mantissa = '', exp = '0'] = value.toExponential(longest + 4).split('e');
  const d: Digits = { digits: mantissa.replace('.', ''), exponent: Number(exp) };
  let hi = longest;
  let best = candidate(d, hi, bounds);
  while (best === null) best = candidate(d, ++hi, bounds);
  for (let steps = 0; steps < 2 && hi > 1; steps++) {
    const shorter = candidate(d, hi - 1, bounds);
    if (shorter === null) return parseDecimal(best);
    best = shorter;
    hi--;
  }
  let lo = 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const found = candidate(d, mid, bounds);
    if (found === null) lo = mid + 1;
    else {
      best = found;
      hi = mid;
    }
  }
  return parseDecimal(best);
}

/**
 * The k-digit decimal PostgreSQL would print, or null if no k-digit decimal lies strictly inside.
 * Only the two k-digit decimals around the value can: the closer one, else the other; an exact
 * tie goes to the even one.
 */
function candidate(d: Digits, k: number, bounds: Interval): string | null {
  const prefix = d.digits.slice(0, k);
  const tail = d.digits.slice(k);
  const scale = d.exponent - k + 1;
  const floor = `${prefix}e${scale}`;
  // The expansion is rounded at its last place: an all-zero tail means the value is within half
  // a unit of that place from `floor`, so `floor` is the closest and surely inside.
  if (/^0*$/.test(tail)) return floor;
  const ceil = `${increment(prefix)}e${scale}`;
  let upFirst = tail > '5';
  if (/^50*$/.test(tail)) {
    // Only "5000…" leaves the side (or an exact tie) to the digits beyond the expansion.
    const order = compare(`${prefix}5e${scale - 1}`, bounds.value);
    upFirst = order === 0 ? Number(prefix.at(-1)) % 2 === 1 : order < 0;
  }
  const [first, second] = upFirst ? [ceil, floor] : [floor, ceil];
  if (inside(first, bounds)) return first;
  return inside(second, bounds) ? second : null;
}

/** A decimal digit string plus one ("199" → "200", "99" → "100"). */
function increment(digits: string): string {
  const nines = digits.length - digits.replace(/9+$/, '').length;
  const head = digits.slice(0, digits.length - nines);
  const bumped = head === '' ? '1' : head.slice(0, -1) + String(Number(head.at(-1)) + 1);
  return bumped + '0'.repeat(nines);
}

function inside(text: string, bounds: Interval): boolean {
  if (bounds.fast !== null) {
    // Rounding to a double is monotone and the bounds are doubles, so a strict answer here is exact.
    const near = Number(text);
    if (near > bounds.fast.low && near < bounds.fast.high) return true;
    if (near < bounds.fast.low || near > bounds.fast.high) return false;
  }
  return compare(text, bounds.low) > 0 && compare(text, bounds.high) < 0;
}

/** Sign of (decimal text − m·2^e), computed exactly with integers. */
function compare(text: string, d: Dyadic): number {
  const [mantissa = '', exp = '0'] = text.split('e');
  const point = mantissa.indexOf('.');
  const n = BigInt(mantissa.replace('.', ''));
  const e10 = Number(exp) - (point < 0 ? 0 : mantissa.length - point - 1);
  // n·10^e10 vs m·2^e, both scaled by 10^max(-e10,0)·2^max(-e,0) to integers.
  const left = n * 10n ** BigInt(Math.max(e10, 0)) * 2n ** BigInt(Math.max(-d.e, 0));
  const right = d.m * 2n ** BigInt(Math.max(d.e, 0)) * 10n ** BigInt(Math.max(-e10, 0));
  return left === right ? 0 : left > right ? 1 : -1;
}
