/**
 * How many examples one forward/backward pass may hold, from the backend's memory budget: the
 * wasm backend's heap stops at 4 GiB, and one failed allocation leaves the wasm instance unusable,
 * so a batch that would not fit is split into micro-batches (with gradient accumulation) before
 * it is tried, not after it crashed. Estimates are deliberately pessimistic: the wasm allocator
 * never returns memory and fragments, so the high-water mark is well above the live bytes
 * (tfjs-engine.md §1.1.7: DistilBERT-base at 4 micro-batches of 2 peaks at 3.83 GiB, when the
 * optimizer's moments and the gradient sums were still on the heap).
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
// The weights, one pass's gradients, XNNPACK's packed copies of the weights, and the weights being
// replaced while AdamW uploads their update: about four copies of the parameters for the whole run
// (the gradient sums and AdamW's moments are in host memory: engine/train/gradients.ts, adamw.ts).
const FIXED_COPIES = 4;
// Logits, their softmax, and the gradients of both, per target token over the vocabulary.
const LOGIT_COPIES = 4;
// Inference keeps only one layer's activations (a tidy per layer) and no gradients.
const EVAL_FRACTION = 0.2;

/** An encoder-decoder's shape: `layers` is unused; each side is sized by its own tokens. */
export interface Seq2SeqShape extends ModelShape {
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  readonly vocab: number;
}

/** Bytes one example of `seq` tokens needs during a training step. */
export function trainBytesPerExample(shape: ModelShape, seq: number): number {
  return stackBytes(shape, shape.layers, seq, seq);
}

/**
 * The same for an encoder-decoder, with `source` and `target` tokens: the encoder's layers see the
 * source, the decoder's self-attention the target and its cross-attention the source (counted as
 * a second layer stack), and the LM head makes logits over the vocabulary for every target token.
 */
export function seq2seqTrainBytesPerExample(shape: Seq2SeqShape, source: number, target: number): number {
  const logits = LOGIT_COPIES * target * shape.vocab * 4 * FRAGMENTATION;
  return stackBytes(shape, shape.encoderLayers, source, source) + stackBytes(shape, shape.decoderLayers, target, target) +
    stackBytes(shape, shape.decoderLayers, target, source) + logits;
}

/**
 * Bytes one example needs when every block is checkpointed (engine/models/checkpoint.ts): each
 * block's input stays, and the backward pass holds one replayed block at a time (counted twice:
 * the replay's tape and the gradients flowing through it).
 */
export function checkpointedTrainBytesPerExample(shape: ModelShape, seq: number): number {
  return seq * shape.hidden * shape.layers * 4 * FRAGMENTATION + 2 * stackBytes(shape, 1, seq, seq);
}

/** How a model trains in the budget: plainly when its longest example fits, else checkpointed. */
export interface TrainPlan {
  readonly checkpoint: boolean;
  /** Set by the gradient_checkpointing hyperparam rather than by the budget. */
  readonly forced: boolean;
  /** False when even one longest example is estimated not to fit. */
  readonly fits: boolean;
}

/**
 * `longestBytes(checkpoint)`: bytes one longest example needs with or without checkpointing.
 * `force`: the gradient_checkpointing hyperparam (null: decide by the budget).
 */
export function trainPlan(shape: ModelShape, longestBytes: (checkpoint: boolean) => number, budget: number, force: boolean | null): TrainPlan {
  const checkpoint = force ?? trainingLooksTooBig(shape, longestBytes(false), budget);
  return { checkpoint, forced: force !== null, fits: !trainingLooksTooBig(shape, longestBytes(checkpoint), budget) };
}

/** An encoder's plan, with the bytes per example of `seq` tokens under it. */
export interface EncoderTrainPlan extends TrainPlan {
  readonly bytesPerExample: (seq: number) => number;
}

export function encoderTrainPlan(shape: ModelShape, maxLength: number, budget: number, force: boolean | null = null): EncoderTrainPlan {
  const bytes = (checkpoint: boolean, seq: number): number => (checkpoint ? checkpointedTrainBytesPerExample : trainBytesPerExample)(shape, seq);
  const plan = trainPlan(shape, (checkpoint) => bytes(checkpoint, maxLength), budget, force);
  return { ...plan, bytesPerExample: (seq) => bytes(plan.checkpoint, seq) };
}

/**
 * What to tell the user about a plan: `longest` names the longest example ("window of 384
 * tokens"), `lower` the hyperparams that shorten it.
 */
export function planNotices(plan: TrainPlan, longest: string, lower: string): string[] {
  const notices: string[] = [];
  if (plan.checkpoint) {
    const why = plan.forced ? ', as gradient_checkpointing asks' : `: one ${longest} would not fit otherwise`;
    notices.push(`gradient checkpointing: each layer's activations are recomputed in the backward pass (about a third more compute) instead of kept${why}`);
  }
  if (!plan.fits) notices.push(`this model may not fit the backend's memory even one ${longest} at a time; lower ${lower} if training fails`);
  return notices;
}

/** The same with every encoder and decoder layer checkpointed: their inputs stay, one replayed layer at a time. */
export function seq2seqCheckpointedBytesPerExample(shape: Seq2SeqShape, source: number, target: number): number {
  const inputs = (source * shape.encoderLayers + target * shape.decoderLayers) * shape.hidden * 4 * FRAGMENTATION;
  const layer = Math.max(stackBytes(shape, 1, source, source), stackBytes(shape, 1, target, target) + stackBytes(shape, 1, target, source));
  const logits = LOGIT_COPIES * target * shape.vocab * 4 * FRAGMENTATION;
  return inputs + 2 * layer + logits;
}

/** `layers` layers of `tokens` tokens, each attending over `keys` positions. */
function stackBytes(shape: ModelShape, layers: number, tokens: number, keys: number): number {
  const perToken = TRAIN_HIDDEN * shape.hidden + TRAIN_FFN * shape.intermediate + TRAIN_ATTENTION * shape.heads * keys;
  return perToken * tokens * layers * 4 * FRAGMENTATION;
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
  return microBatchFor(shape, trainBytesPerExample(shape, seq), batch, budget);
}

/** The largest micro-batch (≤ batch, at least 1) of examples that need `perExample` bytes each. */
export function microBatchFor(shape: ModelShape, perExample: number, batch: number, budget: number): number {
  return clamp(Math.floor((budget - fixedTrainBytes(shape)) / perExample), batch);
}

/** The longest example of a batch, in tokens: what a padded batch is sized by. */
export function longest(batch: readonly { readonly length: number }[]): number {
  return batch.reduce((max, e) => Math.max(max, e.length), 0);
}

/** The same for inference: far less per example, and only the weights are fixed. */
export function evalMicroBatch(shape: ModelShape, seq: number, batch: number, budget: number): number {
  const free = budget - shape.parameters * 4 * 2;
  return clamp(Math.floor(free / (trainBytesPerExample(shape, seq) * EVAL_FRACTION)), batch);
}

/** True when even one example per step is estimated not to fit: worth a warning before training. */
export function trainingLooksTooBig(shape: ModelShape, perExample: number, budget: number): boolean {
  return fixedTrainBytes(shape) + perExample > budget;
}

function clamp(fit: number, batch: number): number {
  return Math.max(1, Math.min(batch, fit));
}
