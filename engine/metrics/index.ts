/** Evaluation metrics stored in `pgml.models.metrics`. */
export {
  accuracy, argmax, binaryRocAuc, classificationMetrics, logLoss, precisionRecallF1,
  type Average, type ClassificationMetrics, type PrecisionRecallF1,
} from './classification.js';
export { bleuFromStatistics, corpusBleu, tokenize13a, type BleuScore, type BleuStatistics } from './bleu.js';
export { rouge, rougeN, rougePair, rougeTokenize, type RougeScore, type RougeScores } from './rouge.js';
export { exactMatch, normalizeAnswer, squadV2, tokenF1, type SquadV2Scores } from './squad.js';
