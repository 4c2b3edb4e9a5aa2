import { inflateRawSync } from 'node:zlib';

/** One member of a ZIP archive, located through the central directory. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

// Signatures and fixed sizes from PKWARE APPNOTE.TXT sections 4.3.7, 4.3.12, 4.3.14-16.
const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;
const U32_MAX = 0xffffffff;

/**
 * A read-only view of a ZIP held in memory. torch.save writes a plain (zip64-capable) archive
 * of stored members; we read the central directory rather than scanning local headers because
 * local sizes may be deferred to data descriptors.
 */
export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #label: string;

  constructor(bytes: Uint8Array, label: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#label = label;
    this.entries = this.#readCentralDirectory();
  }

  /** The uncompressed bytes of a member (a view into the archive when stored). */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (entry === undefined) throw this.#error(`has no member ${name}`);
    const at = entry.localHeaderOffset;
    this.#need(at, 30, `local header of ${name}`);
    if (this.#view.getUint32(at, true) !== LOCAL_SIGNATURE) throw this.#error(`bad local header for ${name}`);
    const start = at + 30 + this.#view.getUint16(at + 26, true) + this.#view.getUint16(at + 28, true);
    this.#need(start, entry.compressedSize, `data of ${name}`);
    const raw = this.#bytes.subarray(start, start + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) data = this.#inflate(raw, entry);
    else throw this.#error(`member ${name} uses unsupported compression method ${entry.method}`);
    if (data.byteLength !== entry.uncompressedSize) throw this.#error(`member ${name} is ${data.byteLength} bytes, directory says ${entry.uncompressedSize}`);
    return data;
  }

  #inflate(raw: Uint8Array, entry: ZipEntry): Uint8Array {
    try {
      // Capping the output at the declared size stops a deflate bomb before it allocates.
      return inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      throw new Error(`${this.#label}: member ${entry.name} does not inflate to its declared ${entry.uncompressedSize} bytes`, { cause: error });
    }
  }

  #readCentralDirectory(): Map<string, ZipEntry> {
    const eocd = this.#findEndOfCentralDirectory();
    let count = this.#view.getUint16(eocd + 10, true);
    let offset = this.#view.getUint32(eocd + 16, true);
    if (count === 0xffff || offset === U32_MAX) {
      const locator = eocd - 20;
      if (locator < 0 || this.#view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) throw this.#error('zip64 locator missing');
      const zip64 = this.#u64(locator + 8);
      this.#need(zip64, 56, 'zip64 end of central directory');
      if (this.#view.getUint32(zip64, true) !== ZIP64_EOCD_SIGNATURE) throw this.#error('bad zip64 end of central directory');
      count = this.#u64(zip64 + 32);
      offset = this.#u64(zip64 + 48);
    }
    const entries = new Map<string, ZipEntry>();
    const decoder = new TextDecoder();
    for (let i = 0; i < count; i++) {
      this.#need(offset, 46, 'central directory');
      if (this.#view.getUint32(offset, true) !== CENTRAL_SIGNATURE) throw this.#error('bad central directory entry');
      const nameLength = this.#view.getUint16(offset + 28, true);
      const extraLength = this.#view.getUint16(offset + 30, true);
      const commentLength = this.#view.getUint16(offset + 32, true);
      this.#need(offset + 46, nameLength + extraLength, 'central directory name');
      const name = decoder.decode(this.#bytes.subarray(offset + 46, offset + 46 + nameLength));
      const sizes = {
        uncompressedSize: this.#view.getUint32(offset + 24, true),
        compressedSize: this.#view.getUint32(offset + 20, true),
        localHeaderOffset: this.#view.getUint32(offset + 42, true),
      };
      this.#applyZip64Extra(sizes, offset + 46 + nameLength, extraLength);
      entries.set(name, { name, method: this.#view.getUint16(offset + 10, true), ...sizes });
      offset += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  }

  /** Zip64 extra fields hold, in order, only the sizes/offset whose 32-bit slot is 0xFFFFFFFF. */
  #applyZip64Extra(sizes: { uncompressedSize: number; compressedSize: number; localHeaderOffset: number }, start: number, length: number): void {
    for (let at = start; at + 4 <= start + length; ) {
      const id = this.#view.getUint16(at, true);
      const size = this.#view.getUint16(at + 2, true);
      if (id === ZIP64_EXTRA_ID) {
        let field = at + 4;
        for (const key of ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const) {
          if (sizes[key] === U32_MAX && field + 8 <= at + 4 + size) {
            sizes[key] = this.#u64(field);
            field += 8;
          }
        }
      }
      at += 4 + size;
    }
  }

  #findEndOfCentralDirectory(): number {
    // The EOCD record ends the file, followed only by a comment of at most 65535 bytes.
    const lowest = Math.max(0, this.#bytes.byteLength - EOCD_SIZE - 0xffff);
    for (let at = this.#bytes.byteLength - EOCD_SIZE; at >= lowest; at--) {
      if (this.#view.getUint32(at, true) === EOCD_SIGNATURE) return at;
    }
    throw this.#error('is not a ZIP archive (no end of central directory record; truncated?)');
  }

  #u64(at: number): number {
    const value = this.#view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.#error('zip64 value out of range');
    return Number(value);
  }

  #need(at: number, length: number, what: string): void {
    if (at < 0 || at + length > this.#bytes.byteLength) throw this.#error(`${what} lies outside the file (truncated?)`);
  }

  #error(message: string): Error {
    return new Error(`${this.#label}: ${message}`);
  }
}
