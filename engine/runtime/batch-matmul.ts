/**
 * The "transpose fix" for wasm `BatchMatMul` (tfjs-engine.md §4.1). Stock wasm uses XNNPACK only
 * with no transpose and a batch of 1; every other case — the backward pass (dX = dY·Wᵀ,
 * dW = Xᵀ·dY) and attention's batched products — runs a naive loop at ~2 GFLOP/s. So: transpose
 * with the stock Transpose kernel, then call the stock kernel once per batch entry.
 *
 * Unlike the prototype, batch entries are copied into fresh heap buffers rather than registered
 * as views, which keeps to public backend members; the copies are O(size) against O(M·N·K) work.
 * Each entry gets new buffers because XNNPACK caches packed weights per tensor id.
 */
import { broadcast_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, boolAttr, input, runOne, sizeOf, type KernelArgs, type WasmBackend } from './backend-internals.js';
import { PlainOperands } from './transpose.js';

export function transposeFixBatchMatMul(stock: KernelConfig | undefined): KernelFunc {
  if (stock === undefined) throw new Error('wasm BatchMatMul kernel is not registered');
  const plainCall = (backend: WasmBackend, a: TensorInfo, b: TensorInfo, args: KernelArgs): TensorInfo =>
    runOne(stock.kernelFunc, { inputs: { a, b }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });

  return (args) => {
    const backend = asWasmBackend(args.backend);
    const a0 = input(args, 'a');
    const b0 = input(args, 'b');
    const batchA = sizeOf(a0.shape.slice(0, -2));
    const batchB = sizeOf(b0.shape.slice(0, -2));
    // Outer shapes that only broadcast after flattening are left to the stock kernel's checks.
    const flatBroadcast = batchA === batchB || batchA === 1 || batchB === 1;
    if (a0.dtype !== 'float32' || b0.dtype !== 'float32' || !flatBroadcast) return stock.kernelFunc(args);

    const operands = new PlainOperands(backend);
    try {
      const a = operands.plain(a0, boolAttr(args.attrs, 'transposeA'));
      const b = operands.plain(b0, boolAttr(args.attrs, 'transposeB'));
      if (batchA === 1 && batchB === 1) return plainCall(backend, a, b, args);
      return perEntry(backend, a, b, batchA, batchB, (x, y) => plainCall(backend, x, y, args));
    } finally {
      operands.dispose();
    }
  };
}

/** Runs `matMul` once per batch entry (batch-1, untransposed operands) and gathers the products. */
export function perEntry(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  batchA: number,
  batchB: number,
  matMul: (a: TensorInfo, b: TensorInfo) => TensorInfo,
): TensorInfo {
  const [m = 0, k = 0] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1] ?? 0;
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const batch = Math.max(batchA, batchB);
  for (let i = 0; i < batch; i++) {
    // Rank 3, because the stock _FusedMatMul reads its operands' shapes as [batch, rows, cols].
    const aEntry = backend.makeOutput([1, m, k], 'float32');
    const bEntry = backend.makeOutput([1, k, n], 'float32');
    // Views are taken after every allocation: a growing heap detaches older ones.
    const ia = batchA === 1 ? 0 : i;
    const ib = batchB === 1 ? 0 : i;
    backend.typedArrayFromHeap(aEntry).set(backend.typedArrayFromHeap(a).subarray(ia * m * k, (ia + 1) * m * k));
    backend.typedArrayFromHeap(bEntry).set(backend.typedArrayFromHeap(b).subarray(ib * k * n, (ib + 1) * k * n));
    const product = matMul(aEntry, bEntry);
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(product), i * m * n);
    backend.disposeData(product.dataId);
    backend.disposeData(aEntry.dataId);
    backend.disposeData(bEntry.dataId);
  }
  return out;
}
