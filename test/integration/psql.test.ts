import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';

describe('psql through the proxy', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  let url: string;

  before(async () => {
    upstream = await startTestPostgres();
    proxy = await startTestProxy({ upstreamPort: upstream.port });
    url = proxy.url();
  });
  after(async () => {
    await proxy.close();
    await upstream.stop();
  });

  it('runs queries, including several statements in one string', async () => {
    const result = await psql(url, ['-c', 'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, $$one$$), (2, $$two$$);', '-c', 'SELECT id, name FROM items ORDER BY id']);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, '1|one\n2|two\n');
  });

  it('answers the \\d and \\dt meta-commands', async () => {
    const tables = await psql(url, ['-c', '\\dt']);
    assert.match(tables.stdout, /public\|items\|table\|postgres/);
    const described = await psql(url, ['-c', '\\d items']);
    assert.match(described.stdout, /id\|integer\|\|not null\|/);
    const indexes = await psql(url, ['-c', '\\di']);
    assert.match(indexes.stdout, /public\|items_pkey\|index\|postgres\|items/);
  });

  it('copies both ways with \\copy', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'pgml-copy-'));
    const input = path.join(folder, 'in.csv');
    const rows = Array.from({ length: 5000 }, (_, i) => `${i + 10},name ${i}`).join('\n');
    await writeFile(input, `${rows}\n`);
    const copyIn = await psql(url, ['-c', `\\copy items FROM '${input}' WITH (FORMAT csv)`]);
    assert.equal(copyIn.stderr, '');
    const output = path.join(folder, 'out.csv');
    const copyOut = await psql(url, ['-c', `\\copy (SELECT * FROM items WHERE id >= 10 ORDER BY id) TO '${output}' WITH (FORMAT csv)`]);
    assert.equal(copyOut.stderr, '');
    const copied = await readFile(output, 'utf8');
    await rm(folder, { recursive: true, force: true });
    assert.equal(copied, `${rows}\n`);
    assert.equal(await upstream.scalar('SELECT count(*)::int FROM items'), 5002);
  });

  it('reports an error and keeps the session usable', async () => {
    const result = await psql(url, ['-c', 'SELECT 1/0', '-c', 'SELECT $$still here$$']);
    assert.match(result.stderr, /ERROR: {2}division by zero/);
    assert.equal(result.stdout, 'still here\n');
    // In one session, inside a transaction: the error aborts it and ROLLBACK recovers.
    const inTransaction = await psql(url, [], { input: 'BEGIN;\nSELECT nope;\nSELECT 1;\nROLLBACK;\nSELECT 42;\n' });
    assert.match(inTransaction.stderr, /column "nope" does not exist/);
    assert.match(inTransaction.stderr, /current transaction is aborted/);
    assert.equal(inTransaction.stdout, '42\n');
  });

  it('cancels a running pg_sleep when psql gets SIGINT', async () => {
    const started = Date.now();
    const child = spawn('psql', [url, '-X', '-c', 'SELECT pg_sleep(30)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Wait until the upstream is really running the sleep, then interrupt psql.
    for (let i = 0; i < 100; i++) {
      const active = await upstream.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'");
      if (active === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /canceling statement due to user request/);
    assert.ok(Date.now() - started < 15_000, 'the cancel took effect long before the sleep would end');
    assert.ok(proxy.logs.some((line) => line.includes('"cancel.forwarded"')));
  });
});
