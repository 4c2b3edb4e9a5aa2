/**
 * Engine speed against PyTorch on a DistilBERT-base-shaped classifier with random weights:
 * eval-mode forward, one training step (forward + backward + AdamW) and peak memory, on the
 * backend startRuntime() picks, then the same shapes in PyTorch (bench/engine-torch.py).
 *
 * Each TF.js attempt runs in its own node process: a step that exhausts the 4 GB wasm heap can
 * leave the module unusable, and VmHWM is then the peak of that configuration alone. If batch N
 * runs out of memory, the step is retried as gradient accumulation over 2, then 4 micro-batches.
 *
 *   npm run bench:engine -- [--rounds 3] [--batch 8] [--seq 128] [--layers 6] [--warmup 1]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as tfjs from '@tensorflow/tfjs';
import { startRuntime } from '../engine/runtime/index.js';
import {
  disposeOutput, encoderLoss, expectedWeights, forward, readEncoderConfig, trainableParams, type EncoderConfig,
} from '../engine/models/encoders/index.js';
import { Params } from '../engine/models/params.js';
import { median, wholeNumber } from './common.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
    warmup: { type: 'string', default: '1' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    layers: { type: 'string', default: '6' },
    // Internal: the child process that measures one TF.js configuration.
    worker: { type: 'boolean', default: false },
    micro: { type: 'string', default: '1' },
    'skip-forward': { type: 'boolean', default: false },
  },
});
const rounds = wholeNumber('rounds', flags.rounds);
const warmup = wholeNumber('warmup', flags.warmup, 0);
const batch = wholeNumber('batch', flags.batch);
const seq = wholeNumber('seq', flags.seq);
const layers = wholeNumber('layers', flags.layers);
const LR = 5e-5;
const PYTHON = '/usr/bin/python3';
const RESULT = 'RESULT ';

interface Phase {
  readonly phase: 'forward' | 'train';
  readonly ms: number[];
  /** Highest tf.memory().numBytes sampled during the warm-up steps. */
  readonly tensorPeak: number;
  /** Size the wasm linear memory has grown to, 0 on other backends. */
  readonly heap: number;
  readonly rssPeak: number;
  readonly losses?: number[];
}
interface TorchResult {
  readonly torch: string;
  readonly threads: number;
  /** The libblas files torch's process mapped. */
  readonly blas: string;
  readonly forward_ms: number[];
  readonly train_ms: number[];
  readonly losses: number[];
  readonly rss_peak_forward: number;
  readonly rss_peak: number;
}

// ---------- the worker: one TF.js configuration ----------

async function worker(): Promise<void> {
  const micro = wholeNumber('micro', flags.micro);
  if (batch % micro !== 0) throw new Error(`--batch ${batch} is not divisible into ${micro} micro-batches`);
  const { tf, backend, fixes } = await startRuntime();
  const config = readEncoderConfig({
    model_type: 'distilbert', architectures: ['DistilBertForSequenceClassification'], vocab_size: 30522, dim: 768,
    n_layers: layers, n_heads: 12, hidden_dim: 3072, max_position_embeddings: 512, activation: 'gelu', num_labels: 2,
  });
  const trainable = trainableParams(randomParams(tf, config));
  const count = [...new Set(trainable.variables.values())].reduce((sum, v) => sum + v.size, 0);
  console.log(`TF.js ${tf.version.tfjs} on ${backend} (fixes: ${fixes.join(', ')}), ${(count / 1e6).toFixed(1)} M parameters`);
  const ids = tf.randomUniform<tfjs.Rank.R2>([batch, seq], 1, config.vocabSize, 'int32', 1);
  const mask = tf.ones<tfjs.Rank.R2>([batch, seq], 'int32');
  const labels = Array.from({ length: batch }, (_, i) => i % 2);

  if (!flags['skip-forward']) {
    const step = (): Promise<unknown> => {
      const output = forward(trainable.params, config, { inputIds: ids, attentionMask: mask }, { training: false });
      const done = output.kind === 'sequence-classification' ? output.logits.data() : Promise.resolve();
      return done.finally(() => disposeOutput(output));
    };
    report(await measure(tf, 'forward', step));
  }

  // AdamW state beside each variable; one tidy per variable, as tf.train.adam's single tidy keeps
  // ~10 temporaries per parameter alive and runs out of the wasm heap (tfjs-engine.md §1.1.7).
  const variables = [...new Set(trainable.variables.values())];
  // tf.variable keeps its own copy: dispose the zeros it was made from (2 × 268 MB here).
  const moments = variables.map((v) => tf.tidy(() => ({ m: tf.variable(tf.zerosLike(v), false), v: tf.variable(tf.zerosLike(v), false) })));
  const rows = batch / micro;
  const slices = Array.from({ length: micro }, (_, i) => ({
    inputIds: ids.slice([i * rows, 0], [rows, seq]), attentionMask: mask.slice([i * rows, 0], [rows, seq]),
    labels: labels.slice(i * rows, (i + 1) * rows),
  }));
  const losses: number[] = [];
  let t = 0;
  const trainStep = async (): Promise<void> => {
    t += 1;
    let sums: tfjs.Tensor[] | null = null;
    let loss = 0;
    for (const [i, part] of slices.entries()) {
      const { value, grads } = tf.variableGrads(() => {
        const output = forward(trainable.params, config, part, { training: true, seed: t * 1000 + i });
        return encoderLoss(output, { labels: part.labels });
      }, variables);
      loss += ((await value.data())[0] ?? NaN) / micro;
      value.dispose();
      const list = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
      if (sums === null) sums = list;
      else {
        const previous: tfjs.Tensor[] = sums;
        sums = list.map((g, k) => {
          const total = previous[k] ?? g;
          const added = tf.add(total, g);
          tf.dispose([total, g]);
          return added;
        });
      }
    }
    losses.push(loss);
    const grads = sums ?? [];
    const [b1, b2, eps, decay] = [0.9, 0.999, 1e-8, 0.01];
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (const [k, param] of variables.entries()) {
      const state = moments[k];
      const raw = grads[k];
      if (state === undefined || raw === undefined) continue;
      tf.tidy(() => {
        const g = micro === 1 ? raw : raw.div(micro);
        state.m.assign(state.m.mul(b1).add(g.mul(1 - b1)));
        state.v.assign(state.v.mul(b2).add(g.square().mul(1 - b2)));
        const update = state.m.div(c1).div(state.v.div(c2).sqrt().add(eps)).add(param.mul(decay));
        param.assign(param.sub(update.mul(LR)));
      });
      raw.dispose();
    }
    // Reading one weight back waits for the update, so the time includes it.
    await variables[0]?.data();
  };
  report({ ...(await measure(tf, 'train', trainStep)), losses });

  tf.dispose([ids, mask, ...slices.flatMap((s) => [s.inputIds, s.attentionMask]), ...moments.flatMap((s) => [s.m, s.v])]);
  trainable.dispose();
}

