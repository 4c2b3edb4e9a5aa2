/**
 * Builds one backend or frontend message: a type byte (absent for startup packets), a length
 * that counts itself, then the fields. Grows by doubling, so a message is built with few copies.
 */
export class Writer {
  private buf: Buffer;
  private offset: number;
  private readonly headerSize: number;

  /** @param type message type byte, or null for an untyped startup packet. */
  constructor(private readonly type: number | null, sizeHint = 64) {
    this.headerSize = type === null ? 4 : 5;
    this.buf = Buffer.allocUnsafe(Math.max(sizeHint, 16) + this.headerSize);
    this.offset = this.headerSize;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.offset);
    this.offset += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }

  /** A UTF-8 string followed by NUL. */
  cstring(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n + 1);
    this.buf.write(s, this.offset, 'utf8');
    this.offset += n;
    this.buf[this.offset++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  /** The finished message, length header filled in. */
  finish(): Buffer {
    if (this.type !== null) this.buf[0] = this.type;
    // The length counts itself but not the type byte.
    this.buf.writeInt32BE(this.offset - this.headerSize + 4, this.headerSize - 4);
    return this.buf.subarray(0, this.offset);
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.offset + n));
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }
}
