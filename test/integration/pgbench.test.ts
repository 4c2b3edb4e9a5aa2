import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type TestPostgres } from '../helpers/postgres.js';
import { proxiedPostgres, type TestProxy } from '../helpers/proxy.js';
import { run, type RunResult } from '../helpers/run.js';

/** pgbench's connection flags for the proxy (it takes no URL). */
function target(proxy: TestProxy): string[] {
  return ['-h', '127.0.0.1', '-p', String(proxy.port), '-U', 'postgres', 'postgres'];
}

function processed(result: RunResult): number {
  const match = /number of transactions actually processed: (\d+)/.exec(result.stdout);
  return Number(match?.[1] ?? -1);
}

describe('pgbench through the proxy', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;

  proxiedPostgres((u, p) => {
    upstream = u;
    proxy = p;
  });

  it('initialises its tables with pgbench -i (COPY)', async () => {
    const result = await run('pgbench', ['-i', '-s', '1', ...target(proxy)]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await upstream.scalar('SELECT count(*)::int FROM pgbench_accounts'), 100_000);
  });

  for (const mode of ['simple', 'extended', 'prepared']) {
    it(`runs the TPC-B-like workload with -M ${mode}`, async () => {
      const before = Number(await upstream.scalar('SELECT count(*) FROM pgbench_history'));
      const result = await run('pgbench', ['-M', mode, '-c', '4', '-j', '2', '-t', '100', '-n', ...target(proxy)]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(processed(result), 400);
      assert.doesNotMatch(result.stderr, /error/i);
      const after = Number(await upstream.scalar('SELECT count(*) FROM pgbench_history'));
      assert.equal(after - before, 400);
    });
  }

  it('runs a pipelined script (\\startpipeline, many statements, one Sync)', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'pgml-bench-'));
    const script = path.join(folder, 'pipeline.sql');
    const lines = ['\\set aid random(1, 100000)', '\\startpipeline'];
    for (let i = 0; i < 10; i++) lines.push('SELECT abalance FROM pgbench_accounts WHERE aid = :aid;');
    lines.push('\\endpipeline');
    await writeFile(script, `${lines.join('\n')}\n`);
    const result = await run('pgbench', ['-M', 'extended', '-f', script, '-c', '2', '-t', '50', '-n', ...target(proxy)]);
    await rm(folder, { recursive: true, force: true });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(processed(result), 100);
  });
});
