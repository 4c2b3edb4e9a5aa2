/** Training pieces: a memory-flat AdamW, trainable weight trees, and the gradient step. */
export { ADAMW_DEFAULTS, AdamW, transformersNoDecay, type AdamWOptions } from './adamw.js';
export { seq2seqTrainable, seq2seqTrainingLoss } from './seq2seq.js';
export { disposeGrads, gradL2Norms, lossAndGrads, trainStep, type LossAndGrads } from './step.js';
export { makeTrainable, type Trainable, type TrainableOptions } from './trainable.js';
