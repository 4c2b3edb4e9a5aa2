/** Materialises a swap of the last two axes with the stock wasm `Transpose` kernel, which is fast. */
import type { TensorInfo } from '@tensorflow/tfjs';
import { findKernel, runOne, type WasmBackend } from './backend-internals.js';

export function transposeLast2(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const kernel = findKernel('Transpose', 'wasm');
  if (kernel === undefined) throw new Error('wasm Transpose kernel is not registered');
  const rank = x.shape.length;
  const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  return runOne(kernel.kernelFunc, { inputs: { x }, backend, attrs: { perm } });
}

/**
 * Untransposed copies of matmul operands: `plain` materialises a transposed operand (keeping
 * the others as they are), and `dispose` frees the copies once the product is done.
 */
export class PlainOperands {
  private readonly copies: TensorInfo[] = [];

  constructor(private readonly backend: WasmBackend) {}

  plain(x: TensorInfo, transposed: boolean): TensorInfo {
    if (!transposed) return x;
    const copy = transposeLast2(this.backend, x);
    this.copies.push(copy);
    return copy;
  }

  dispose(): void {
    for (const copy of this.copies) this.backend.disposeData(copy.dataId);
  }
}