/** Warm-up steps (sampling the tensor peak), then timed rounds. */
async function measure(tf: typeof tfjs, phase: Phase['phase'], step: () => Promise<unknown>): Promise<Phase> {
  let tensorPeak = 0;
  for (let i = 0; i < Math.max(1, warmup); i++) {
    const started = performance.now();
    // tf.profile cannot wrap an async step (it ends at the first await while kernels still run),
    // so the tensor peak is sampled while the first warm-up step runs.
    const sampler = setInterval(() => (tensorPeak = Math.max(tensorPeak, tf.memory().numBytes)), 10);
    try {
      await step();
    } finally {
      clearInterval(sampler);
    }
    tensorPeak = Math.max(tensorPeak, tf.memory().numBytes);
    console.log(`  ${phase} warm-up ${i + 1}: ${(performance.now() - started).toFixed(0)} ms`);
  }
  const ms: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const started = performance.now();
    await step();
    ms.push(performance.now() - started);
    console.log(`  ${phase} round ${round}: ${(ms.at(-1) ?? 0).toFixed(0)} ms`);
  }
  return { phase, ms, tensorPeak, heap: wasmHeapBytes(tf), rssPeak: vmHwm() };
}

/** Normal(0, 0.02) weights as transformers initialises them; LayerNorm ones and zero biases. */
function randomParams(tf: typeof tfjs, config: EncoderConfig): Params {
  const tensors = new Map<string, tfjs.Tensor>();
  let seed = 0;
  for (const [name, shape] of expectedWeights(config)) {
    const dims = [...shape];
    if (name.endsWith('.bias')) tensors.set(name, tf.zeros(dims));
    else if (dims.length === 1) tensors.set(name, tf.ones(dims));
    else tensors.set(name, tf.randomNormal(dims, 0, 0.02, 'float32', (seed += 1)));
  }
  return new Params(tensors);
}

