import { ProtocolViolation } from './violation.js';

/**
 * Called once per complete message. `buf[start, end)` is the whole message including its
 * header; the body starts at `start + headerSize`. Returning `false` stops framing: the rest of
 * the chunk is kept unparsed until `drain()` (the stream is about to change hands or pause).
 */
export type FrameHandler = (type: number, buf: Buffer, start: number, end: number) => boolean;

export interface FramerOptions {
  /** Largest accepted length field (the length counts itself). Larger is a violation. */
  readonly maxLength: number;
  /** Startup packets have no type byte; every later message has one. */
  readonly typed: boolean;
}

/**
 * Splits a byte stream into protocol messages. A length header is checked against the
 * maximum before any buffer for the message is allocated (pgbouncer's max_packet_size), and a
 * message split across reads is reassembled from its pieces only when complete.
 */
export class Framer {
  readonly headerSize: number;
  private readonly maxLength: number;
  /** Pieces of an incomplete message, and how many bytes they hold. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Total size of the incomplete message once its header is known, else -1. */
  private pendingTotal = -1;
  /** Set when a handler stopped framing; the pending bytes are then raw, unparsed input. */
  private stopped = false;

  constructor(options: FramerOptions) {
    this.maxLength = options.maxLength;
    this.headerSize = options.typed ? 5 : 4;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds one chunk; calls `onFrame` for each message completed by it, in order.
   * Throws ProtocolViolation on a bad length; the stream is unusable after that.
   */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    if (this.stopped) throw new Error('Framer.push after a handler stopped it; drain() first');
    let offset = 0;
    if (this.pendingBytes > 0) {
      offset = this.completePending(chunk, onFrame);
      if (offset < 0) return;
    }
    const h = this.headerSize;
    while (!this.stopped && chunk.length - offset >= h) {
      const total = this.messageSize(chunk, offset);
      if (chunk.length - offset < total) break;
      const next = offset + total;
      this.stopped = !onFrame(h === 5 ? chunk.readUInt8(offset) : 0, chunk, offset, next);
      offset = next;
    }
    if (offset === chunk.length) return;
    if (this.stopped) {
      this.pending.push(chunk.subarray(offset));
      this.pendingBytes += chunk.length - offset;
    } else {
      this.hold(chunk.subarray(offset));
    }
  }

  /**
   * Takes the bytes not yet framed, leaving the framer empty and running again. Used when the
   * stream changes hands (after an SSLRequest leftover plaintext is a violation; after the
   * StartupMessage the rest is typed) or resumes after a pause.
   */
  drain(): Buffer {
    const rest = Buffer.concat(this.pending, this.pendingBytes);
    this.reset();
    return rest;
  }

  /** Adds chunk bytes to the pending message; returns the chunk offset after it, or -1. */
  private completePending(chunk: Buffer, onFrame: FrameHandler): number {
    const h = this.headerSize;
    let used = 0;
    if (this.pendingTotal < 0) {
      // The header itself was split: take just enough bytes to read it.
      used = Math.min(h - this.pendingBytes, chunk.length);
      this.hold(chunk.subarray(0, used));
      if (this.pendingTotal < 0) return -1;
    }
    const want = this.pendingTotal - this.pendingBytes;
    if (chunk.length - used < want) {
      if (chunk.length > used) this.hold(chunk.subarray(used));
      return -1;
    }
    this.pending.push(chunk.subarray(used, used + want));
    const message = Buffer.concat(this.pending, this.pendingTotal);
    this.reset();
    this.stopped = !onFrame(h === 5 ? message.readUInt8(0) : 0, message, 0, message.length);
    const offset = used + want;
    if (this.stopped && offset < chunk.length) {
      this.pending.push(chunk.subarray(offset));
      this.pendingBytes = chunk.length - offset;
    }
    return this.stopped ? -1 : offset;
  }

  /** Keeps a piece of an incomplete message; once its header is whole, checks the length. */
  private hold(piece: Buffer): void {
    if (this.pendingTotal < 0 && this.pendingBytes + piece.length >= this.headerSize) {
      const header = Buffer.concat([...this.pending, piece]);
      this.pending = [header];
      this.pendingBytes = header.length;
      this.pendingTotal = this.messageSize(header, 0);
      return;
    }
    this.pending.push(piece);
    this.pendingBytes += piece.length;
  }

  private messageSize(buf: Buffer, offset: number): number {
    const lengthAt = offset + this.headerSize - 4;
    const length = buf.readInt32BE(lengthAt);
    if (length < 4) throw new ProtocolViolation(`invalid message length ${length}`);
    if (length > this.maxLength) {
      throw new ProtocolViolation(`message length ${length} exceeds the maximum of ${this.maxLength} bytes`);
    }
    return length + this.headerSize - 4;
  }

  private reset(): void {
    this.stopped = false;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingTotal = -1;
  }
}
