import { readFile } from 'node:fs/promises';
import { DTYPE_SIZE, LITTLE_ENDIAN_HOST, decodeElements, elementCount, isSourceDtype } from './dtype.js';
import type { WeightTensor, Weights } from './types.js';

// The safetensors reference implementation refuses headers above 100 MB; so do we, before
// allocating or parsing anything a corrupt length would make us read.
const MAX_HEADER_BYTES = 100_000_000;

/** Read one `.safetensors` file into typed arrays. */
export async function readSafetensors(path: string): Promise<Weights> {
  return parseSafetensors(await readFile(path), path);
}

interface HeaderEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/**
 * Parse safetensors bytes: u64 LE header length, JSON header, then the data buffer that
 * every `data_offsets` pair is relative to. `label` (usually the path) prefixes every error.
 */
export function parseSafetensors(bytes: Uint8Array, label: string): Weights {
  if (bytes.byteLength < 8) throw new Error(`${label}: not a safetensors file (${bytes.byteLength} bytes, no header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) throw new Error(`${label}: safetensors header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + Number(headerLength);
  if (dataStart > bytes.byteLength) {
    throw new Error(`${label}: safetensors header claims ${headerLength} bytes but the file has only ${bytes.byteLength - 8} after the length (truncated?)`);
  }
  const entries = parseHeader(bytes.subarray(8, dataStart), label);
  const dataLength = bytes.byteLength - dataStart;
  checkLayout(entries, dataLength, label);
  const weights = new Map<string, WeightTensor>();
  for (const entry of entries) {
    const dtype = entry.dtype;
    if (!isSourceDtype(dtype)) throw new Error(`${label}: tensor ${entry.name} has unsupported dtype ${dtype}`);
    const data = decodeElements(bytes.subarray(dataStart + entry.begin, dataStart + entry.end), dtype, elementCount(entry.shape), `${label}: tensor ${entry.name}`);
    weights.set(entry.name, { name: entry.name, shape: entry.shape, data, dtype: data instanceof Float32Array ? 'float32' : 'int32' });
  }
  return weights;
}

function parseHeader(headerBytes: Uint8Array, label: string): HeaderEntry[] {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new Error(`${label}: safetensors header is not valid UTF-8 JSON`, { cause: error });
  }
  if (!isRecord(header)) throw new Error(`${label}: safetensors header is not a JSON object`);
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isRecord(value)) throw new Error(`${label}: header entry ${name} is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string') throw new Error(`${label}: tensor ${name} has no dtype`);
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) throw new Error(`${label}: tensor ${name} has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
      throw new Error(`${label}: tensor ${name} has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    entries.push({ name, dtype, shape, begin, end });
  }
  return entries;
}

/** Offsets inside the data buffer, no two tensors overlapping, and byte length = elements × size. */
function checkLayout(entries: readonly HeaderEntry[], dataLength: number, label: string): void {
  for (const { name, dtype, shape, begin, end } of entries) {
    if (begin > end || end > dataLength) {
      throw new Error(`${label}: tensor ${name} data_offsets [${begin}, ${end}] fall outside the ${dataLength}-byte data buffer (truncated?)`);
    }
    if (isSourceDtype(dtype) && end - begin !== elementCount(shape) * DTYPE_SIZE[dtype]) {
      throw new Error(`${label}: tensor ${name} spans ${end - begin} bytes but ${dtype}[${shape.join(', ')}] needs ${elementCount(shape) * DTYPE_SIZE[dtype]}`);
    }
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (previous !== undefined && current !== undefined && current.begin < previous.end) {
      throw new Error(`${label}: tensors ${previous.name} and ${current.name} overlap in the data buffer`);
    }
  }
}

/**
 * Serialise float32/int32 tensors the way the safetensors Rust writer does: tensors ordered
 * by dtype (F32 before I32) then name, `__metadata__` first, header padded with spaces to a
 * multiple of 8 so every tensor starts aligned.
 */
export function encodeSafetensors(tensors: Iterable<WeightTensor>, metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const ordered = [...tensors].sort((a, b) => (a.dtype === b.dtype ? compareNames(a.name, b.name) : a.dtype === 'float32' ? -1 : 1));
  // No prototype, so a tensor named __proto__ becomes a key instead of changing the object.
  const header = Object.assign(Object.create(null) as Record<string, unknown>, { __metadata__: metadata });
  let offset = 0;
  for (const tensor of ordered) {
    if (tensor.name === '__metadata__' || Object.hasOwn(header, tensor.name)) throw new Error(`encodeSafetensors: duplicate or reserved tensor name ${tensor.name}`);
    const count = elementCount(tensor.shape);
    if (tensor.data.length !== count) throw new Error(`encodeSafetensors: tensor ${tensor.name} has ${tensor.data.length} elements, shape [${tensor.shape.join(', ')}] needs ${count}`);
    if ((tensor.dtype === 'float32') !== tensor.data instanceof Float32Array) throw new Error(`encodeSafetensors: tensor ${tensor.name} data does not match dtype ${tensor.dtype}`);
    header[tensor.name] = { dtype: tensor.dtype === 'float32' ? 'F32' : 'I32', shape: tensor.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = Buffer.alloc(8 + padded + offset, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  let position = 8 + padded;
  for (const tensor of ordered) {
    position += writeLittleEndian(out, position, tensor.data);
  }
  return out;
}

function writeLittleEndian(out: Buffer, position: number, data: Float32Array | Int32Array): number {
  if (LITTLE_ENDIAN_HOST) {
    // Raw bytes, so NaN payloads are preserved exactly.
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
  } else {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
    words.forEach((word, i) => out.writeUInt32LE(word, position + i * 4));
  }
  return data.byteLength;
}

// Rust sorts names by bytes (UTF-8 order), which for these keys equals code-unit order.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
