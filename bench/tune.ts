/**
 * pgml.tune benchmark: fine-tunes a model with random weights, in a local folder laid out like
 * the hub's (bench/tune-models.ts), for a fixed number of steps through pgml-proxy (the real CLI,
 * in its own process, against a private PostgreSQL), and prints the training speed, the proxy's
 * peak memory and the micro-batching the engine chose; then, when /usr/bin/python3 has torch,
 * the same training in PyTorch (bench/tune-torch.py) and the ratio.
 *
 *   --task classification (default): a DistilBERT-base-shaped text classifier, batch 16 × 128 tokens
 *   --task seq2seq: a BART-base-shaped summarizer, batch 8, inputs of 128 and targets of 32 tokens
 *
 *   npm run bench:tune -- [--task classification|seq2seq] [--steps 3] [--layers 6] [--batch 16|8]
 *       [--seq 128] [--target-seq 32] [--test-rows 8] [--openblas-coretype SkylakeX]
 *
 * PyTorch runs first, before PostgreSQL and the proxy start, so nothing of this bench runs
 * beside it (after the tune, PostgreSQL is still busy with the model files it was sent: ~270 MB,
 * or ~560 MB for BART-base). Samples/s leave out the first step (warm-up: kernel set-up, XNNPACK
 * weight packing, heap growth) when there are several. Every process it starts is stopped and
 * every temp folder removed, on success or failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Rng } from '../engine/train/rng.js';
import { freePort } from '../src/embedded/cluster.js';
import { benchFolder, cleanups, cpuTicks, median, procStatus, resetPeak, runBench, startCluster, stopChild, wholeNumber } from './common.js';
import { writeBartFolder, writeDistilBertFolder, type Seq2SeqPlan } from './tune-models.js';

const { values: flags } = parseArgs({
  options: {
    task: { type: 'string', default: 'classification' },
    steps: { type: 'string', default: process.env.BENCH_STEPS ?? '3' },
    // Encoder layers (classification), or encoder and decoder layers each (seq2seq).
    layers: { type: 'string', default: '6' },
    batch: { type: 'string' },
    seq: { type: 'string', default: '128' },
    'target-seq': { type: 'string', default: '32' },
    'test-rows': { type: 'string', default: '8' },
    // This machine image exports OPENBLAS_CORETYPE=Haswell (AVX2) for every process; the
    // reference measurements (tfjs-engine.md §0) use the AVX-512 kernels, so they are the default.
    'openblas-coretype': { type: 'string', default: 'SkylakeX' },
  },
});
if (flags.task !== 'classification' && flags.task !== 'seq2seq') throw new Error(`--task must be classification or seq2seq, got ${JSON.stringify(flags.task)}`);
const seq2seq = flags.task === 'seq2seq';
const steps = wholeNumber('steps', flags.steps);
const layers = wholeNumber('layers', flags.layers);
const batch = wholeNumber('batch', flags.batch ?? (seq2seq ? '8' : '16'));
const seq = wholeNumber('seq', flags.seq);
const targetSeq = wholeNumber('target-seq', flags['target-seq']);
const testRows = wholeNumber('test-rows', flags['test-rows'], 2);
const PYTHON = '/usr/bin/python3';
const TABLE = seq2seq ? 'bench_tune_pairs' : 'bench_tune_texts';
/** Words per text (each one token): well over the limit, so every row is truncated to exactly it. */
const WORDS_PER_TEXT = 2 * seq;
const WORDS_PER_SUMMARY = 2 * targetSeq;

interface TfResult {
  /** Seconds each optimizer step took, from the worker's own clock (see stepSeconds). */
  readonly stepSeconds: number[];
  readonly wallSeconds: number;
  /** From the engine's NOTICE (none: one pass per batch). */
  readonly microBatches: number;
  readonly rssBefore: number;
  readonly rssPeak: number;
  readonly losses: number[];
  /** CPU seconds (all threads) of the proxy per step after the first; NaN with fewer than two step NOTICEs. */
  readonly cpuPerStep: number;
}
interface TorchResult {
  readonly torch: string;
  readonly threads: number;
  /** The libblas files torch's process mapped. */
  readonly blas: string;
  readonly step_ms: number[];
  readonly cpu_ms: number[];
  readonly losses: number[];
  readonly rss_peak: number;
}

