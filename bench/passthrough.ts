/**
 * Pass-through benchmark: pgbench select-only straight to PostgreSQL, through pgml-proxy (the
 * real CLI, in its own process), and through pgbouncer (session mode) when it is installed.
 *
 *   npm run bench:passthrough -- [--duration 15] [--rounds 3] [--mode simple|extended|prepared]
 *       [--clients 8] [--scale 10] [--targets direct,proxy,pgbouncer] [--profile-dir DIR]
 *
 * Every process it starts is stopped and every temp folder removed, on success or failure.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { unprivilegedUser } from '../src/embedded/binaries.js';
import { freePort } from '../src/embedded/cluster.js';
import { benchFolder, cleanups, cpuTicks, median, run, runBench, startCluster, stopChild, wholeNumber } from './common.js';

const MODES = ['simple', 'extended', 'prepared'] as const;
type Mode = (typeof MODES)[number];
interface Target {
  readonly name: string;
  readonly port: number;
  /** The middle process (proxy, pgbouncer), whose CPU time per transaction is reported. */
  readonly pid?: number;
}
interface Result {
  readonly tps: number;
  readonly latencyMs: number;
  /** CPU (user + system) the middle process spent per transaction, in µs; NaN for direct. */
  readonly cpuUs: number;
}

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '15' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
    mode: { type: 'string', default: 'simple' },
    clients: { type: 'string', default: '8' },
    scale: { type: 'string', default: '10' },
    targets: { type: 'string', default: 'direct,proxy,pgbouncer' },
    'profile-dir': { type: 'string' },
  },
});
const duration = wholeNumber('duration', flags.duration);
const rounds = wholeNumber('rounds', flags.rounds);
const clients = wholeNumber('clients', flags.clients);
const scale = wholeNumber('scale', flags.scale);
const mode = flags.mode as Mode;
if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
const wanted = new Set(flags.targets.split(','));
// The proxy's node writes the profile into this folder when it exits; its cwd may differ.
const profileDir = flags['profile-dir'] === undefined ? undefined : path.resolve(flags['profile-dir']);
// Same client settings for every target: no TLS or GSS probing, so only the relaying differs.
const CLIENT_ENV = { ...process.env, PGSSLMODE: 'disable', PGGSSENCMODE: 'disable', PGUSER: 'postgres', PGHOST: '127.0.0.1' };

async function main(): Promise<void> {
  const folder = await benchFolder('pgml-passthrough-');
  // Room for pgbouncer's pool next to the direct and proxied clients; the whole scale-10
  // data set (~160 MB) in shared buffers so runs measure relaying, not page reads.
  const cluster = await startCluster(folder, { max_connections: '100', shared_buffers: '256MB', synchronous_commit: 'off' });
  console.log(`PostgreSQL on 127.0.0.1:${cluster.port}; pgbench -i -s ${scale} ...`);
  await run('pgbench', ['-i', '-q', '-s', String(scale), '-p', String(cluster.port), 'postgres'], 600_000, CLIENT_ENV);

  const targets: Target[] = [];
  if (wanted.has('direct')) targets.push({ name: 'direct', port: cluster.port });
  if (wanted.has('proxy')) targets.push(await startProxy(cluster.port));
  if (wanted.has('pgbouncer')) {
    const bouncer = await startPgbouncer(folder, cluster.port);
    if (bouncer) targets.push(bouncer);
    else console.log('pgbouncer: not installed, skipped');
  }
  // A short unrecorded run per target first: fills caches and lets V8 optimise the proxy's
  // hot paths, which would otherwise penalise whichever target happens to run first.
  for (const target of targets) await pgbench(target, Math.min(3, duration));

  console.log(`\npgbench -S -c ${clients} -j ${Math.min(2, clients)} -T ${duration} -M ${mode}, ${rounds} round(s)\n`);
  console.log(`${'round'.padEnd(7)}${'target'.padEnd(11)}${'tps'.padStart(11)}${'latency ms'.padStart(12)}${'mid cpu µs/txn'.padStart(16)}`);
  const results = new Map<string, Result[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order every round, so drift (thermal, neighbours) does not favour one target.
    for (const target of [...targets.slice((round - 1) % targets.length), ...targets.slice(0, (round - 1) % targets.length)]) {
      const result = await pgbench(target, duration);
      results.get(target.name)?.push(result);
      printRow(String(round), target.name, result);
    }
  }
  console.log('');
  const medians = new Map<string, number>();
  for (const [name, list] of results) {
    const result = { tps: median(list.map((r) => r.tps)), latencyMs: median(list.map((r) => r.latencyMs)), cpuUs: median(list.map((r) => r.cpuUs)) };
    medians.set(name, result.tps);
    printRow('median', name, result);
  }
  console.log('\nratios of median tps');
  for (const [a, b] of [['proxy', 'direct'], ['pgbouncer', 'direct'], ['proxy', 'pgbouncer']] as const) {
    const top = medians.get(a);
    const bottom = medians.get(b);
    if (top !== undefined && bottom !== undefined) console.log(`  ${`${a}/${b}`.padEnd(20)}${(top / bottom).toFixed(3)}`);
  }
}

