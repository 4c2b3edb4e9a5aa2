import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProxyError } from '../../proxy/errors.js';
import { isStrictlyBetter, keyMetric, keyMetricValue, shouldAutoDeploy, type Task } from '../../src/store/key-metrics.js';

describe('keyMetric', () => {
  it('names each task’s key metric and its direction', () => {
    const table: [Task, string, boolean][] = [
      ['text_classification', 'f1', true],
      ['classification', 'f1', true],
      ['question_answering', 'f1', true],
      ['text_pair_classification', 'f1', true],
      ['regression', 'r2', true],
      ['translation', 'bleu', true],
      ['summarization', 'rouge_ngram_f1', true],
      ['text_generation', 'perplexity', false],
      ['text2text', 'perplexity', false],
      ['clustering', 'silhouette', true],
      ['decomposition', 'cumulative_explained_variance', true],
      ['conversation', 'bleu', true],
    ];
    for (const [task, name, higherIsBetter] of table) assert.deepEqual(keyMetric(task), { name, higherIsBetter }, task);
  });

  it('accepts the hyphenated spelling of a task', () => {
    assert.deepEqual(keyMetric('text-generation'), { name: 'perplexity', higherIsBetter: false });
    assert.deepEqual(keyMetric('question-answering'), { name: 'f1', higherIsBetter: true });
  });

  it('refuses embedding and unknown tasks with 22023', () => {
    for (const task of ['embedding', 'nope', 'toString', '__proto__']) {
      assert.throws(() => keyMetric(task), (error: ProxyError) => {
        assert.ok(error instanceof ProxyError);
        assert.equal(error.fields.code, '22023');
        assert.match(error.message, new RegExp(`task ${task} has no key metric`));
        return true;
      });
    }
  });
});

describe('isStrictlyBetter', () => {
  it('compares in the metric’s direction', () => {
    assert.equal(isStrictlyBetter('classification', 1, 0.9), true);
    assert.equal(isStrictlyBetter('classification', 0.85, 0.9), false);
    assert.equal(isStrictlyBetter('text_generation', 9.5, 10.25), true, 'lower perplexity is better');
    assert.equal(isStrictlyBetter('text_generation', 10.25, 9.5), false);
  });

  it('is false for a tie', () => {
    assert.equal(isStrictlyBetter('regression', 0.5, 0.5), false);
    assert.equal(isStrictlyBetter('text2text', 3, 3), false);
  });

  it('counts a missing metric (undefined, null, NaN) as the worst value', () => {
    for (const missing of [undefined, null, NaN]) {
      assert.equal(isStrictlyBetter('classification', 0, missing), true);
      assert.equal(isStrictlyBetter('classification', missing, 0), false);
      assert.equal(isStrictlyBetter('text_generation', 1e9, missing), true, 'even a huge perplexity beats none');
      assert.equal(isStrictlyBetter('text_generation', missing, 1e9), false);
      assert.equal(isStrictlyBetter('classification', missing, undefined), false, 'two missing values tie');
    }
    assert.equal(isStrictlyBetter('text_generation', Infinity, undefined), true);
  });
});

describe('shouldAutoDeploy', () => {
  it('deploys the new model unless the current one is strictly better', () => {
    assert.equal(shouldAutoDeploy('classification', 0.9, 0.85), true);
    assert.equal(shouldAutoDeploy('classification', 0.9, 0.9), true, 'ties deploy the new model');
    assert.equal(shouldAutoDeploy('classification', 0.85, 0.9), false);
    assert.equal(shouldAutoDeploy('text_generation', 9.5, 10.25), true);
    assert.equal(shouldAutoDeploy('text_generation', 10.25, 9.5), false);
  });

  it('deploys when there is no current metric (or no deployment), and keeps a current model over a new one without', () => {
    assert.equal(shouldAutoDeploy('regression', 0.1, undefined), true);
    assert.equal(shouldAutoDeploy('regression', undefined, undefined), true);
    assert.equal(shouldAutoDeploy('regression', undefined, -5), false);
  });
});

describe('keyMetricValue', () => {
  it('reads the key metric from a metrics document when it is a number', () => {
    assert.equal(keyMetricValue('classification', { f1: 0.5, accuracy: 0.7 }), 0.5);
    assert.equal(keyMetricValue('translation', { bleu: 12.5, blue: 3 }), 12.5);
    assert.equal(keyMetricValue('translation', { blue: 3 }), undefined, 'PostgresML’s typo is not read');
    assert.equal(keyMetricValue('classification', { f1: '0.5' }), undefined);
    assert.equal(keyMetricValue('classification', { f1: null }), undefined);
    assert.equal(keyMetricValue('classification', null), undefined);
    assert.equal(keyMetricValue('classification', [0.5]), undefined);
    assert.equal(keyMetricValue('classification', 0.5), undefined);
  });
});
