/**
 * libpg-query reports positions (`location`, `stmt_location`, `stmt_len`) as UTF-8 byte offsets
 * into the text it was given; the rest of the proxy splices JS strings, indexed in UTF-16 code
 * units. These convert one to the other.
 */

// Any character outside ASCII makes bytes and code units differ.
const NON_ASCII = /[^\0-\x7f]/;
// A lone surrogate: emscripten encodes it as 3 bytes but sizes its buffer as if it were a pair,
// which can cut the end of the text; such a string never comes off the wire (decoding gives U+FFFD).
const LONE_SURROGATE = /\p{Cs}/u;

/** Byte offset to string index; call with ascending offsets for a single pass over the text. */
export type ByteToIndex = (byteOffset: number) => number;

/** A converter for `text`, or null when the text has a lone surrogate (no faithful UTF-8). */
export function byteToIndex(text: string): ByteToIndex | null {
  if (!NON_ASCII.test(text)) return (byteOffset) => byteOffset;
  if (LONE_SURROGATE.test(text)) return null;
  // Resume from the last answer: statements and calls are looked up in text order.
  let index = 0;
  let bytes = 0;
  return (byteOffset) => {
    if (byteOffset < bytes) {
      index = 0;
      bytes = 0;
    }
    while (bytes < byteOffset && index < text.length) {
      const code = text.charCodeAt(index);
      if (code < 0x80) {
        bytes += 1;
        index += 1;
      } else if (code < 0x800) {
        bytes += 2;
        index += 1;
      } else if (code >= 0xd800 && code <= 0xdbff) {
        // A surrogate pair (lone ones were refused above) is one 4-byte code point.
        bytes += 4;
        index += 2;
      } else {
        bytes += 3;
        index += 1;
      }
    }
    return index;
  };
}