function printRow(label: string, name: string, { tps, latencyMs, cpuUs }: Result): void {
  const cpu = Number.isNaN(cpuUs) ? '-' : cpuUs.toFixed(1);
  console.log(`${label.padEnd(7)}${name.padEnd(11)}${tps.toFixed(1).padStart(11)}${latencyMs.toFixed(3).padStart(12)}${cpu.padStart(16)}`);
}

/** The real CLI in its own node process, as users run it. */
async function startProxy(pgPort: number): Promise<Target> {
  const port = await freePort();
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  // BENCH_NODE_FLAGS tries V8/Node settings on the proxy (e.g. --max-semi-space-size=64).
  const extraFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const nodeFlags = [...extraFlags, ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])];
  const upstream = `postgresql://postgres@127.0.0.1:${pgPort}/postgres?sslmode=disable`;
  const args = [...nodeFlags, cli, 'start', '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '--log-level', 'warn'];
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
  return { name: 'proxy', port, pid: child.pid };
}

/** pgbouncer in session mode (one server connection per client, like the proxy), or null. */
async function startPgbouncer(folder: string, pgPort: number): Promise<Target | null> {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin'].filter((dir) => dir !== '');
  const binary = dirs.map((dir) => path.join(dir, 'pgbouncer')).find((file) => existsSync(file));
  if (binary === undefined) return null;
  const port = await freePort();
  const dir = path.join(folder, 'pgbouncer');
  const ini = path.join(dir, 'pgbouncer.ini');
  const userlist = path.join(dir, 'userlist.txt');
  await mkdir(dir);
  await writeFile(userlist, '"postgres" ""\n');
  // auth_type=trust still wants the user listed in auth_file; no Unix socket, like PostgreSQL here.
  await writeFile(
    ini,
    `[databases]\npostgres = host=127.0.0.1 port=${pgPort} dbname=postgres\n[pgbouncer]\nlisten_addr = 127.0.0.1\n` +
      `listen_port = ${port}\nunix_socket_dir =\nauth_type = trust\nauth_file = ${userlist}\npool_mode = session\n` +
      'max_client_conn = 100\ndefault_pool_size = 20\n',
  );
  // pgbouncer refuses to run as root, like PostgreSQL: use the same unprivileged user.
  const runAs = unprivilegedUser();
  if (runAs) for (const file of [dir, ini, userlist]) await chown(file, runAs.uid, runAs.gid);
  const child = spawn(binary, [ini], { stdio: ['ignore', 'pipe', 'pipe'], ...(runAs ?? {}) });
  cleanups.push(() => stopChild(child, 'SIGINT'));
  let log = '';
  // Always drain its log, or a full pipe would stall it mid-run.
  const keep = (chunk: Buffer): void => void (log = (log + chunk.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // pgbouncer prints no "ready" line; it is ready once its port accepts connections.
  for (let waited = 0; !(await accepts(port)); waited += 100) {
    if (child.exitCode !== null || waited > 10_000) throw new Error(`pgbouncer did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { name: 'pgbouncer', port, pid: child.pid };
}

async function pgbench(target: Target, seconds: number): Promise<Result> {
  const args = ['-S', '-n', '-c', String(clients), '-j', String(Math.min(2, clients)), '-T', String(seconds), '-M', mode];
  const before = cpuTicks(target.pid);
  const output = await run('pgbench', [...args, '-p', String(target.port), 'postgres'], (seconds + 60) * 1000, CLIENT_ENV);
  const after = cpuTicks(target.pid);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
  const count = /number of transactions actually processed: (\d+)/.exec(output)?.[1];
  if (tps === undefined || latency === undefined || count === undefined) throw new Error(`cannot read pgbench output for ${target.name}:\n${output}`);
  // Ticks are USER_HZ = 100 per second on Linux: 10 000 µs each.
  return { tps: Number(tps), latencyMs: Number(latency), cpuUs: ((after - before) * 10_000) / Number(count) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(true));
    socket.once('connect', () => socket.destroy()).once('error', () => resolve(false));
  });
}



runBench(main);
