// SQuAD's answer_start and the pipeline's start/end count code points (Python str indices, as
// PostgreSQL's substr does); JavaScript strings and the tokenizer's offsets count UTF-16 units.
// They differ only after a character outside the BMP, such as most emoji.

const SURROGATE = /[\ud800-\udfff]/;

/** The UTF-16 index of code point `index` of `text`; past the end it keeps counting one unit each. */
export function utf16Index(text: string, index: number): number {
  if (!SURROGATE.test(text)) return index;
  let unit = 0;
  let point = 0;
  while (point < index && unit < text.length) {
    unit += (text.codePointAt(unit) ?? 0) > 0xffff ? 2 : 1;
    point++;
  }
  return unit + (index - point);
}

/** The code point index of UTF-16 index `unit` of `text`. */
export function codePointIndex(text: string, unit: number): number {
  if (!SURROGATE.test(text)) return unit;
  let point = 0;
  for (let at = 0; at < unit && at < text.length; point++) at += (text.codePointAt(at) ?? 0) > 0xffff ? 2 : 1;
  return point;
}
