/**
 * engine/train/hyperparams and engine/train/schedule: what users write in
 * `pgml.tune(hyperparams => ...)` becomes transformers 4.44 TrainingArguments, and the learning
 * rate per step is what transformers' get_scheduler gives (expected values computed by hand from
 * optimization.py's lambdas).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HyperparamError, parseHyperparams, redactSecrets, TRAINING_DEFAULTS, type TrainingArgs } from '../../engine/train/hyperparams.js';
import { learningRateAt, scheduleFor, type Schedule } from '../../engine/train/schedule.js';

/** Asserts `run` throws a HyperparamError naming `key`, with the key in its message too. */
function rejects(run: () => unknown, key: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof HyperparamError, `a HyperparamError, not ${String(error)}`);
    assert.equal(error.key, key);
    assert.equal(error.name, 'HyperparamError');
    assert.ok(error.message.includes(key), `message names ${key}: ${error.message}`);
    return true;
  });
}

describe('parseHyperparams', () => {
  it('gives transformers 4.44 TrainingArguments defaults for null, undefined and {}', () => {
    for (const json of [null, undefined, {}]) {
      const { training, dataset, unused } = parseHyperparams(json);
      assert.deepEqual(training, {
        learningRate: 5e-5, numTrainEpochs: 3, maxSteps: -1, perDeviceTrainBatchSize: 8, perDeviceEvalBatchSize: 8,
        gradientAccumulationSteps: 1, weightDecay: 0, warmupSteps: 0, warmupRatio: 0, lrSchedulerType: 'linear',
        maxGradNorm: 1, adamBeta1: 0.9, adamBeta2: 0.999, adamEpsilon: 1e-8, evaluationStrategy: 'no', evalSteps: null,
        loggingSteps: 500, seed: 42, gradientCheckpointing: null,
      });
      assert.deepEqual(dataset, { textColumn: null, classColumn: null, questionColumn: null, contextColumn: null, maxLength: null, maxInputLength: null, maxTargetLength: null, stride: null });
      assert.deepEqual(unused, []);
      assert.ok(Object.isFrozen(training) && Object.isFrozen(dataset));
    }
  });

  it('reads the flat form', () => {
    const { training, dataset, unused } = parseHyperparams({
      learning_rate: 2e-5, num_train_epochs: 1.5, per_device_train_batch_size: 16, per_device_eval_batch_size: 32,
      gradient_accumulation_steps: 2, weight_decay: 0.01, warmup_steps: 10, warmup_ratio: 0.1, lr_scheduler_type: 'cosine',
      max_grad_norm: 0, adam_beta1: 0.8, adam_beta2: 0.99, adam_epsilon: 1e-6, evaluation_strategy: 'steps', eval_steps: 50,
      logging_steps: 0.1, seed: 7, max_steps: 120, text_column: 'review', class_column: 'sentiment', max_length: 128,
      max_input_length: 1024, max_summary_length: 64, stride: 32, gradient_checkpointing: true,
    });
    assert.deepEqual(training, {
      learningRate: 2e-5, numTrainEpochs: 1.5, maxSteps: 120, perDeviceTrainBatchSize: 16, perDeviceEvalBatchSize: 32,
      gradientAccumulationSteps: 2, weightDecay: 0.01, warmupSteps: 10, warmupRatio: 0.1, lrSchedulerType: 'cosine',
      maxGradNorm: 0, adamBeta1: 0.8, adamBeta2: 0.99, adamEpsilon: 1e-6, evaluationStrategy: 'steps', evalSteps: 50,
      loggingSteps: 0.1, seed: 7, gradientCheckpointing: true,
    });
    assert.deepEqual(dataset, { textColumn: 'review', classColumn: 'sentiment', questionColumn: null, contextColumn: null, maxLength: 128, maxInputLength: 1024, maxTargetLength: 64, stride: 32 });
    assert.deepEqual(unused, []);
  });

  it('reads the nested form, where training_args wins over the same key written flat', () => {
    const { training, dataset, unused } = parseHyperparams({
      learning_rate: 1e-3,
      per_device_train_batch_size: 4,
      training_args: { learning_rate: 3e-5, num_train_epochs: 2 },
      dataset_args: { text_column: 'text', class_column: 'label' },
      tokenizer_args: { max_length: 64 },
    });
    assert.equal(training.learningRate, 3e-5);
    assert.equal(training.numTrainEpochs, 2);
    assert.equal(training.perDeviceTrainBatchSize, 4, 'a flat key the nested form does not repeat still counts');
    assert.deepEqual(dataset, { textColumn: 'text', classColumn: 'label', questionColumn: null, contextColumn: null, maxLength: 64, maxInputLength: null, maxTargetLength: null, stride: null });
    assert.deepEqual(unused, []);
  });

  it('takes eval_strategy (the 4.41+ name) as well as evaluation_strategy', () => {
    assert.equal(parseHyperparams({ eval_strategy: 'epoch' }).training.evaluationStrategy, 'epoch');
    assert.equal(parseHyperparams({ training_args: { eval_strategy: 'steps' } }).training.evaluationStrategy, 'steps');
    assert.equal(parseHyperparams({ evaluation_strategy: 'no' }).training.evaluationStrategy, 'no');
    rejects(() => parseHyperparams({ eval_strategy: 'sometimes' }), 'eval_strategy');
    rejects(() => parseHyperparams({ gradient_checkpointing: 'yes' }), 'gradient_checkpointing');
  });

  it('treats null as the default', () => {
    const { training, dataset } = parseHyperparams({ learning_rate: null, training_args: { seed: null }, dataset_args: null, tokenizer_args: { max_length: null } });
    assert.equal(training.learningRate, TRAINING_DEFAULTS.learningRate);
    assert.equal(training.seed, 42);
    assert.equal(dataset.maxLength, null);
    // A null nested value resets what the flat form set.
    assert.equal(parseHyperparams({ num_train_epochs: 5, training_args: { num_train_epochs: null } }).training.numTrainEpochs, 3);
  });

  it('reports unknown keys as written, prefix included, and never fails on them', () => {
    const { training, unused } = parseHyperparams({
      fp16: true,
      model_name: 'distilbert-base-uncased', project_name: 'p', hub_token: 'hf_secret', revision: 'main',
      training_args: { fp16: true, learning_rate: 1e-4, push_to_hub: false },
      dataset_args: { text_column: 'text', streaming: true },
      tokenizer_args: { padding: 'max_length', max_length: 32 },
    });
    assert.equal(training.learningRate, 1e-4);
    assert.deepEqual([...unused].sort(), ['dataset_args.streaming', 'fp16', 'tokenizer_args.padding', 'training_args.fp16', 'training_args.push_to_hub']);
  });

  it('reports a training key under dataset_args or tokenizer_args, which it does not read', () => {
    const { training, unused } = parseHyperparams({ dataset_args: { learning_rate: 1 }, tokenizer_args: { num_train_epochs: 9 } });
    assert.equal(training.learningRate, 5e-5);
    assert.equal(training.numTrainEpochs, 3);
    assert.deepEqual([...unused].sort(), ['dataset_args.learning_rate', 'tokenizer_args.num_train_epochs']);
  });

  it('names the key, as written, for a value it cannot use', () => {
    const cases: readonly [Record<string, unknown>, string][] = [
      [{ per_device_train_batch_size: 0 }, 'per_device_train_batch_size'],
      [{ per_device_train_batch_size: -8 }, 'per_device_train_batch_size'],
      [{ per_device_train_batch_size: 2.5 }, 'per_device_train_batch_size'],
      [{ per_device_eval_batch_size: 0 }, 'per_device_eval_batch_size'],
      [{ training_args: { per_device_train_batch_size: 0 } }, 'training_args.per_device_train_batch_size'],
      [{ learning_rate: 0 }, 'learning_rate'],
      [{ learning_rate: -1e-5 }, 'learning_rate'],
      [{ learning_rate: '2e-5' }, 'learning_rate'],
      [{ training_args: { learning_rate: true } }, 'training_args.learning_rate'],
      [{ gradient_accumulation_steps: 1.5 }, 'gradient_accumulation_steps'],
      [{ gradient_accumulation_steps: 0 }, 'gradient_accumulation_steps'],
      [{ num_train_epochs: -1 }, 'num_train_epochs'],
      [{ max_steps: 10.5 }, 'max_steps'],
      [{ warmup_steps: 2.5 }, 'warmup_steps'],
      [{ warmup_steps: -1 }, 'warmup_steps'],
      [{ warmup_ratio: 1 }, 'warmup_ratio'],
      [{ warmup_ratio: -0.1 }, 'warmup_ratio'],
      [{ weight_decay: -0.01 }, 'weight_decay'],
      [{ max_grad_norm: -1 }, 'max_grad_norm'],
      [{ adam_beta2: 1 }, 'adam_beta2'],
      [{ lr_scheduler_type: 'polynomial' }, 'lr_scheduler_type'],
      [{ lr_scheduler_type: 'Linear' }, 'lr_scheduler_type'],
      [{ evaluation_strategy: 'never' }, 'evaluation_strategy'],
      [{ logging_steps: 0 }, 'logging_steps'],
      [{ logging_steps: 2.5 }, 'logging_steps'],
      [{ eval_steps: 1.5 }, 'eval_steps'],
      [{ seed: 1.5 }, 'seed'],
      [{ learning_rate: Number.POSITIVE_INFINITY }, 'learning_rate'],
      [{ dataset_args: { text_column: '' } }, 'dataset_args.text_column'],
      [{ class_column: 3 }, 'class_column'],
      [{ tokenizer_args: { max_length: 0 } }, 'tokenizer_args.max_length'],
      [{ tokenizer_args: { max_length: 12.5 } }, 'tokenizer_args.max_length'],
    ];
    for (const [json, key] of cases) rejects(() => parseHyperparams(json), key);
  });

  it('accepts fractions below 1 for logging_steps and eval_steps, and max_steps -1', () => {
    const { training } = parseHyperparams({ logging_steps: 0.25, eval_steps: 0.5, max_steps: -1 });
    assert.equal(training.loggingSteps, 0.25);
    assert.equal(training.evalSteps, 0.5);
    assert.equal(training.maxSteps, -1);
  });

  it('allows num_train_epochs 0 only when max_steps sets the length, as transformers does', () => {
    assert.equal(parseHyperparams({ max_steps: 100, num_train_epochs: 0 }).training.maxSteps, 100);
    rejects(() => parseHyperparams({ num_train_epochs: 0 }), 'num_train_epochs');
    rejects(() => parseHyperparams({ max_steps: -1, num_train_epochs: 0 }), 'num_train_epochs');
  });

  it('rejects JSON that is not an object, naming where', () => {
    for (const json of [[], 42, 'learning_rate', true]) rejects(() => parseHyperparams(json), 'hyperparams');
    rejects(() => parseHyperparams({ training_args: [1, 2] }), 'training_args');
    rejects(() => parseHyperparams({ dataset_args: 'text' }), 'dataset_args');
    rejects(() => parseHyperparams({ tokenizer_args: 5 }), 'tokenizer_args');
  });
});

