// A SentencePiece unigram model read straight from its .spm protobuf, for tokenizers that ship no
// tokenizer.json (Marian). Only what encoding needs: pieces, scores and piece types.

/** SentencePiece.Type values from sentencepiece_model.proto. */
export const PieceType = { Normal: 1, Unknown: 2, Control: 3, UserDefined: 4, Unused: 5, Byte: 6 } as const;

export interface Piece {
  readonly piece: string;
  readonly score: number;
  readonly type: number;
}

/** Minimal protobuf reader: varints, fixed32 and length-delimited fields are all a .spm uses. */
class ProtoReader {
  #at = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean {
    return this.#at >= this.bytes.length;
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.bytes[this.#at++];
      if (byte === undefined) throw new RangeError('truncated varint in .spm model');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }
  float(): number {
    const value = this.#view.getFloat32(this.#at, true);
    this.#at += 4;
    return value;
  }
  chunk(): Uint8Array {
    const length = this.varint();
    if (this.#at + length > this.bytes.length) throw new RangeError('field runs past the end of the .spm model');
    const chunk = this.bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return chunk;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.#at += 8;
    else if (wireType === 2) this.chunk();
    else if (wireType === 5) this.#at += 4;
    else throw new RangeError(`unsupported protobuf wire type ${wireType} in .spm model`);
  }
}

/** ModelProto.pieces (field 1): SentencePiece { piece = 1; score = 2; type = 3 }. */
export function parseSpmPieces(bytes: Uint8Array): Piece[] {
  const model = new ProtoReader(bytes);
  const pieces: Piece[] = [];
  const decoder = new TextDecoder();
  while (!model.done) {
    const key = model.varint();
    if (key !== ((1 << 3) | 2)) {
      model.skip(key & 7);
      continue;
    }
    const entry = new ProtoReader(model.chunk());
    let piece = '';
    let score = 0;
    let type: number = PieceType.Normal;
    while (!entry.done) {
      const field = entry.varint();
      if (field === ((1 << 3) | 2)) piece = decoder.decode(entry.chunk());
      else if (field === ((2 << 3) | 5)) score = entry.float();
      else if (field === ((3 << 3) | 0)) type = entry.varint();
      else entry.skip(field & 7);
    }
    pieces.push({ piece, score, type });
  }
  return pieces;
}

const SPACE = '\u2581';

/**
 * nmt_nfkc as SentencePiece applies it with its default spec: the precompiled map is NFKC plus
 * control removal and whitespace folding (approximated here as tokenizers.js's Precompiled does),
 * then remove_extra_whitespaces, add_dummy_prefix and escape_whitespaces.
 */
export function spmNormalize(text: string): string {
  const folded = Array.from(text, foldChar)
    .join('')
    .normalize('NFKC')
    .trim()
    .replace(/ {2,}/g, ' ');
  return folded.length === 0 ? '' : SPACE + folded.replaceAll(' ', SPACE);
}

function foldChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const removed = (code >= 0x01 && code <= 0x08) || code === 0x0b || (code >= 0x0e && code <= 0x1f) || code === 0x7f || code === 0x8f || code === 0x9f;
  if (removed) return '';
  const space =
    code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200f) ||
    [0x2028, 0x2029, 0x202f, 0x205f, 0x2581, 0x3000, 0xfeff, 0xfffd].includes(code);
  return space ? ' ' : char;
}

/** Unigram Viterbi segmentation, as SentencePiece's unigram_model.cc does it (unknown runs fused). */
export class UnigramModel {
  readonly #scores = new Map<string, number>();
  readonly #maxLength: number;
  readonly #unkScore: number;

  constructor(pieces: readonly Piece[]) {
    let min = Number.POSITIVE_INFINITY;
    let maxLength = 1;
    for (const { piece, score, type } of pieces) {
      if (type !== PieceType.Normal && type !== PieceType.UserDefined) continue;
      this.#scores.set(piece, score);
      min = Math.min(min, score);
      maxLength = Math.max(maxLength, Array.from(piece).length);
    }
    this.#maxLength = maxLength;
    // kUnkPenalty: an unknown character costs 10 below the worst known piece.
    this.#unkScore = min - 10;
  }

  /** Pieces of the normalized text; a run of unknown characters comes back as one piece, marked unknown. */
  encode(normalized: string): { piece: string; known: boolean }[] {
    const chars = Array.from(normalized);
    const best: { score: number; start: number; known: boolean }[] = [{ score: 0, start: -1, known: true }];
    for (let end = 1; end <= chars.length; end++) {
      let choice = { score: Number.NEGATIVE_INFINITY, start: end - 1, known: false };
      for (let start = Math.max(0, end - this.#maxLength); start < end; start++) {
        const score = this.#scores.get(chars.slice(start, end).join(''));
        const before = best[start]?.score ?? Number.NEGATIVE_INFINITY;
        if (score !== undefined && before + score > choice.score) choice = { score: before + score, start, known: true };
      }
      // As in SentencePiece, an unknown node exists only where no single-character piece does.
      const single = chars[end - 1] ?? '';
      const unk = (best[end - 1]?.score ?? 0) + this.#unkScore;
      if (!this.#scores.has(single) && unk > choice.score) choice = { score: unk, start: end - 1, known: false };
      best.push(choice);
    }
    const out: { piece: string; known: boolean }[] = [];
    for (let end = chars.length; end > 0; ) {
      const node = best[end];
      if (node === undefined) break;
      const piece = chars.slice(node.start, end).join('');
      const last = out.at(-1);
      if (!node.known && last !== undefined && !last.known) last.piece = piece + last.piece;
      else out.push({ piece, known: node.known });
      end = node.start;
    }
    return out.reverse();
  }
}
