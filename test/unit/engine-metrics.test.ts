/**
 * engine/metrics/classification against scikit-learn: small cases worked out by hand, and three
 * whose numbers came from sklearn 1.2.1 (Debian's python3-sklearn) through the snippet beside them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accuracy, argmax, binaryRocAuc, classificationMetrics, logLoss, precisionRecallF1, type ClassificationMetrics,
} from '../../engine/metrics/index.js';

// −log(float64 eps) = 52·ln 2: the cost of a probability of 0 on the true class after clipping.
const NEG_LOG_EPS = 52 * Math.LN2;

function close(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

function closeMetrics(actual: ClassificationMetrics, expected: ClassificationMetrics): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const key of Object.keys(expected) as (keyof ClassificationMetrics)[]) {
    close(actual[key] ?? NaN, expected[key] ?? NaN);
  }
}

describe('argmax', () => {
  it('returns the first index of the largest entry, as numpy does', () => {
    assert.equal(argmax([0.2, 0.5, 0.3]), 1);
    assert.equal(argmax([0.4, 0.4, 0.2]), 0);
    assert.equal(argmax([0.1, 0.45, 0.45]), 1);
  });
});

describe('precisionRecallF1', () => {
  it('is 1 everywhere for perfect predictions', () => {
    assert.deepEqual(precisionRecallF1([0, 1, 2, 1], [0, 1, 2, 1], 'weighted'), { precision: 1, recall: 1, f1: 1 });
    assert.deepEqual(precisionRecallF1([0, 1, 2, 1], [0, 1, 2, 1], 'macro'), { precision: 1, recall: 1, f1: 1 });
  });

  it('gives a never-predicted class precision 0 and recall 0', () => {
    // yTrue 0,0,0,0,1,1,2 and yPred 0,0,0,1,1,1,0; class 2 is never predicted.
    //   class 0: tp 3, predicted 4, support 4 → P 3/4, R 3/4, F1 3/4
    //   class 1: tp 2, predicted 3, support 2 → P 2/3, R 1,   F1 (4/3)/(5/3) = 4/5
    //   class 2: tp 0, predicted 0, support 1 → P 0 (zero division), R 0, F1 0
    // weighted by support 4,2,1: P (3 + 4/3)/7 = 13/21, R (3 + 2)/7 = 5/7, F1 (3 + 8/5)/7 = 23/35
    // macro: P (3/4 + 2/3)/3 = 17/36, R (3/4 + 1)/3 = 7/12, F1 (3/4 + 4/5)/3 = 31/60
    const yTrue = [0, 0, 0, 0, 1, 1, 2];
    const yPred = [0, 0, 0, 1, 1, 1, 0];
    const weighted = precisionRecallF1(yTrue, yPred, 'weighted');
    close(weighted.precision, 13 / 21);
    close(weighted.recall, 5 / 7);
    close(weighted.f1, 23 / 35);
    const macro = precisionRecallF1(yTrue, yPred, 'macro');
    close(macro.precision, 17 / 36);
    close(macro.recall, 7 / 12);
    close(macro.f1, 31 / 60);
  });

  it('averages over a class predicted but never true, with weight 0 when weighted', () => {
    // yTrue 0,0,1,1 and yPred 0,2,1,1; class 2 is predicted once and never true.
    //   class 0: P 1/1, R 1/2, F1 2/3;  class 1: P 1, R 1, F1 1;  class 2: P 0/1, R 0 (no support), F1 0
    // weighted by support 2,2,0: P 1, R 3/4, F1 (4/3 + 2)/4 = 5/6
    // macro over the three labels: P 2/3, R 1/2, F1 (2/3 + 1)/3 = 5/9
    const weighted = precisionRecallF1([0, 0, 1, 1], [0, 2, 1, 1], 'weighted');
    close(weighted.precision, 1);
    close(weighted.recall, 3 / 4);
    close(weighted.f1, 5 / 6);
    const macro = precisionRecallF1([0, 0, 1, 1], [0, 2, 1, 1], 'macro');
    close(macro.precision, 2 / 3);
    close(macro.recall, 1 / 2);
    close(macro.f1, 5 / 9);
  });

  it('averages only over labels present in yTrue or yPred, not every class the model has', () => {
    // With five classes but only 0 and 1 seen, macro F1 is (1 + 1)/2, not (1 + 1 + 0 + 0 + 0)/5.
    const metrics = classificationMetrics([0, 1], [[0.9, 0.1, 0, 0, 0], [0.1, 0.9, 0, 0, 0]], 5);
    assert.equal(metrics.f1_macro, 1);
  });
});

describe('logLoss', () => {
  it('clips a 0 probability on the true class to eps', () => {
    // Sample 0 puts 0 on its class: −log(eps) = 36.0437; sample 1 puts 1 on it: −log(1 − eps) ≈ eps.
    // sklearn: log_loss([0, 1], [[0, 1], [0, 1]]) == 18.021826694558577
    close(logLoss([0, 1], [[0, 1], [0, 1]], 2), NEG_LOG_EPS / 2);
    close(logLoss([0, 1], [[0, 1], [0, 1]], 2), 18.021826694558577);
  });

  it('renormalises rows that do not sum to 1', () => {
    // [0.2, 0.6] becomes [0.25, 0.75]: −ln 0.75 = 0.2876820724517809
    close(logLoss([1], [[0.2, 0.6]], 2), -Math.log(0.75));
  });

  it('refuses fewer than two classes, as sklearn does', () => {
    assert.throws(() => logLoss([0], [[1]], 1), /at least two classes/);
  });
});

describe('binaryRocAuc', () => {
  it('counts a tied positive/negative pair as one half', () => {
    // Positives score 0.5 and 0.9, negatives 0.1 and 0.5. Pairs won by the positive: (0.5 > 0.1),
    // (0.9 > 0.1), (0.9 > 0.5), plus ½ for the 0.5/0.5 tie: 3.5 of 4 pairs.
    assert.equal(binaryRocAuc([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9]), 0.875);
    // Every score tied: no ranking at all.
    assert.equal(binaryRocAuc([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]), 0.5);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    assert.equal(binaryRocAuc([0, 1, 0, 1], [0.1, 0.8, 0.3, 0.7]), 1);
    assert.equal(binaryRocAuc([0, 1, 0, 1], [0.8, 0.1, 0.7, 0.3]), 0);
  });

  it('is undefined when yTrue holds only one class', () => {
    assert.equal(binaryRocAuc([1, 1, 1], [0.2, 0.5, 0.9]), undefined);
  });
});

describe('classificationMetrics', () => {
  it('is perfect for one-hot correct probabilities', () => {
    // Each true class gets 1, clipped to 1 − eps: the loss is −log(1 − eps) ≈ eps, not exactly 0.
    const metrics = classificationMetrics([0, 1, 2, 1], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]], 3);
    closeMetrics(metrics, { accuracy: 1, f1: 1, f1_macro: 1, precision: 1, recall: 1, log_loss: 0 });
  });

  it('is zero when every binary prediction is wrong', () => {
    // Predictions 1,1,0,0 for truths 0,0,1,1. Loss: −(ln 0.1 + ln 0.2 + ln 0.3 + ln 0.4)/4 = −ln(0.0024)/4.
    // Class-1 scores 0.9, 0.8 (negatives) all beat 0.3, 0.4 (positives): AUC 0.
    const metrics = classificationMetrics([0, 0, 1, 1], [[0.1, 0.9], [0.2, 0.8], [0.7, 0.3], [0.6, 0.4]], 2);
    closeMetrics(metrics, {
      accuracy: 0, f1: 0, f1_macro: 0, precision: 0, recall: 0, log_loss: -Math.log(0.0024) / 4, roc_auc: 0,
    });
  });

  it('matches the hand-worked imbalanced three-class case', () => {
    // The precisionRecallF1 case above as probabilities: 0.6 on the predicted class, 0.2 elsewhere.
    // Five samples are right (p = 0.6), two wrong (p = 0.2): loss −(5 ln 0.6 + 2 ln 0.2)/7.
    const right = [0.6, 0.2, 0.2];
    const one = [0.2, 0.6, 0.2];
    const metrics = classificationMetrics([0, 0, 0, 0, 1, 1, 2], [right, right, right, one, one, one, right], 3);
    closeMetrics(metrics, {
      accuracy: 5 / 7, f1: 23 / 35, f1_macro: 31 / 60, precision: 13 / 21, recall: 5 / 7,
      log_loss: -(5 * Math.log(0.6) + 2 * Math.log(0.2)) / 7,
    });
  });

  it('omits roc_auc when yTrue holds a single class', () => {
    const metrics = classificationMetrics([1, 1], [[0.3, 0.7], [0.6, 0.4]], 2);
    assert.ok(!('roc_auc' in metrics));
  });

  it('omits roc_auc for more than two classes', () => {
    const metrics = classificationMetrics([0, 1, 2], [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]], 3);
    assert.ok(!('roc_auc' in metrics));
  });

  // The sklearn references below share this helper (run once with /usr/bin/python3, sklearn 1.2.1):
  //   import numpy as np
  //   from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, log_loss, roc_auc_score
  //   def show(y, p, k):
  //       p = np.array(p); pred = p.argmax(axis=1)
  //       out = dict(accuracy=accuracy_score(y, pred),
  //           f1=f1_score(y, pred, average='weighted', zero_division=0),
  //           f1_macro=f1_score(y, pred, average='macro', zero_division=0),
  //           precision=precision_score(y, pred, average='weighted', zero_division=0),
  //           recall=recall_score(y, pred, average='weighted', zero_division=0),
  //           log_loss=log_loss(y, p, labels=range(k)))
  //       if k == 2 and len(set(y)) == 2: out['roc_auc'] = roc_auc_score(y, p[:, 1])
  //       print({a: repr(float(b)) for a, b in out.items()})

  it('matches sklearn on three imbalanced classes with argmax ties', () => {
    // show(y, p, 3) with y and p as below; rows 3 and 9 tie between classes 0 and 1.
    const y = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 1, 1];
    const p = [
      [0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2], [0.6, 0.3, 0.1], [0.5, 0.25, 0.25],
      [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.2, 0.7, 0.1], [0.45, 0.45, 0.1], [0.9, 0.05, 0.05], [0.25, 0.5, 0.25],
    ];
    closeMetrics(classificationMetrics(y, p, 3), {
      accuracy: 0.5833333333333334, f1: 0.611111111111111, f1_macro: 0.6148148148148148,
      precision: 0.7083333333333334, recall: 0.5833333333333334, log_loss: 1.1093720934597704,
    });
  });

  it('matches sklearn on a binary case with tied scores and 0/1 probabilities', () => {
    // show(y, p, 2) with y and p as below; class-1 scores tie at 0.7, 0.4 and 0.5.
    const y = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0];
    const p = [[0.3, 0.7], [0.6, 0.4], [0.6, 0.4], [0, 1], [0.3, 0.7], [0.8, 0.2], [0.5, 0.5], [0.5, 0.5], [0.1, 0.9], [1, 0]];
    closeMetrics(classificationMetrics(y, p, 2), {
      accuracy: 0.7, f1: 0.6969696969696969, f1_macro: 0.6969696969696968,
      precision: 0.7083333333333333, recall: 0.7, log_loss: 0.4702562531996741, roc_auc: 0.8200000000000001,
    });
  });

  it('matches sklearn with a fourth class that is neither true nor predicted', () => {
    // show(y, p, 4) with y and p as below: F1 averages over classes 0-2, log loss over all four columns.
    const y = [2, 0, 1, 2, 2, 0, 1, 2, 0, 2];
    const p = [
      [0.1, 0.2, 0.6, 0.1], [0.5, 0.1, 0.3, 0.1], [0.3, 0.3, 0.3, 0.1], [0.2, 0.5, 0.25, 0.05], [0.05, 0.05, 0.85, 0.05],
      [0.4, 0.35, 0.2, 0.05], [0.15, 0.6, 0.2, 0.05], [0.3, 0.1, 0.5, 0.1], [0.2, 0.2, 0.55, 0.05], [0, 0.1, 0.9, 0],
    ];
    closeMetrics(classificationMetrics(y, p, 4), {
      accuracy: 0.7, f1: 0.7000000000000001, f1_macro: 0.6555555555555556,
      precision: 0.7, recall: 0.7, log_loss: 0.7791820863561556,
    });
  });

  it('rejects empty input, mismatched lengths and out-of-range labels', () => {
    assert.throws(() => classificationMetrics([], [], 2), /at least one sample/);
    assert.throws(() => accuracy([], []), /at least one sample/);
    assert.throws(() => accuracy([0, 1], [0]), /2 samples but yPred has 1/);
    assert.throws(() => classificationMetrics([0, 1], [[0.5, 0.5]], 2), /2 samples but probabilities has 1/);
    assert.throws(() => classificationMetrics([0, 2], [[0.5, 0.5], [0.5, 0.5]], 2), /yTrue\[1\] = 2 is not a class index/);
    assert.throws(() => classificationMetrics([-1], [[0.5, 0.5]], 2), /yTrue\[0\] = -1/);
    assert.throws(() => classificationMetrics([0.5], [[0.5, 0.5]], 2), /yTrue\[0\] = 0.5/);
    assert.throws(() => precisionRecallF1([0], [1.5], 'macro'), /yPred\[0\] = 1.5/);
    assert.throws(() => classificationMetrics([0], [[0.2, 0.3, 0.5]], 2), /probabilities\[0\] has 3 entries, expected 2/);
    assert.throws(() => classificationMetrics([0], [[Number.NaN, 1]], 2), /finite non-negative/);
    assert.throws(() => classificationMetrics([0], [[0, 0]], 2), /all zeros/);
    assert.throws(() => binaryRocAuc([0, 1], [0.5]), /2 samples but scores has 1/);
  });
});
