/**
 * engine/train/memory.ts: how many examples a training pass may hold in the wasm heap, when to
 * checkpoint, and what the user is told — against the sizes measured with bench:tune.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encoderTrainPlan, evalMicroBatch, microBatchFor, planNotices, seq2seqCheckpointedBytesPerExample, seq2seqTrainBytesPerExample,
  trainBytesPerExample, trainingLooksTooBig, trainMicroBatch, WASM_HEAP_BUDGET, type ModelShape, type Seq2SeqShape,
} from '../../engine/train/memory.js';

describe('trainMicroBatch', () => {
  // distilbert-base-uncased with a classification head.
  const distilbert: ModelShape = { layers: 6, hidden: 768, intermediate: 3072, heads: 12, parameters: 67_000_000 };
  const tiny: ModelShape = { layers: 2, hidden: 32, intermediate: 37, heads: 4, parameters: 100_000 };

  it('DistilBERT-base at 128 tokens in the 4 GiB wasm heap: micro-batches of 2 or 3 (bench:tune ran 3 with the optimizer in host memory)', () => {
    const micro = trainMicroBatch(distilbert, 128, 8, WASM_HEAP_BUDGET);
    assert.ok(micro >= 2 && micro <= 3, `micro-batch ${micro}`);
    assert.ok(!trainingLooksTooBig(distilbert, trainBytesPerExample(distilbert, 128), WASM_HEAP_BUDGET));
    assert.ok(evalMicroBatch(distilbert, 128, 64, WASM_HEAP_BUDGET) > micro, 'inference holds more per pass');
  });

  it('gives a tiny model its whole batch, and never more than the batch', () => {
    assert.equal(trainMicroBatch(tiny, 64, 16, WASM_HEAP_BUDGET), 16);
    assert.equal(trainMicroBatch(tiny, 64, 1, WASM_HEAP_BUDGET), 1);
  });

  it('allows larger micro-batches for shorter sequences', () => {
    const at = (seq: number): number => trainMicroBatch(distilbert, seq, 64, WASM_HEAP_BUDGET);
    assert.ok(at(32) > at(128), `${at(32)} at 32 tokens vs ${at(128)} at 128`);
    for (let seq = 8; seq < 512; seq += 8) assert.ok(at(seq) >= at(seq + 8), `monotonic at ${seq} tokens`);
  });

  it('grows with the budget, and is at least 1 even when nothing fits', () => {
    let previous = 0;
    for (let gib = 0.5; gib <= 16; gib += 0.5) {
      const micro = trainMicroBatch(distilbert, 128, 64, gib * 1024 ** 3);
      assert.ok(micro >= previous && micro >= 1, `${micro} at ${gib} GiB after ${previous}`);
      previous = micro;
    }
    assert.ok(previous > 2, 'a larger budget does allow larger micro-batches');
    assert.equal(trainMicroBatch(distilbert, 128, 8, 1024 ** 3), 1);
    assert.ok(trainingLooksTooBig(distilbert, trainBytesPerExample(distilbert, 128), 1024 ** 3));
  });
});

describe('encoderTrainPlan', () => {
  // roberta-base (deepset/roberta-base-squad2): 12 layers, 124 M parameters.
  const roberta: ModelShape = { layers: 12, hidden: 768, intermediate: 3072, heads: 12, parameters: 124_000_000 };
  const distilbert: ModelShape = { layers: 6, hidden: 768, intermediate: 3072, heads: 12, parameters: 67_000_000 };

  it('trains plainly when an example fits, and checkpoints roberta-base at 384 tokens (one window ran out of memory without it)', () => {
    const plain = encoderTrainPlan(distilbert, 128, WASM_HEAP_BUDGET);
    assert.equal(plain.checkpoint, false);
    assert.equal(plain.bytesPerExample(128), trainBytesPerExample(distilbert, 128));
    const qa = encoderTrainPlan(roberta, 384, WASM_HEAP_BUDGET);
    assert.ok(qa.checkpoint && qa.fits);
    assert.ok(qa.bytesPerExample(384) < trainBytesPerExample(roberta, 384) / 4, 'checkpointing keeps a fraction of the activations');
    assert.ok(microBatchFor(roberta, qa.bytesPerExample(384), 16, WASM_HEAP_BUDGET) >= 1);
    assert.deepEqual(planNotices(plain, 'example of 128 tokens', 'max_length'), []);
    assert.match(planNotices(qa, 'window of 384 tokens', 'max_length').join(' '), /recomputed in the backward pass .* one window of 384 tokens/);
    const forced = encoderTrainPlan(distilbert, 128, WASM_HEAP_BUDGET, true);
    assert.equal(forced.checkpoint, true, 'gradient_checkpointing: true forces it');
    assert.match(planNotices(forced, 'example of 128 tokens', 'max_length').join(' '), /as gradient_checkpointing asks/, 'and the NOTICE says why');
    assert.equal(encoderTrainPlan(roberta, 384, WASM_HEAP_BUDGET, false).checkpoint, false, 'and false refuses it');
    const huge = encoderTrainPlan({ ...roberta, parameters: 900_000_000 }, 384, WASM_HEAP_BUDGET);
    assert.ok(!huge.fits && /may not fit .* lower max_length/.test(planNotices(huge, 'window of 384 tokens', 'max_length').join(' ')), 'weights alone past the budget');
  });
});

describe('seq2seqTrainBytesPerExample', () => {
  // facebook/bart-base: 6 + 6 layers, d_model 768, 50265 tokens, 139 M parameters.
  const bart: Seq2SeqShape = { layers: 12, encoderLayers: 6, decoderLayers: 6, vocab: 50265, hidden: 768, intermediate: 3072, heads: 12, parameters: 139_420_416 };

  it('sizes each side by its own tokens, with the logits of every target token', () => {
    assert.ok(seq2seqTrainBytesPerExample(bart, 128, 64) > seq2seqTrainBytesPerExample(bart, 128, 32), 'more target tokens cost more');
    assert.ok(seq2seqTrainBytesPerExample(bart, 256, 32) > seq2seqTrainBytesPerExample(bart, 128, 32), 'more source tokens cost more');
    // One target token's logits over the vocabulary and their gradients outweigh a decoder position's activations.
    const perTarget = seq2seqTrainBytesPerExample(bart, 128, 33) - seq2seqTrainBytesPerExample(bart, 128, 32);
    assert.ok(perTarget > 4 * 50265 * 4, `${perTarget} bytes per target token`);
  });

  it('BART-base at 128 + 32 tokens fits the 4 GiB wasm heap one example at a time or more (it ran out with 1 before the optimizer left the heap)', () => {
    const perExample = seq2seqTrainBytesPerExample(bart, 128, 32);
    assert.ok(!trainingLooksTooBig(bart, perExample, WASM_HEAP_BUDGET));
    const micro = microBatchFor(bart, perExample, 8, WASM_HEAP_BUDGET);
    assert.ok(micro >= 1 && micro < 8, `micro-batch ${micro}`);
    assert.ok(trainingLooksTooBig(bart, seq2seqTrainBytesPerExample(bart, 1024, 128), WASM_HEAP_BUDGET), 'a 1024-token source does not look safe');
    const [plain, kept] = [seq2seqTrainBytesPerExample(bart, 512, 128), seq2seqCheckpointedBytesPerExample(bart, 512, 128)];
    assert.ok(kept < plain / 3, `checkpointed ${kept} bytes per pair vs ${plain}`);
    assert.ok(seq2seqCheckpointedBytesPerExample(bart, 512, 256) > kept, 'the logits still grow with the target');
  });
});
