import { readFile } from 'node:fs/promises';
import { DTYPE_SIZE, decodeElements, elementCount, type SourceDtype } from './dtype.js';
import { PickleDict, PickleExtension, PickleGlobal, PickleTuple, unpickle, type PickleValue, type UnpickleHooks } from './pickle.js';
import type { WeightTensor, Weights } from './types.js';
import { ZipArchive } from './zip.js';

// torch's typed storage classes, as `_save` names them in the persistent id.
const STORAGE_DTYPES: ReadonlyMap<string, SourceDtype> = new Map([
  ['torch.FloatStorage', 'F32'], ['torch.HalfStorage', 'F16'], ['torch.BFloat16Storage', 'BF16'], ['torch.DoubleStorage', 'F64'],
  ['torch.LongStorage', 'I64'], ['torch.IntStorage', 'I32'], ['torch.ShortStorage', 'I16'], ['torch.CharStorage', 'I8'],
  ['torch.ByteStorage', 'U8'], ['torch.BoolStorage', 'BOOL'],
]);
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const ORDERED_DICT = 'collections.OrderedDict';
const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, ...STORAGE_DTYPES.keys()]);

/** `('storage', storage_type, key, location, numel)` from BINPERSID: the bytes live in `data/<key>`. */
class StorageRef extends PickleExtension {
  readonly kind = 'storage';
  constructor(readonly dtype: SourceDtype, readonly key: string, readonly numel: number) {
    super();
  }
}

/** A view into a storage, as `_rebuild_tensor_v2` describes it. */
class TensorRef extends PickleExtension {
  readonly kind = 'tensor';
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: readonly number[], readonly stride: readonly number[]) {
    super();
  }
}

/** Read a torch ≥1.6 zip checkpoint (`pytorch_model.bin`) holding a state dict of tensors. */
export async function readPytorchBin(path: string): Promise<Weights> {
  return parsePytorchBin(await readFile(path), path);
}

export function parsePytorchBin(bytes: Uint8Array, label: string): Weights {
  // Before torch 1.6 the file was a bare pickle stream; those start with PROTO, not "PK".
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new Error(`${label}: not a torch zip checkpoint (legacy torch < 1.6 format is not supported)`);
  const zip = new ZipArchive(bytes, label);
  const pickles = [...zip.entries.keys()].filter((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  const pickleName = pickles[0];
  if (pickleName === undefined || pickles.length > 1) throw new Error(`${label}: expected exactly one data.pkl, found ${pickles.length}`);
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  // torch ≥2.1 records the writer's byte order; storages are raw, so big-endian ones would decode wrongly.
  const byteorder = zip.entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() : 'little';
  if (byteorder !== 'little') throw new Error(`${label}: storages are ${byteorder}-endian, only little-endian is supported`);
  const root = unpickle(zip.read(pickleName), torchHooks(label), `${label}: ${pickleName}`);
  if (!(root instanceof PickleDict)) throw new Error(`${label}: data.pkl is not a state dict`);

  const storages = new Map<string, Float32Array | Int32Array>();
  const weights = new Map<string, WeightTensor>();
  for (const [name, value] of root.entries) {
    if (typeof name !== 'string' || !(value instanceof TensorRef)) throw new Error(`${label}: state dict entry ${String(name)} is not a tensor`);
    const storage = value.storage;
    let decoded = storages.get(storage.key);
    if (decoded === undefined) {
      const raw = zip.read(`${prefix}data/${storage.key}`);
      const size = storage.numel * DTYPE_SIZE[storage.dtype];
      if (raw.byteLength < size) throw new Error(`${label}: storage ${storage.key} is ${raw.byteLength} bytes, needs ${size}`);
      decoded = decodeElements(raw.subarray(0, size), storage.dtype, storage.numel, `${label}: storage ${storage.key}`);
      storages.set(storage.key, decoded);
    }
    const data = gather(decoded, value, `${label}: tensor ${name}`);
    weights.set(name, { name, shape: value.shape, data, dtype: data instanceof Float32Array ? 'float32' : 'int32' });
  }
  return weights;
}

/** Copy a (possibly strided, offset) view of a storage into a fresh contiguous row-major array. */
function gather(storage: Float32Array | Int32Array, tensor: TensorRef, where: string): Float32Array | Int32Array {
  const { shape, stride, offset } = tensor;
  const count = elementCount(shape);
  if (count === 0) return storage instanceof Float32Array ? new Float32Array(0) : new Int32Array(0);
  const last = shape.reduce((sum, size, i) => sum + (size - 1) * (stride[i] ?? 0), offset);
  if (offset < 0 || last >= storage.length || stride.some((s) => s < 0)) throw new Error(`${where}: view lies outside its ${storage.length}-element storage`);
  let contiguous = true;
  for (let i = shape.length - 1, expected = 1; i >= 0; i--) {
    const size = shape[i] ?? 1;
    if (size !== 1 && stride[i] !== expected) contiguous = false;
    expected *= size;
  }
  // Always copy: tied weights share one storage, and callers may mutate what they get.
  if (contiguous) return storage.slice(offset, offset + count);
  const out = storage instanceof Float32Array ? new Float32Array(count) : new Int32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let source = offset;
    for (let d = 0; d < shape.length; d++) source += (index[d] ?? 0) * (stride[d] ?? 0);
    out[i] = storage[source] ?? 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d] = (index[d] ?? 0) + 1;
      if ((index[d] ?? 0) < (shape[d] ?? 1)) break;
      index[d] = 0;
    }
  }
  return out;
}

function torchHooks(label: string): UnpickleHooks {
  const fail = (message: string): Error => new Error(`${label}: ${message}`);
  return {
    allowedGlobals: ALLOWED_GLOBALS,
    persistentLoad(pid: PickleValue): PickleValue {
      const [kind, type, key, , numel] = pid instanceof PickleTuple ? pid.items : [];
      const dtype = type instanceof PickleGlobal ? STORAGE_DTYPES.get(type.qualifiedName) : undefined;
      if (kind !== 'storage' || dtype === undefined || typeof key !== 'string' || !isCount(numel)) throw fail('unexpected persistent id in data.pkl');
      return new StorageRef(dtype, key, numel);
    },
    reduce(callable: PickleGlobal, args: PickleTuple): PickleValue {
      const a = args.items;
      switch (callable.qualifiedName) {
        case ORDERED_DICT:
          if (a.length !== 0) throw fail('OrderedDict with arguments is not supported');
          return new PickleDict();
        case REBUILD_TENSOR: {
          // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
          const [storage, offset, size, stride] = a;
          const shape = intTuple(size);
          const strides = intTuple(stride);
          if (!(storage instanceof StorageRef) || !isCount(offset) || shape === undefined || strides?.length !== shape.length) {
            throw fail('malformed _rebuild_tensor_v2 arguments');
          }
          return new TensorRef(storage, offset, shape, strides);
        }
        case REBUILD_PARAMETER: {
          // (data, requires_grad, backward_hooks): a Parameter is its tensor for our purposes.
          const data = a[0];
          if (!(data instanceof TensorRef)) throw fail('malformed _rebuild_parameter arguments');
          return data;
        }
        default:
          throw fail(`refusing to call ${callable.qualifiedName}`);
      }
    },
  };
}

function isCount(value: PickleValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function intTuple(value: PickleValue | undefined): number[] | undefined {
  if (!(value instanceof PickleTuple)) return undefined;
  const items = value.items.filter(isCount);
  return items.length === value.items.length ? items : undefined;
}