function wasmHeapBytes(tf: typeof tfjs): number {
  const backend: unknown = tf.backend();
  const wasm = (backend as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8?.buffer.byteLength ?? 0;
}

function report(phase: Phase): void {
  console.log(RESULT + JSON.stringify(phase));
}

// ---------- the orchestrator ----------

async function main(): Promise<void> {
  console.log(`DistilBERT-base shape: ${layers} layers, hidden 768, 12 heads, FFN 3072, vocab 30522; batch ${batch}, seq ${seq}`);
  console.log(`${rounds} timed round(s) after ${warmup} warm-up step(s); medians below\n`);
  const phases = new Map<Phase['phase'], Phase>();
  let micro = 1;
  for (const candidate of [1, 2, 4].filter((m) => batch % m === 0)) {
    micro = candidate;
    console.log(micro === 1 ? `TF.js, batch ${batch}` : `TF.js, retry as gradient accumulation: ${micro} × ${batch / micro}`);
    const { ok, results, tail } = await runWorker(micro, phases.has('forward'));
    for (const phase of results) phases.set(phase.phase, phase);
    if (ok) break;
    const reason = /^bench failed: (.*)$/m.exec(tail)?.[1] ?? tail.trim().split('\n').at(-1) ?? 'no message';
    console.log(`  batch ${batch / micro} per step failed: ${reason}\n`);
    phases.delete('train');
  }
  const torch = runTorch();

  const forwardTf = phases.get('forward');
  const trainTf = phases.get('train');
  console.log(`\n${'phase'.padEnd(22)}${'rounds (ms)'.padEnd(36)}${'median ms'.padStart(10)}`);
  const rows: [string, number[] | undefined][] = [
    ['TF.js forward', forwardTf?.ms], [`TF.js train (${micro}×${batch / micro})`, trainTf?.ms],
    ['PyTorch forward', torch?.forward_ms], [`PyTorch train (1×${batch})`, torch?.train_ms],
  ];
  for (const [label, ms] of rows) {
    if (ms === undefined) continue;
    console.log(`${label.padEnd(22)}${ms.map((m) => m.toFixed(0)).join(', ').padEnd(36)}${median(ms).toFixed(0).padStart(10)}`);
  }
  console.log('\nratios TF.js / PyTorch (medians)');
  for (const [label, a, b] of [['forward', forwardTf?.ms, torch?.forward_ms], ['train step', trainTf?.ms, torch?.train_ms]] as const) {
    console.log(`  ${label.padEnd(12)}${a && b ? (median(a) / median(b)).toFixed(2) : '-'}`);
  }
  console.log('\npeak memory');
  for (const phase of [forwardTf, trainTf]) {
    if (phase === undefined) continue;
    console.log(
      `  TF.js ${phase.phase.padEnd(8)} tensors ${gb(phase.tensorPeak)}, wasm heap grown to ${gb(phase.heap)}, ` +
        `process VmHWM ${gb(phase.rssPeak)}`,
    );
  }
  if (torch) console.log(`  PyTorch  forward VmHWM ${gb(torch.rss_peak_forward)}, after training ${gb(torch.rss_peak)}`);
  if (trainTf?.losses) console.log(`\nTF.js losses ${trainTf.losses.map((l) => l.toFixed(3)).join(' ')}`);
  if (torch) console.log(`PyTorch losses ${torch.losses.map((l) => l.toFixed(3)).join(' ')}`);
}

/** One TF.js worker; its progress lines pass through, its RESULT lines are collected. */
function runWorker(micro: number, skipForward: boolean): Promise<{ ok: boolean; results: Phase[]; tail: string }> {
  const script = fileURLToPath(import.meta.url);
  const args = [script, '--worker', '--micro', String(micro), '--rounds', String(rounds), '--warmup', String(warmup),
    '--batch', String(batch), '--seq', String(seq), '--layers', String(layers), ...(skipForward ? ['--skip-forward'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const results: Phase[] = [];
  let buffered = '';
  let tail = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith(RESULT)) results.push(JSON.parse(line.slice(RESULT.length)) as Phase);
      else console.log(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => void (tail = (tail + text).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ok: code === 0, results, tail }));
  });
}

/** The PyTorch side, or undefined (with the reason printed) when torch cannot be imported. */
function runTorch(): TorchResult | undefined {
  if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    console.log('\nPyTorch not available (`/usr/bin/python3 -c "import torch"` failed); TF.js figures only');
    return undefined;
  }
  // OpenBLAS 0.3.21 takes this CPU for Prescott (SSE3) and runs 4–6× slower (tfjs-engine.md §0); the
  // machine image exports Haswell (AVX2) for every process, so the AVX-512 kernels are set, not defaulted.
  const env = { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX' };
  const script = fileURLToPath(new URL('../../bench/engine-torch.py', import.meta.url));
  console.log(`\nPyTorch (OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE}) ...`);
  const run = spawnSync(PYTHON, [script, '--rounds', String(rounds), '--warmup', String(warmup), '--batch', String(batch),
    '--seq', String(seq), '--layers', String(layers)], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`engine-torch.py failed (${String(run.status ?? run.signal)}):\n${run.stderr.slice(-2000)}`);
  const result = JSON.parse(run.stdout) as TorchResult;
  console.log(`  torch ${result.torch}, ${result.threads} thread(s), BLAS ${result.blas}`);
  if (!/openblas/i.test(result.blas)) console.log('  WARNING: torch is not using OpenBLAS, so its figures are far too slow to compare with (apt-get install libopenblas0-pthread)');
  result.forward_ms.forEach((ms, i) => console.log(`  forward round ${i + 1}: ${ms.toFixed(0)} ms`));
  result.train_ms.forEach((ms, i) => console.log(`  train round ${i + 1}: ${ms.toFixed(0)} ms`));
  return result;
}

/** The process's resident-set high-water mark from /proc (Linux), 0 elsewhere. */
function vmHwm(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

function gb(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}



(flags.worker ? worker() : main()).then(
  // The wasm backend's threads would keep the worker alive; exit explicitly.
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