describe('redactSecrets', () => {
  it('hides hub tokens at any depth, keeps everything else, and leaves its input alone', () => {
    const input = {
      learning_rate: 2e-5,
      hub_token: 'hf_abc',
      use_auth_token: true,
      token: null,
      training_args: { token: 'hf_nested', seed: 1, tags: ['a', 'b'] },
      dataset_args: { use_auth_token: false },
    };
    const before = structuredClone(input);
    assert.deepEqual(redactSecrets(input), {
      learning_rate: 2e-5,
      hub_token: '***',
      use_auth_token: '***',
      token: null,
      training_args: { token: '***', seed: 1, tags: ['a', 'b'] },
      dataset_args: { use_auth_token: false },
    });
    assert.deepEqual(input, before);
    assert.ok(!JSON.stringify(redactSecrets(input)).includes('hf_'));
  });
});

function args(overrides: Partial<TrainingArgs>): TrainingArgs {
  return { ...TRAINING_DEFAULTS, ...overrides };
}

function rates(schedule: Schedule, steps: number): number[] {
  return Array.from({ length: steps }, (_, step) => learningRateAt(schedule, step));
}

function assertClose(got: readonly number[], want: readonly number[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => {
    const w = want[i] ?? Number.NaN;
    assert.ok(Math.abs(g - w) <= 1e-12 + 1e-12 * Math.abs(w), `${what} at step ${i}: ${g} vs ${w}`);
  });
}