async function main(): Promise<void> {
  const folder = await benchFolder('pgml-bench-tune-');
  const modelDir = path.join(folder, seq2seq ? 'bart-base' : 'distilbert-base-uncased');
  const began = performance.now();
  let words: readonly string[];
  let plan: Seq2SeqPlan | undefined;
  if (seq2seq) {
    console.log(`BART-base shape: ${layers} + ${layers} layers, d_model 768, 12 heads, FFN 3072, vocab 50265; ${steps} step(s) of batch ${batch}, inputs ${seq} and targets ${targetSeq} tokens\n`);
    const bart = await writeBartFolder(modelDir, layers);
    words = bart.words;
    plan = bart.plan(seq, targetSeq, batch);
  } else {
    console.log(`DistilBERT-base shape: ${layers} layers, dim 768, 12 heads, FFN 3072, vocab 30522; ${steps} step(s) of batch ${batch} × ${seq} tokens\n`);
    words = (await writeDistilBertFolder(modelDir, layers)).words;
  }
  console.log(`model folder with random weights written in ${((performance.now() - began) / 1000).toFixed(1)} s: ${modelDir}`);
  if (plan !== undefined) {
    console.log(`engine's memory plan (seq2seqShape, microBatchFor): ${gib(plan.fixedBytes)} fixed + ${gib(plan.bytesPerExample)} per example of ${seq} + ${targetSeq} tokens ` +
      `in a ${gib(plan.budget)} budget → micro-batches of ${plan.microBatch}`);
  }
  const torch = await runTorch();

  // pgml.files receives the fine-tuned model (~270 MB, BART-base ~560 MB) in the tune's transaction.
  const cluster = await startCluster(folder, { shared_buffers: '256MB', max_wal_size: '4GB', synchronous_commit: 'off' });
  const proxy = await startProxy(cluster.port);
  console.log(`PostgreSQL on 127.0.0.1:${cluster.port}, pgml-proxy on 127.0.0.1:${proxy.port} (pid ${proxy.pid}, RSS ${gib(procStatus(proxy.pid, 'VmRSS'))} when ready)\n`);

  let tf: TfResult | undefined;
  let failure: Error | undefined;
  console.log(`TF.js through pgml-proxy (load average ${loadAverage()})`);
  try {
    tf = await tuneThroughProxy(proxy, modelDir, words);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    console.log(`\nTF.js pgml.tune FAILED: ${failure.message}`);
    console.log(`  proxy VmHWM ${gib(procStatus(proxy.pid, 'VmHWM'))}, process ${procStatus(proxy.pid, 'VmRSS') > 0 ? 'still running' : 'gone'}`);
  }
  summary(tf, torch);
  if (seq2seq) console.log(`\nwasm heap: ${tf === undefined ? 'the tune FAILED (see above)' : 'no out-of-memory: every step and the evaluation ran'}`);
  if (failure !== undefined) throw failure;
}

