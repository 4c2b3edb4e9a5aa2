/**
 * The few backend members the kernel fixes use, typed by hand: tfjs hands kernels `backend: {}`,
 * and importing the backends' classes would pull their implementation into the type graph. Every
 * member listed is public in the backends' `.d.ts` (tfjs-engine.md §4).
 */
import type { DataId, DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, TypedArray } from '@tensorflow/tfjs';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs';

export interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): TypedArray;
  incRef(dataId: DataId): void;
  disposeData(dataId: DataId): boolean;
}

export interface CpuBackend {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: TypedArray): TensorInfo;
}

export type KernelArgs = Parameters<KernelFunc>[0];

export function asWasmBackend(backend: object): WasmBackend {
  const b = backend as Partial<Record<keyof WasmBackend, unknown>>;
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function' || typeof b.incRef !== 'function') {
    throw new Error('engine kernel fix: expected the wasm backend');
  }
  return backend as WasmBackend;
}

export function asCpuBackend(backend: object): CpuBackend {
  const b = backend as Partial<Record<keyof CpuBackend, unknown>>;
  if (typeof b.readSync !== 'function' || typeof b.makeTensorInfo !== 'function') {
    throw new Error('engine kernel fix: expected the cpu backend');
  }
  return backend as CpuBackend;
}

export function input(args: KernelArgs, name: string): TensorInfo {
  const info = args.inputs[name];
  if (info === undefined) throw new Error(`engine kernel fix: missing input ${name}`);
  return info;
}

export function numberAttr(attrs: NamedAttrMap | undefined, name: string): number {
  const value = attrs?.[name];
  if (typeof value !== 'number') throw new Error(`engine kernel fix: attribute ${name} must be a number`);
  return value;
}

export function boolAttr(attrs: NamedAttrMap | undefined, name: string): boolean {
  return attrs?.[name] === true;
}

/** Runs a kernel and insists on the single output every kernel used here produces. */
export function runOne(kernelFunc: KernelFunc, args: KernelArgs): TensorInfo {
  const out = kernelFunc(args);
  if (Array.isArray(out)) throw new Error('engine kernel fix: expected one output');
  return out;
}

/**
 * Replaces a registered kernel and returns how to put the stock one back. The replacement keeps
 * the stock `setupFunc`, because stock kernels we fall back to rely on it (their `cwrap`s) when
 * the backend is initialised again.
 */
export function overrideKernel(
  kernelName: string,
  backendName: string,
  make: (stock: KernelConfig | undefined) => KernelFunc,
): () => void {
  const stock = findKernel(kernelName, backendName);
  if (stock !== undefined) unregisterKernel(kernelName, backendName);
  const config: KernelConfig = { kernelName, backendName, kernelFunc: make(stock) };
  if (stock?.setupFunc !== undefined) config.setupFunc = stock.setupFunc;
  if (stock?.disposeFunc !== undefined) config.disposeFunc = stock.disposeFunc;
  registerKernel(config);
  return () => {
    unregisterKernel(kernelName, backendName);
    if (stock !== undefined) registerKernel(stock);
  };
}

/** `getKernel` is typed as always finding one, but returns undefined for an unregistered kernel. */
export function findKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  const found: KernelConfig | undefined = getKernel(kernelName, backendName);
  return found;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
