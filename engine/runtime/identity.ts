/**
 * Zero-copy `Identity` on wasm. The stock kernel copies the buffer, and tfjs clones every tensor
 * it saves for backprop through Identity, so activation memory doubles (3.43 GB against 1.79 GB
 * for the taped forward pass, tfjs-engine.md §1.1.7). Sharing the dataId and counting a reference
 * is what wasm `Reshape` and the cpu backend's Identity already do.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { asWasmBackend, input } from './backend-internals.js';

export function zeroCopyIdentity(stock: KernelConfig | undefined): KernelFunc {
  return (args) => {
    const x = input(args, 'x');
    // String tensors live in JS, not on the heap; the stock kernel handles them.
    if (x.dtype === 'string') {
      if (stock === undefined) throw new Error('Identity: no stock kernel for string tensors');
      return stock.kernelFunc(args);
    }
    asWasmBackend(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