/** The table, the pgml.tune call with its NOTICEs, then the step timings from pgml.logs. */
async function tuneThroughProxy(proxy: { port: number; pid: number }, modelDir: string, words: readonly string[]): Promise<TfResult> {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  cleanups.push(() => client.end());
  // Exactly steps × batch training rows: every batch is full, so step k has seen k × batch samples.
  const rows = steps * batch + testRows;
  const rng = new Rng(7);
  const text = (count: number): string => Array.from({ length: count }, () => words[rng.below(words.length)]).join(' ');
  const texts = Array.from({ length: rows }, () => text(WORDS_PER_TEXT));
  if (seq2seq) {
    await client.query(`CREATE TABLE ${TABLE} (text text NOT NULL, summary text NOT NULL)`);
    await client.query(`INSERT INTO ${TABLE} SELECT * FROM unnest($1::text[], $2::text[])`, [texts, texts.map(() => text(WORDS_PER_SUMMARY))]);
  } else {
    await client.query(`CREATE TABLE ${TABLE} (text text NOT NULL, label bigint NOT NULL)`);
    await client.query(`INSERT INTO ${TABLE} SELECT * FROM unnest($1::text[], $2::bigint[])`, [texts, texts.map((_, i) => i % 2)]);
  }

  const common = { max_steps: steps, per_device_train_batch_size: batch, per_device_eval_batch_size: batch };
  // Seq2seq keeps transformers' weight_decay of 0, as a summarization tune without it would.
  const hyperparams = seq2seq
    ? { ...common, max_input_length: seq, max_summary_length: targetSeq, learning_rate: 5e-5, logging_steps: 1, seed: 42 }
    : { ...common, max_length: seq, learning_rate: 5e-5, weight_decay: 0.01, logging_steps: 1, seed: 42 };
  const [project, taskName, y] = seq2seq ? ['bench-s2s', 'summarization', 'summary'] : ['bench', 'text-classification', 'label'];
  const sql =
    `SELECT * FROM pgml.tune('${project}', task => '${taskName}', relation_name => '${TABLE}', y_column_name => '${y}', ` +
    `model_name => ${literal(modelDir)}, hyperparams => ${literal(JSON.stringify(hyperparams))}, test_size => ${testRows}, test_sampling => 'last')`;
  console.log(`${sql}\n`);
  const started = performance.now();
  const notices: string[] = [];
  // The proxy's CPU ticks when each step's NOTICE arrives (the engine sends one per step when
  // steps take over 3 s): CPU per step holds up better than wall time when other jobs share the
  // machine, and the training worker runs niced, so it is the first to lose cycles to them.
  const stepTicks = new Map<number, number>();
  client.on('notice', (notice) => {
    notices.push(notice.message ?? '');
    const step = /^step (\d+)\//.exec(notice.message ?? '')?.[1];
    if (step !== undefined) stepTicks.set(Number(step), cpuTicks(proxy.pid));
    console.log(`  [${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] NOTICE: ${notice.message ?? ''}`);
  });
  const rssBefore = procStatus(proxy.pid, 'VmRSS');
  // Linux resets the peak RSS (VmHWM) on "5": the peak read afterwards is the tune's alone.
  const reset = resetPeak(proxy.pid);
  await client.query(sql);
  const wallSeconds = (performance.now() - started) / 1000;
  const rssPeak = procStatus(proxy.pid, 'VmHWM');
  console.log(`  [${wallSeconds.toFixed(1).padStart(6)} s] done${reset ? '' : ' (VmHWM could not be reset: it includes the proxy start)'}; load average ${loadAverage()}`);

  const logs = await client.query<{ logs: Record<string, unknown> }>(
    'SELECT logs FROM pgml.logs WHERE model_id = (SELECT max(id) FROM pgml.models) ORDER BY id',
  );
  const micro = notices.map((n) => /batches of \d+ run as (\d+) micro-batches/.exec(n)?.[1]).find((m) => m !== undefined);
  const noticed = [...stepTicks.keys()].filter((step) => step > 0);
  const [first, last] = [Math.min(...noticed), Math.max(...noticed)];
  // Ticks are USER_HZ = 100 per second on Linux.
  const cpuPerStep = last > first ? ((stepTicks.get(last) ?? NaN) - (stepTicks.get(first) ?? NaN)) / 100 / (last - first) : NaN;
  return { ...stepTimings(logs.rows.map((r) => r.logs)), wallSeconds, microBatches: micro === undefined ? 1 : Number(micro), rssBefore, rssPeak, cpuPerStep };
}

/**
 * Per-step seconds from the logging_steps = 1 rows of pgml.logs. Each row's samples_per_second is
 * samples seen ÷ seconds since training began, measured in the engine worker, and step k has seen
 * k × batch samples, so the elapsed time at step k is k × batch ÷ samples_per_second: free of
 * the delay of messages to the proxy and of the row's timestamp resolution.
 */
