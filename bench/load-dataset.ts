/**
 * load_dataset benchmark: `SELECT * FROM pgml.load_dataset('<file>.parquet')` through pgml-proxy
 * (the real CLI, in its own process) against psql's `\copy ... FROM '<file>.csv' (FORMAT csv)`
 * straight to PostgreSQL, on the same seeded imdb-like rows. Both are timed as the whole psql
 * call (connect, statements, exit), so each figure is what a user waits for.
 *
 *   npm run bench:load-dataset -- [--rows 200000] [--rounds 3] [--seed 42] [--profile-dir DIR]
 *
 * Every process it starts is stopped and every temp folder removed, on success or failure.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../src/embedded/cluster.js';
import { ROW_GROUP, writeImdbLike, type Written } from './imdb-like.js';
import { benchFolder, cleanups, cpuTicks, median, procStatus, resetPeak, run, runBench, startCluster, stopChild, wholeNumber } from './common.js';

/** The table the Parquet file loads into: load_dataset names it after the file. */
const DATASET = 'imdb_like';
const COPY_TABLE = 'bench_copy';
const TARGET_RATIO = 0.5;
/** The proxy's largest peak RSS seen by any load, in bytes; 0 until one is measured. */
let runPeak = 0;

interface Timing {
  readonly seconds: number;
  /** RSS of the proxy just before this load, and its peak during it, in bytes; NaN when not measured. */
  readonly proxyBefore: number;
  readonly proxyPeak: number;
  /** CPU seconds (user + system) the proxy spent on this load; NaN for \copy. */
  readonly proxyCpu: number;
}

const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: process.env.BENCH_ROWS ?? '200000' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
    seed: { type: 'string', default: '42' },
    'profile-dir': { type: 'string' },
  },
});
const rows = wholeNumber('rows', flags.rows);
const rounds = wholeNumber('rounds', flags.rounds);
const seed = wholeNumber('seed', flags.seed);
// The proxy's node writes a CPU profile into this folder when it exits; its cwd may differ.
const profileDir = flags['profile-dir'] === undefined ? undefined : path.resolve(flags['profile-dir']);
// UTF8 explicitly: psql would otherwise take the encoding from the locale (SQL_ASCII under C).
const CLIENT_ENV = {
  ...process.env,
  PGSSLMODE: 'disable',
  PGGSSENCMODE: 'disable',
  PGUSER: 'postgres',
  PGHOST: '127.0.0.1',
  PGDATABASE: 'postgres',
  PGCLIENTENCODING: 'UTF8',
};

async function main(): Promise<void> {
  const folder = await benchFolder('pgml-load-dataset-');
  const parquetPath = path.join(folder, `${DATASET}.parquet`);
  const csvPath = path.join(folder, `${DATASET}.csv`);
  const generating = performance.now();
  const written = await writeImdbLike(parquetPath, csvPath, rows, seed);
  const parquetBytes = (await stat(parquetPath)).size;
  const csvBytes = (await stat(csvPath)).size;
  console.log(
    `${rows} rows (seed ${seed}, ${ROW_GROUP}-row groups) in ${((performance.now() - generating) / 1000).toFixed(1)} s: ` +
      `Parquet ${mb(parquetBytes)}, CSV ${mb(csvBytes)}, ${(written.textChars / rows).toFixed(0)} characters of text a row`,
  );

  // Room for a whole load's WAL, so no checkpoint starts in the middle of one timed load
  // (each load is preceded by an explicit CHECKPOINT instead): both sides pay the same.
  const cluster = await startCluster(folder, { shared_buffers: '256MB', max_wal_size: '8GB', synchronous_commit: 'off' });
  const proxy = await startProxy(cluster.port);
  console.log(`PostgreSQL on 127.0.0.1:${cluster.port}, pgml-proxy on 127.0.0.1:${proxy.port} (pid ${proxy.pid}, RSS ${mb(procStatus(proxy.pid, 'VmRSS'))} when ready)`);

  const loaders = {
    load_dataset: () => loadDataset(proxy, parquetPath),
    '\\copy': () => copyCsv(cluster.port, csvPath),
  };
  const results = new Map<string, Timing[]>(Object.keys(loaders).map((name) => [name, []]));
  console.log(`\n${'round'.padEnd(7)}${'loader'.padEnd(14)}${'seconds'.padStart(9)}${'rows/s'.padStart(11)}${'proxy cpu s'.padStart(13)}${'RSS before'.padStart(13)}${'peak'.padStart(11)}`);
  for (let round = 1; round <= rounds; round++) {
    // Alternate which goes first, so a warm cache or a busy neighbour does not favour one side.
    const order = Object.entries(loaders);
    if (round % 2 === 0) order.reverse();
    for (const [name, load] of order) {
      await psql(cluster.port, ['-c', 'CHECKPOINT']);
      const timing = await load();
      results.get(name)?.push(timing);
      printRow(String(round), name, timing);
    }
    await checkSameRows(cluster.port, written);
  }

  console.log('');
  const medians = new Map<string, number>();
  for (const [name, list] of results) {
    const seconds = median(list.map((t) => t.seconds));
    medians.set(name, rows / seconds);
    // The memory columns of the summary are the largest of the rounds, not medians.
    printRow('median', name, {
      seconds,
      proxyCpu: median(list.map((t) => t.proxyCpu)),
      proxyBefore: Math.max(...list.map((t) => t.proxyBefore)),
      proxyPeak: Math.max(...list.map((t) => t.proxyPeak)),
    });
  }
  const ratio = (medians.get('load_dataset') ?? NaN) / (medians.get('\\copy') ?? NaN);
  console.log(`\nload_dataset / \\copy (median rows/s): ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO})${ratio >= TARGET_RATIO ? '' : '  BELOW TARGET'}`);
  console.log(`proxy peak RSS over the whole run: ${mb(runPeak || NaN)} (Parquet file ${mb(parquetBytes)}, CSV ${mb(csvBytes)})`);
}

