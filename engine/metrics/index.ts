/** Evaluation metrics stored in `pgml.models.metrics`. */
export {
  accuracy, argmax, binaryRocAuc, classificationMetrics, logLoss, precisionRecallF1,
  type Average, type ClassificationMetrics, type PrecisionRecallF1,
} from './classification.js';
