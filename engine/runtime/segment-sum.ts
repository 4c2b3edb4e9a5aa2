/**
 * `UnsortedSegmentSum` as one scatter-add pass. It is the gradient of `gather`, so embedding
 * lookups need it: wasm has no kernel at all, and the cpu one runs equal/cast/mul/sum once per
 * segment, O(numSegments × |x|) — minutes per step for a 30522-token vocabulary (tfjs-engine.md §1.1).
 */
import type { KernelFunc, TensorInfo, TypedArray } from '@tensorflow/tfjs';
import { asCpuBackend, asWasmBackend, input, numberAttr, sizeOf, type KernelArgs } from './backend-internals.js';

/** out[ids[i]] += x[i] row by row (rows of `inner` values); ids outside [0, numSegments) are dropped, as in TF. */
export function scatterAdd(x: TypedArray, ids: TypedArray, inner: number, out: TypedArray): void {
  out.fill(0);
  const numSegments = out.length / inner;
  for (let i = 0; i < ids.length; i++) {
    const segment = ids[i] ?? -1;
    if (segment < 0 || segment >= numSegments) continue;
    const src = i * inner;
    const dst = segment * inner;
    for (let j = 0; j < inner; j++) out[dst + j] = (out[dst + j] ?? 0) + (x[src + j] ?? 0);
  }
}

interface Plan {
  x: TensorInfo;
  ids: TensorInfo;
  shape: number[];
  inner: number;
}

function plan(args: KernelArgs): Plan {
  const x = input(args, 'x');
  const ids = input(args, 'segmentIds');
  const numSegments = numberAttr(args.attrs, 'numSegments');
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: unsupported dtype ${x.dtype}`);
  const idCount = sizeOf(ids.shape);
  const inner = idCount === 0 ? sizeOf(x.shape.slice(ids.shape.length)) : sizeOf(x.shape) / idCount;
  return { x, ids, shape: [numSegments, ...x.shape.slice(ids.shape.length)], inner };
}

export const wasmUnsortedSegmentSum: KernelFunc = (args) => {
  const backend = asWasmBackend(args.backend);
  const { x, ids, shape, inner } = plan(args);
  // makeOutput may grow the heap and detach older views, so the input views are taken after it.
  const out = backend.makeOutput(shape, x.dtype);
  scatterAdd(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(ids), inner, backend.typedArrayFromHeap(out));
  return out;
};

export const cpuUnsortedSegmentSum: KernelFunc = (args) => {
  const backend = asCpuBackend(args.backend);
  const { x, ids, shape, inner } = plan(args);
  const values = backend.readSync(x.dataId);
  const idValues = backend.readSync(ids.dataId);
  if (!(values instanceof Float32Array || values instanceof Int32Array) || !(idValues instanceof Int32Array || idValues instanceof Float32Array)) {
    throw new Error('UnsortedSegmentSum: expected numeric inputs');
  }
  const out = x.dtype === 'int32' ? new Int32Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
  scatterAdd(values, idValues, inner, out);
  return backend.makeTensorInfo(shape, x.dtype, out);
};