/** pgml.load_dataset through the proxy; checks the row count it returns. */
async function loadDataset(proxy: { port: number; pid: number }, file: string): Promise<Timing> {
  const proxyBefore = procStatus(proxy.pid, 'VmRSS');
  // Linux resets the peak RSS (VmHWM) on "5": the peak read afterwards is this load's alone.
  const reset = resetPeak(proxy.pid);
  const cpuBefore = cpuTicks(proxy.pid);
  const started = performance.now();
  const output = await psql(proxy.port, ['-c', `SELECT * FROM pgml.load_dataset(${literal(file)})`]);
  const seconds = (performance.now() - started) / 1000;
  // Ticks are USER_HZ = 100 per second on Linux.
  const proxyCpu = (cpuTicks(proxy.pid) - cpuBefore) / 100;
  const [table, count] = output.trim().split('|');
  if (table !== `pgml.${DATASET}` || count !== String(rows)) {
    throw new Error(`load_dataset returned ${JSON.stringify(output.trim())}, expected pgml.${DATASET}|${rows}`);
  }
  const proxyPeak = reset ? procStatus(proxy.pid, 'VmHWM') : NaN;
  // Each reset forgets the earlier peaks: the run's peak is kept here instead.
  if (proxyPeak > runPeak) runPeak = proxyPeak;
  return { seconds, proxyBefore, proxyPeak, proxyCpu };
}

/** psql's \copy of the CSV straight to PostgreSQL, into a table made fresh as load_dataset's is. */
async function copyCsv(pgPort: number, file: string): Promise<Timing> {
  const started = performance.now();
  await psql(pgPort, [
    '-c',
    `DROP TABLE IF EXISTS ${COPY_TABLE}; CREATE TABLE ${COPY_TABLE} (text text, label bigint)`,
    '-c',
    `\\copy ${COPY_TABLE} FROM ${literal(file)} WITH (FORMAT csv, HEADER true)`,
  ]);
  return { seconds: (performance.now() - started) / 1000, proxyBefore: NaN, proxyPeak: NaN, proxyCpu: NaN };
}

/**
 * Both tables must hold exactly the generated rows: the count and label sum say none is lost,
 * the length and hash sums (order-free) say every text survived escaping byte for byte.
 */
async function checkSameRows(pgPort: number, written: Written): Promise<void> {
  const fingerprint = (table: string): Promise<string> =>
    psql(pgPort, ['-c', `SELECT count(*), sum(label), sum(length(text)), sum(hashtext(text)::bigint) FROM ${table}`]).then((s) => s.trim());
  const loaded = await fingerprint(`pgml.${DATASET}`);
  const copied = await fingerprint(COPY_TABLE);
  const expected = `${written.rows}|${written.labelSum}|${written.textChars}|`;
  if (!copied.startsWith(expected)) throw new Error(`\\copy loaded ${copied}, expected ${expected}<hash>: the CSV is wrong`);
  if (loaded !== copied) throw new Error(`load_dataset loaded different rows: ${loaded} (count|labels|characters|hash), \\copy ${copied}`);
}

function printRow(label: string, name: string, { seconds, proxyBefore, proxyPeak, proxyCpu }: Timing): void {
  const proxy = `${(Number.isNaN(proxyCpu) ? '-' : proxyCpu.toFixed(2)).padStart(13)}${mb(proxyBefore).padStart(13)}${mb(proxyPeak).padStart(11)}`;
  console.log(`${label.padEnd(7)}${name.padEnd(14)}${seconds.toFixed(2).padStart(9)}${(rows / seconds).toFixed(0).padStart(11)}${proxy}`);
}

/** The real CLI in its own node process, as users run it; it migrates the pgml schema at start. */
async function startProxy(pgPort: number): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  const upstream = `postgresql://postgres@127.0.0.1:${pgPort}/postgres?sslmode=disable`;
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const args = [...profile, cli, 'start', '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // SIGTERM is the CLI's graceful stop; a clean exit is also when --cpu-prof writes its file.
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

/** psql -XAt (no psqlrc, unaligned, tuples only), stopping at the first error; its stdout. */
function psql(port: number, args: string[]): Promise<string> {
  return run('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-p', String(port), ...args], 1_800_000, CLIENT_ENV);
}


/** A SQL string literal; also right for \copy's file name, which psql reads the same way. */
function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function mb(bytes: number): string {
  return Number.isNaN(bytes) ? '-' : `${(bytes / 1048576).toFixed(1)} MB`;
}



runBench(main);
