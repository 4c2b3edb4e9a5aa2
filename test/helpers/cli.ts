import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './paths.js';

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** The URL from the "pgml-proxy ready: URL" line. */
  readonly url: string;
  /** Everything written to stderr so far (JSON log lines). */
  stderr(): string;
  /** Sends a signal and resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `pgml-proxy start ...` as users do (the bin entry) and waits for its ready line. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'pgml-proxy.js'), 'start', ...args], {
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pgml-proxy start printed no ready line in 30 s:\n${stderr}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^pgml-proxy ready: (\S+)$/m.exec(stdout);
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolve({
        child,
        url: match[1],
        stderr: () => stderr,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pgml-proxy start exited with ${String(code)} before it was ready:\n${stderr}`));
    });
  });
}
