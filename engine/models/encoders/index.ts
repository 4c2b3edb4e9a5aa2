/** BERT, DistilBERT and RoBERTa encoders with sequence-classification and question-answering heads. */
export { readEncoderConfig, type EncoderConfig, type EncoderFamily, type EncoderHead } from './config.js';
export { encode, type EncoderInputs, type RunOptions } from './encoder.js';
export { FAMILIES, type BlockNames, type FamilySpec } from './families.js';
export { crossEntropy, disposeOutput, encoderLoss, forward, type EncoderOutput, type EncoderTargets } from './heads.js';
export { gradientNorms, trainableParams, type TrainableParams } from './variables.js';
export { checkEncoderWeights, expectedWeights } from './weights.js';
export { initializeMissingHead } from './head-init.js';
export { loadClassifierBase, loadQuestionAnsweringBase, type EncoderBase } from './encoder-base.js';