describe('learning-rate schedules', () => {
  // total 10, warmup 3: warmup lambda step/3, then the schedule over the 7 remaining steps.
  const warm = [0, 1 / 3, 2 / 3];

  it('linear: get_linear_schedule_with_warmup', () => {
    const schedule = scheduleFor(args({ learningRate: 1, warmupSteps: 3 }), 10);
    assert.deepEqual(schedule, { type: 'linear', baseRate: 1, totalSteps: 10, warmupSteps: 3 });
    // max(0, (10 − s) / 7) from s = 3; step 10 (one past the last) is 0.
    assertClose(rates(schedule, 11), [...warm, 1, 6 / 7, 5 / 7, 4 / 7, 3 / 7, 2 / 7, 1 / 7, 0], 'linear');
    assert.equal(learningRateAt(schedule, 12), 0, 'never negative');
  });

  it('linear without warmup starts at the base rate and scales it', () => {
    const schedule = scheduleFor(args({ learningRate: 2e-5 }), 4);
    assertClose(rates(schedule, 4), [2e-5, 1.5e-5, 1e-5, 0.5e-5], 'linear, no warmup');
  });

  it('cosine: get_cosine_schedule_with_warmup with num_cycles 0.5', () => {
    const schedule = scheduleFor(args({ learningRate: 1, warmupSteps: 3, lrSchedulerType: 'cosine' }), 10);
    // 0.5·(1 + cos(π·(s − 3)/7)); the cosines of kπ/7 written out.
    const cosines = [1, 0.9009688679024191, 0.6234898018587336, 0.22252093395631445, -0.22252093395631434, -0.6234898018587335, -0.900968867902419, -1];
    assertClose(rates(schedule, 11), [...warm, ...cosines.map((c) => 0.5 * (1 + c))], 'cosine');
    assert.ok(Math.abs(learningRateAt(schedule, 9) - 0.04951556604879048) < 1e-12, 'the last step');
  });

  it('constant_with_warmup: get_constant_schedule_with_warmup', () => {
    const schedule = scheduleFor(args({ learningRate: 0.5, warmupSteps: 3, lrSchedulerType: 'constant_with_warmup' }), 10);
    assertClose(rates(schedule, 10), [0, 0.5 / 3, 1 / 3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 'constant_with_warmup');
  });

  it('constant: get_constant_schedule, which ignores warmup', () => {
    const schedule = scheduleFor(args({ learningRate: 0.5, warmupSteps: 3, lrSchedulerType: 'constant' }), 10);
    assertClose(rates(schedule, 10), Array.from({ length: 10 }, () => 0.5), 'constant');
  });

  it('takes warmup_steps when set, else ceil(warmup_ratio × total)', () => {
    assert.equal(scheduleFor(args({ warmupRatio: 0.25 }), 10).warmupSteps, 3, 'ceil(2.5)');
    assert.equal(scheduleFor(args({ warmupRatio: 0.05 }), 10).warmupSteps, 1, 'ceil(0.5)');
    assert.equal(scheduleFor(args({ warmupRatio: 0.1 }), 10).warmupSteps, 1);
    assert.equal(scheduleFor(args({ warmupRatio: 0.1 }), 100).warmupSteps, 10);
    assert.equal(scheduleFor(args({ warmupRatio: 0.5, warmupSteps: 2 }), 10).warmupSteps, 2, 'warmup_steps wins');
    assert.equal(scheduleFor(args({}), 10).warmupSteps, 0);
    // Ratio-derived warmup drives the rates: total 10, ratio 0.25 → the same as warmup 3.
    assertClose(rates(scheduleFor(args({ learningRate: 1, warmupRatio: 0.25 }), 10), 10), [...warm, 1, 6 / 7, 5 / 7, 4 / 7, 3 / 7, 2 / 7, 1 / 7], 'linear, ratio');
  });

  it('keeps warming up when warmup is longer than training', () => {
    const schedule = scheduleFor(args({ learningRate: 1, warmupSteps: 5 }), 3);
    assertClose(rates(schedule, 3), [0, 0.2, 0.4], 'long warmup');
  });
});
