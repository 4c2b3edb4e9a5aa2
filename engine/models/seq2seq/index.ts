export type { Seq2SeqConfig, Seq2SeqFamily } from './config.js';
export { seq2seqConfigFrom } from './config.js';
export type { DecoderCache, DecoderOutput, LayerCache } from './model.js';
export { decode, disposeCache, disposeSelf, encode } from './model.js';
export type { Seq2SeqModel } from './load.js';
export { loadSeq2Seq, sinusoidalTable } from './load.js';
export { IGNORE_INDEX, labelCrossEntropy, seq2seqLoss, shiftTokensRight } from './loss.js';
