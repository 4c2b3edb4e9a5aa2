/**
 * The engine's kernel fixes, registered over the stock tfjs kernels at start (tfjs-engine.md,
 * Recommendation 1). Each entry says which backend it patches; `registerKernelFixes` returns how
 * to undo them all, so a stopped runtime leaves tfjs as it found it.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { overrideKernel } from './backend-internals.js';
import { transposeFixBatchMatMul } from './batch-matmul.js';
import { fixedFusedMatMul } from './fused-matmul.js';
import { zeroCopyIdentity } from './identity.js';
import { cpuUnsortedSegmentSum, wasmUnsortedSegmentSum } from './segment-sum.js';

interface KernelFix {
  readonly kernelName: string;
  readonly backendName: 'wasm' | 'cpu';
  readonly make: (stock: KernelConfig | undefined) => KernelFunc;
}

export const KERNEL_FIXES: readonly KernelFix[] = [
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', make: () => wasmUnsortedSegmentSum },
  { kernelName: 'UnsortedSegmentSum', backendName: 'cpu', make: () => cpuUnsortedSegmentSum },
  { kernelName: 'Identity', backendName: 'wasm', make: zeroCopyIdentity },
  { kernelName: '_FusedMatMul', backendName: 'wasm', make: fixedFusedMatMul },
  { kernelName: 'BatchMatMul', backendName: 'wasm', make: transposeFixBatchMatMul },
];

export interface RegisteredFixes {
  readonly names: readonly string[];
  readonly undo: () => void;
}

/** Registers the fixes for the given backends; the cpu ones always apply, as tests compare against cpu. */
export function registerKernelFixes(backends: readonly string[]): RegisteredFixes {
  const undos: (() => void)[] = [];
  const names: string[] = [];
  for (const fix of KERNEL_FIXES) {
    if (!backends.includes(fix.backendName)) continue;
    undos.push(overrideKernel(fix.kernelName, fix.backendName, fix.make));
    names.push(`${fix.backendName}:${fix.kernelName}`);
  }
  return {
    names,
    undo: () => {
      for (const undo of undos.reverse()) undo();
    },
  };
}