function stepTimings(rows: readonly Record<string, unknown>[]): { stepSeconds: number[]; losses: number[] } {
  const elapsed = new Map<number, { seconds: number; loss: number }>();
  for (const row of rows) {
    const { step, samples_per_second: sps, loss } = row;
    // Progress rows repeat a step's figures; the final summary row has train_runtime instead.
    if (typeof step !== 'number' || typeof sps !== 'number' || elapsed.has(step)) continue;
    elapsed.set(step, { seconds: (step * batch) / sps, loss: typeof loss === 'number' ? loss : NaN });
  }
  const stepSeconds: number[] = [];
  const losses: number[] = [];
  for (let step = 1; step <= steps; step += 1) {
    const at = elapsed.get(step);
    if (at === undefined) throw new Error(`pgml.logs has no row for step ${step}: ${JSON.stringify(rows)}`);
    stepSeconds.push(at.seconds - (elapsed.get(step - 1)?.seconds ?? 0));
    losses.push(at.loss);
  }
  return { stepSeconds, losses };
}

// ---------- processes ----------

/** The real CLI in its own node process, as users run it; it migrates the pgml schema at start. */
async function startProxy(pgPort: number): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const cli = fileURLToPath(new URL('../../bin/pgml-proxy.js', import.meta.url));
  const upstream = `postgresql://postgres@127.0.0.1:${pgPort}/postgres?sslmode=disable`;
  const args = [cli, 'start', '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '--log-level', 'warn'];
  // The model is a local folder: nothing may come from the network.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HF_HUB_OFFLINE: '1' } });
  // SIGTERM is the CLI's graceful stop (it also ends a training worker still running).
  cleanups.push(() => stopChild(child, 'SIGTERM'));
  child.stderr.pipe(process.stderr);
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (/^pgml-proxy ready:/m.test(stdout)) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`pgml-proxy exited with code ${String(code)} before it was ready`)));
  });
  if (child.pid === undefined) throw new Error('pgml-proxy has no pid');
  return { port, pid: child.pid };
}

/** The PyTorch side, or undefined (with the reason printed) when torch cannot be imported. */
async function runTorch(): Promise<TorchResult | undefined> {
  if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    console.log('\nPyTorch not available (apt-get install python3-torch libopenblas0-pthread)');
    return undefined;
  }
  // OpenBLAS 0.3.21 takes this CPU for Prescott (SSE3) and runs 4–6× slower (tfjs-engine.md §0);
  // passive OpenMP threads stop spinning between kernels, which on 2 cores steals from the other.
  const env = { ...process.env, OPENBLAS_CORETYPE: flags['openblas-coretype'], OMP_WAIT_POLICY: 'PASSIVE' };
  const script = fileURLToPath(new URL('../../bench/tune-torch.py', import.meta.url));
  console.log(`\nPyTorch (OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE}, OMP_WAIT_POLICY=${env.OMP_WAIT_POLICY}; load average ${loadAverage()}), ${steps} step(s) of 1 × ${batch} ...`);
  const args = [script, '--task', flags.task, '--steps', String(steps), '--batch', String(batch), '--seq', String(seq),
    '--target-seq', String(targetSeq), '--layers', String(layers)];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  cleanups.push(() => stopChild(child, 'SIGTERM'));
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => void (stdout += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`tune-torch.py failed (${String(code ?? child.signalCode)})`);
  const result = JSON.parse(stdout) as TorchResult;
  console.log(`  torch ${result.torch}, ${result.threads} thread(s), BLAS ${result.blas}; load average ${loadAverage()}\n`);
  if (!/openblas/i.test(result.blas)) console.log('  WARNING: torch is not using OpenBLAS, so its figures are far too slow to compare with (apt-get install libopenblas0-pthread)');
  return result;
}

// ---------- the report ----------

/** Steady-state seconds per step: the median, leaving out the first (warm-up) step when there are more. */
function steadyStep(seconds: readonly number[]): number {
  return median(seconds.length > 1 ? seconds.slice(1) : seconds);
}

