/**
 * wasm `_FusedMatMul` is wrong whenever it has a bias and leaves the XNNPACK path: with
 * `transposeA`/`transposeB` (its slow C++ path indexes the bias by `i*N + j`, clamped, instead of
 * by `j`; a max error of 2.3, tfjs-engine.md §1.1.5) and, measured here, with a batch above 1
 * even untransposed (error 0.78). Batch 1 without transposes is correct, so the transposes are
 * materialised and the stock kernel runs once per batch entry; that is also the fast path.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, boolAttr, input, runOne, sizeOf } from './backend-internals.js';
import { perEntry } from './batch-matmul.js';
import { PlainOperands } from './transpose.js';

export function fixedFusedMatMul(stock: KernelConfig | undefined): KernelFunc {
  if (stock === undefined) throw new Error('wasm _FusedMatMul kernel is not registered');
  return (args) => {
    const transposeA = boolAttr(args.attrs, 'transposeA');
    const transposeB = boolAttr(args.attrs, 'transposeB');
    const a0 = input(args, 'a');
    const b0 = input(args, 'b');
    const batchA = sizeOf(a0.shape.slice(0, -2));
    const batchB = sizeOf(b0.shape.slice(0, -2));
    const batched = batchA > 1 || batchB > 1;
    if (args.inputs.bias === undefined || (!transposeA && !transposeB && !batched)) return stock.kernelFunc(args);
    // Per-entry PReLU weights would need slicing too; that rare case stays on the stock kernel.
    if (batched && args.inputs.preluActivationWeights !== undefined) return stock.kernelFunc(args);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return stock.kernelFunc(args);

    const backend = asWasmBackend(args.backend);
    const operands = new PlainOperands(backend);
    const fused = (a: TensorInfo, b: TensorInfo): TensorInfo =>
      runOne(stock.kernelFunc, {
        inputs: { ...args.inputs, a, b },
        backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    try {
      const a = operands.plain(a0, transposeA);
      const b = operands.plain(b0, transposeB);
      return batched ? perEntry(backend, a, b, batchA, batchB, fused) : fused(a, b);
    } finally {
      operands.dispose();
    }
  };
}
