/**
 * How many examples one forward/backward pass may hold, from the backend's memory budget: the
 * wasm backend's heap stops at 4 GiB, and one failed allocation leaves the wasm instance unusable,
 * so a batch that would not fit is split into micro-batches (with gradient accumulation) before
 * it is tried, not after it crashed. Estimates are deliberately pessimistic: the wasm allocator
 * never returns memory and fragments, so the high-water mark is well above the live bytes
 * (tfjs-engine.md §1.1.7: DistilBERT-base at 4 micro-batches of 2 peaks at 3.83 GiB).
 */

export interface ModelShape {
  readonly layers: number;
  readonly hidden: number;
  readonly intermediate: number;
  readonly heads: number;
  /** Trainable parameters (floats). */
  readonly parameters: number;
}

/** wasm32's ceiling (getHeapMax), less what the runtime itself and the tokenizer keep. */
export const WASM_HEAP_BUDGET = 4 * 1024 ** 3 - 256 * 1024 ** 2;

// Floats kept alive per token per layer while the tape holds a training step: about 34 of the
// hidden width (projections, norms, residuals, dropout masks and their gradients), 10 of the FFN
// width, and 12 attention maps per head. Fragmentation multiplies what the allocator needs.
const TRAIN_HIDDEN = 34;
const TRAIN_FFN = 10;
const TRAIN_ATTENTION = 12;
const FRAGMENTATION = 3.2;
// Weights, this step's gradients, accumulated gradients, AdamW's two moments, and XNNPACK's packed
// copies of the weights: about seven copies of the parameters for the whole run.
const FIXED_COPIES = 7;
// Inference keeps only one layer's activations (a tidy per layer) and no gradients.
const EVAL_FRACTION = 0.2;

/** Bytes one example of `seq` tokens needs during a training step. */
export function trainBytesPerExample(shape: ModelShape, seq: number): number {
  const perToken = TRAIN_HIDDEN * shape.hidden + TRAIN_FFN * shape.intermediate + TRAIN_ATTENTION * shape.heads * seq;
  return perToken * seq * shape.layers * 4 * FRAGMENTATION;
}

/** Bytes the run needs whatever the batch: parameters and optimizer state. */
export function fixedTrainBytes(shape: ModelShape): number {
  return shape.parameters * 4 * FIXED_COPIES;
}

/**
 * The largest micro-batch (≤ batch) whose step fits in `budget` bytes; at least 1, since a
 * single example is the smallest unit there is (the caller reports when even that looks tight).
 */
export function trainMicroBatch(shape: ModelShape, seq: number, batch: number, budget: number): number {
  const free = budget - fixedTrainBytes(shape);
  return clamp(Math.floor(free / trainBytesPerExample(shape, seq)), batch);
}

/** The same for inference: far less per example, and only the weights are fixed. */
export function evalMicroBatch(shape: ModelShape, seq: number, batch: number, budget: number): number {
  const free = budget - shape.parameters * 4 * 2;
  return clamp(Math.floor(free / (trainBytesPerExample(shape, seq) * EVAL_FRACTION)), batch);
}

/** True when even one example per step is estimated not to fit: worth a warning before training. */
export function trainingLooksTooBig(shape: ModelShape, seq: number, budget: number): boolean {
  return fixedTrainBytes(shape) + trainBytesPerExample(shape, seq) > budget;
}

function clamp(fit: number, batch: number): number {
  return Math.max(1, Math.min(batch, fit));
}
