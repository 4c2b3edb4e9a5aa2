/** A tensor read from a checkpoint, as plain row-major typed data (no TF.js at this layer). */
export interface WeightTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Floating dtypes widen or narrow to float32; integer and bool dtypes become int32. */
  readonly data: Float32Array | Int32Array;
  readonly dtype: 'float32' | 'int32';
}

/** Tensors by checkpoint key, in file order. */
export type Weights = ReadonlyMap<string, WeightTensor>;