/** Examples per micro-batch (the last may hold fewer). */
function microSize(tf: TfResult): number {
  return Math.ceil(batch / tf.microBatches);
}

/** PyTorch's CPU seconds per step, on the same steps as steadyStep (the first left out). */
function torchCpuStep(torch: TorchResult): number {
  return steadyStep(torch.cpu_ms.map((ms) => ms / 1000));
}

function summary(tf: TfResult | undefined, torch: TorchResult | undefined): void {
  const steady = steps > 1 ? `median of steps 2–${steps}` : 'the only step, warm-up included';
  console.log(`\nsamples/s = ${batch} ÷ seconds per step (${steady}); CPU s/step of all threads, TF.js the proxy's mean over steps 2–${steps}\n`);
  console.log(`${''.padEnd(26)}${'step seconds'.padEnd(30)}${'samples/s'.padStart(10)}${'CPU s/step'.padStart(12)}${'peak memory'.padStart(14)}`);
  const tfRate = tf === undefined ? NaN : batch / steadyStep(tf.stepSeconds);
  const torchRate = torch === undefined ? NaN : batch / steadyStep(torch.step_ms.map((ms) => ms / 1000));
  if (tf !== undefined) {
    const row = tf.stepSeconds.map((s) => s.toFixed(1)).join(', ');
    const cpu = Number.isNaN(tf.cpuPerStep) ? '-' : tf.cpuPerStep.toFixed(1);
    console.log(`${`TF.js (${tf.microBatches} × ${microSize(tf)})`.padEnd(26)}${row.padEnd(30)}${tfRate.toFixed(2).padStart(10)}${cpu.padStart(12)}${gib(tf.rssPeak).padStart(14)}`);
  }
  if (torch !== undefined) {
    const row = torch.step_ms.map((ms) => (ms / 1000).toFixed(1)).join(', ');
    const cpu = torchCpuStep(torch).toFixed(1);
    console.log(`${`PyTorch (1 × ${batch})`.padEnd(26)}${row.padEnd(30)}${torchRate.toFixed(2).padStart(10)}${cpu.padStart(12)}${gib(torch.rss_peak).padStart(14)}`);
  }
  if (tf !== undefined) {
    console.log(`\nTF.js: pgml.tune took ${tf.wallSeconds.toFixed(1)} s in all (tokenising, ${steps} step(s), evaluation on ${testRows} rows, saving);`);
    console.log(`  batches of ${batch} as ${tf.microBatches} micro-batch(es) of ${microSize(tf)}; proxy RSS ${gib(tf.rssBefore)} before, peak (VmHWM) ${gib(tf.rssPeak)}`);
    console.log(`  losses ${tf.losses.map((l) => l.toFixed(3)).join(' ')}`);
  }
  if (torch !== undefined) console.log(`PyTorch: peak RSS ${gib(torch.rss_peak)}; losses ${torch.losses.map((l) => l.toFixed(3)).join(' ')}`);
  if (tf !== undefined && torch !== undefined) {
    const ratio = tfRate / torchRate;
    const verdict = ratio >= 1 ? `${ratio.toFixed(1)}× as fast` : `${(1 / ratio).toFixed(1)}× slower`;
    console.log(`\nTF.js ÷ PyTorch samples/s: ${ratio.toFixed(3)} (TF.js is ${verdict}; the machine's load moves this one, the CPU ratio below less so)`);
    const cpuRatio = torchCpuStep(torch) / tf.cpuPerStep;
    if (!Number.isNaN(cpuRatio)) {
      console.log(`TF.js ÷ PyTorch samples per CPU second: ${cpuRatio.toFixed(3)} (${(1 / cpuRatio).toFixed(1)}× the CPU time; torch runs ${torch.threads} threads, the wasm backend 1)`);
    }
  }
}


/** 1, 5 and 15-minute load averages: other jobs on a shared machine skew every figure here. */
function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '-';
  }
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function gib(bytes: number): string {
  return Number.isNaN(bytes) ? '-' : `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

runBench(main);
