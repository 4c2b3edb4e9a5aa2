/** Pieces every benchmark needs: medians, flag parsing, child processes, /proc figures, teardown. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PostgresCluster } from '../src/embedded/cluster.js';

/** Undo steps, run last-in first-out by cleanup(), once, whether the bench failed or not. */
export const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (let step = cleanups.pop(); step !== undefined; step = cleanups.pop()) {
      await step().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    }
  })();
  return cleaning;
}

/**
 * Runs a bench's main, then every cleanup step, and exits 0, or 1 with the failure printed;
 * Ctrl-C or a kill still tears everything down (exit 130).
 */
export function runBench(main: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  main().then(
    () => cleanup().then(() => process.exit(0)),
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
      return cleanup().then(() => process.exit(1));
    },
  );
}

/** A temp folder removed at cleanup, reachable by the postgres user that runs the server in it. */
export async function benchFolder(prefix: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(folder, 0o711);
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

export function median(list: readonly number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export function wholeNumber(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Runs a client command to completion and resolves to its stdout; killed after `timeoutMs` so
 * a bench cannot hang. A failure carries the tail of its output.
 */
export function run(command: string, args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${(stderr + stdout).slice(-2000)}`));
    });
  });
}

/** Signals a child and waits for it, escalating to SIGKILL if it does not go in 15 s. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** utime + stime of a process in ticks (USER_HZ, 100 a second) from /proc (Linux), NaN without one. */
export function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Count after the "(command name)", which may hold spaces: utime, stime are fields 14, 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

/** A field of /proc/<pid>/status in bytes (Linux reports kB), NaN without one. */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) * 1024;
  } catch {
    return NaN;
  }
}

/** Resets a process's VmHWM to its current RSS (Linux); false where that is not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * A private PostgreSQL in `folder`/data on a free port, trusting local connections, with the
 * bench's `settings`; stopped at cleanup.
 */
export async function startCluster(folder: string, settings: Readonly<Record<string, string>>): Promise<PostgresCluster> {
  const cluster = new PostgresCluster({
    dataDir: path.join(folder, 'data'), superuser: 'postgres', password: 'postgres', port: 0, hba: 'host all all 127.0.0.1/32 trust\n', settings,
  });
  await cluster.init();
  cleanups.push(() => cluster.stop());
  await cluster.start();
  return cluster;
}
