import { endianness } from 'node:os';

/** The on-disk element types we can decode (safetensors names; torch storages map onto them). */
export type SourceDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_SIZE: Readonly<Record<SourceDtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export function isSourceDtype(value: string): value is SourceDtype {
  return Object.hasOwn(DTYPE_SIZE, value);
}

export function isFloatDtype(dtype: SourceDtype): boolean {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

// Typed-array views read in host byte order; checkpoints are little-endian.
export const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Product of a shape; the empty shape is a scalar with one element. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Decode `count` little-endian elements of `dtype` from `bytes` into float32 or int32.
 * F32 and I32 are copied byte for byte so NaN payloads survive (a round trip through a JS
 * number may canonicalise them). `where` names the file and tensor for error messages.
 */
export function decodeElements(bytes: Uint8Array, dtype: SourceDtype, count: number, where: string): Float32Array | Int32Array {
  const expected = count * DTYPE_SIZE[dtype];
  if (bytes.byteLength !== expected) {
    throw new Error(`${where}: ${dtype} data is ${bytes.byteLength} bytes, shape needs ${expected}`);
  }
  if (LITTLE_ENDIAN_HOST && (dtype === 'F32' || dtype === 'I32')) {
    // new Uint8Array(view) copies; Buffer#slice would alias the file buffer and its offset.
    const copy = new Uint8Array(bytes);
    return dtype === 'F32' ? new Float32Array(copy.buffer, 0, count) : new Int32Array(copy.buffer, 0, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isFloatDtype(dtype)) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = readFloat(view, dtype, i);
    return out;
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = readInt(view, dtype, i, where);
  return out;
}

function readFloat(view: DataView, dtype: SourceDtype, i: number): number {
  switch (dtype) {
    case 'F64': return view.getFloat64(i * 8, true);
    case 'F32': return view.getFloat32(i * 4, true);
    case 'F16': return halfToFloat(view.getUint16(i * 2, true));
    // bfloat16 is the top half of a float32, so shifting the bits back is exact.
    case 'BF16': return bitsToFloat(view.getUint16(i * 2, true) << 16);
    default: throw new Error(`${dtype} is not a float dtype`);
  }
}

function readInt(view: DataView, dtype: SourceDtype, i: number, where: string): number {
  switch (dtype) {
    case 'I64': {
      const value = view.getBigInt64(i * 8, true);
      if (value < -2147483648n || value > 2147483647n) {
        throw new Error(`${where}: int64 value ${value} at index ${i} does not fit in int32`);
      }
      return Number(value);
    }
    case 'I32': return view.getInt32(i * 4, true);
    case 'I16': return view.getInt16(i * 2, true);
    case 'I8': return view.getInt8(i);
    case 'U8':
    case 'BOOL': return view.getUint8(i);
    default: throw new Error(`${dtype} is not an integer dtype`);
  }
}

const bitsScratch = new DataView(new ArrayBuffer(4));
function bitsToFloat(bits: number): number {
  bitsScratch.setUint32(0, bits >>> 0);
  return bitsScratch.getFloat32(0);
}

/** IEEE 754 binary16 → number; exact, since every half value is a float32 value. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
