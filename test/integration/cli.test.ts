import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startCli } from '../helpers/cli.js';
import { projectRoot } from '../helpers/paths.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { psql, run } from '../helpers/run.js';

const bin = path.join(projectRoot, 'bin', 'pgml-proxy.js');

describe('the pgml-proxy command', () => {
  let upstream: TestPostgres;
  before(async () => {
    upstream = await startTestPostgres();
  });
  after(() => upstream.stop());

  it('explains itself with --help and rejects unknown commands with exit code 2', async () => {
    const help = await run(process.execPath, [bin, '--help']);
    assert.equal(help.code, 0);
    for (const text of ['--listen HOST:PORT', '--upstream URL', '--data-dir DIR', '--tls-cert FILE', 'DATABASE_URL', 'sslmode']) {
      assert.ok(help.stdout.includes(text), `--help mentions ${text}`);
    }
    const wrong = await run(process.execPath, [bin, 'launch']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /unknown command "launch"; try pgml-proxy --help/);
    const badListen = await run(process.execPath, [bin, 'start', '--listen', 'nowhere']);
    assert.equal(badListen.code, 2);
    assert.match(badListen.stderr, /--listen must be HOST:PORT/);
  });

  it('fronts an upstream given by DATABASE_URL and lets open transactions finish on SIGTERM', async () => {
    const proxy = await startCli(['--listen', '127.0.0.1:0', '--shutdown-grace', '10'], {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${upstream.port}/postgres?sslmode=disable`,
    });
    assert.match(proxy.url, /^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const client = new pg.Client({ connectionString: proxy.url });
    // pg reports the FATAL, then the closed socket: keep every error.
    const errors: (Error & { code?: string })[] = [];
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.on('error', (error) => errors.push(error));
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS shutdown_check (id int)');
    await client.query('BEGIN');
    await client.query('INSERT INTO shutdown_check VALUES (1)');
    const exit = proxy.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The transaction is still allowed to finish; then the proxy closes the session with 57P01.
    await client.query('COMMIT');
    await ended;
    assert.equal(errors[0]?.code, '57P01');
    assert.equal(await exit, 0);
    assert.equal(await upstream.scalar('SELECT count(*)::int FROM shutdown_check'), 1);
    assert.match(proxy.stderr(), /"event":"shutdown.done"/);
  });

  it('starts an embedded PostgreSQL, reuses it on the next start, and stops it on SIGINT', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pgml-cli-'));
    try {
      const first = await startCli(['--listen', '127.0.0.1:0', '--data-dir', dataDir]);
      assert.match(first.url, /^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
      const created = await psql(first.url, ['-c', 'CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$survives restarts$$)']);
      assert.equal(created.stderr, '');
      // The started proxy installed the pgml schema and answers pgml calls.
      const version = await psql(first.url, ['-c', 'SELECT pgml.version()']);
      assert.match(version.stdout, /^2\.10\.0 \(pgml-proxy \d+\.\d+\.\d+, engine backend: .+\)\n$/, version.stderr);
      assert.equal(await first.stop('SIGINT'), 0);
      assert.match(first.stderr(), /"event":"embedded.created"/);
      assert.match(first.stderr(), /"event":"postgres.stopped"/);

      const second = await startCli(['--listen', '127.0.0.1:0', '--data-dir', dataDir]);
      const kept = await psql(second.url, ['-c', 'SELECT note FROM kept']);
      assert.equal(kept.stdout, 'survives restarts\n', kept.stderr);
      assert.doesNotMatch(second.stderr(), /"event":"embedded.created"/);
      assert.equal(await second.stop('SIGTERM'), 0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
