import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import pg from 'pg';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';
import { dataRowValues, queryMessage, WireClient } from '../helpers/wire.js';

const VERSION = '2.10.0 (pgml-proxy 9.9.9-test, engine backend: test-backend)';

describe('pgml.* calls in the simple query protocol (psql)', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  pgmlStack((stack) => {
    ({ upstream, proxy } = stack);
  });

  async function query(sql: string): Promise<{ stdout: string; stderr: string }> {
    return psql(proxy.url(), ['-v', 'VERBOSITY=verbose'], { input: sql });
  }

  it('lists the functions with \\df pgml.*', async () => {
    const { stdout } = await psql(proxy.url(), ['-c', '\\df pgml.*']);
    for (const name of ['deploy', 'embed', 'generate', 'load_dataset', 'predict', 'predict_batch', 'predict_label', 'predict_proba', 'transform', 'tune', 'version']) {
      assert.match(stdout, new RegExp(`^pgml\\|${name}\\|`, 'm'), `${name} missing from:\n${stdout}`);
    }
    assert.match(stdout, /^pgml\|tune\|TABLE\(status text, task text, algorithm text, deployed boolean\)\|project_name text, task text DEFAULT NULL::text, .*test_sampling pgml\.sampling DEFAULT 'stratified'::pgml\.sampling/m);
  });

  it('answers SELECT pgml.version() and SELECT * FROM pgml.version()', async () => {
    const { stdout } = await psql(proxy.url(), ['-P', 'tuples_only=off', '-c', 'SELECT pgml.version()', '-c', 'SELECT * FROM pgml.version() AS v', '-c', 'select PGML.VERSION() as "My Version"', '-c', 'SELECT "pgml"."version"()']);
    assert.equal(stdout, `version\n${VERSION}\n(1 row)\nv\n${VERSION}\n(1 row)\nMy Version\n${VERSION}\n(1 row)\nversion\n${VERSION}\n(1 row)\n`);
  });

  it('answers each statement of a multi-statement string in order, pgml and ordinary mixed', async () => {
    // psql -c sends the whole string as one Query message (its own input is split at each ';').
    const { stdout, stderr } = await psql(proxy.url(), [
      '-c',
      "CREATE TEMP TABLE seen (x int); INSERT INTO seen VALUES (1); SELECT pgml.version(); SELECT count(*) FROM seen; SELECT * FROM pgml.echo_args('p', hyperparams => (SELECT jsonb_build_object('rows', count(*)) FROM seen));",
    ]);
    assert.equal(stderr, '');
    assert.equal(stdout, `${VERSION}\n1\n{"task": null, "features": null, "test_size": 0.25, "hyperparams": {"rows": 1}, "project_name": "p", "test_sampling": "stratified", "transaction_status": "I"}\n`);
  });

  it('stops a multi-statement string at the first error and rolls the whole string back', async () => {
    await upstream.sql('CREATE TABLE IF NOT EXISTS kept (x int)');
    const { stdout, stderr } = await psql(proxy.url(), ['-c', "INSERT INTO kept VALUES (1); SELECT pgml.echo_args('fail'); INSERT INTO kept VALUES (2);", '-c', 'SELECT count(*) FROM kept']);
    assert.match(stderr, /ERROR: {2}pgml-proxy: the handler failed on purpose/);
    assert.equal(stdout, '0\n', 'neither insert may survive: one implicit transaction, as in PostgreSQL');
  });

  it('points the error position at the statement inside the string', async () => {
    const client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
    try {
      const sql = 'SELECT 1; SELECT pgml.version(1)';
      await assert.rejects(client.query(sql), (error: pg.DatabaseError) => {
        assert.equal(error.code, '42883');
        assert.equal(error.message, 'function pgml.version(integer) does not exist');
        assert.match(error.hint ?? '', /No function matches the given name and argument types/);
        assert.equal(Number(error.position), sql.indexOf('pgml.version') + 1);
        return true;
      });
      assert.equal((await client.query<{ two: number }>('SELECT 2 AS two')).rows[0]?.two, 2);
    } finally {
      await client.end();
    }
  });

  it('gives PostgreSQL’s own errors for unknown functions and bad argument types', async () => {
    const { stderr } = await query("SELECT pgml.nope();\nSELECT pgml.tune(project_name => 1, nonsense => 2);\nSELECT pgml.tune('p', hyperparams => '{bad json');\nSELECT 'still here';\n");
    assert.match(stderr, /ERROR: {2}42883: function pgml\.nope\(\) does not exist/);
    assert.match(stderr, /ERROR: {2}42883: function pgml\.tune\(project_name => integer, nonsense => integer\) does not exist/);
    assert.match(stderr, /ERROR: {2}22P02: invalid input syntax for type json/);
    assert.doesNotMatch(stderr, /pgml_proxy/, 'the companion schema must never show in an error');
  });

  it('says clearly which functions are not implemented yet (0A000) and the session goes on', async () => {
    const { stdout, stderr } = await query("SELECT pgml.embed('intfloat/e5-small', 'hello');\nSELECT 5;\n");
    assert.match(stderr, /ERROR: {2}0A000: pgml\.embed\(\) is not implemented yet in pgml-proxy/);
    assert.equal(stdout, '5\n');
  });

  it('marks an open transaction failed after a handler error, exactly as PostgreSQL would', async () => {
    const { stdout, stderr } = await query(
      "CREATE TABLE IF NOT EXISTS tx (x int);\nBEGIN;\nINSERT INTO tx VALUES (1);\nSELECT pgml.echo_args('fail');\nSELECT 1;\nROLLBACK;\nSELECT count(*) FROM tx;\n",
    );
    assert.match(stderr, /pgml-proxy: the handler failed on purpose/);
    assert.match(stderr, /ERROR: {2}25P02: current transaction is aborted, commands ignored until end of transaction block/);
    assert.equal(stdout, '0\n');
  });

  it('runs a call inside BEGIN ... COMMIT as part of the transaction', async () => {
    const { stdout, stderr } = await query(
      "CREATE TABLE IF NOT EXISTS tx2 (x int);\nBEGIN;\nINSERT INTO tx2 VALUES (1);\nSELECT pgml.echo_args('in', test_size => (SELECT count(*) FROM tx2));\nCOMMIT;\nSELECT count(*) FROM tx2;\n",
    );
    assert.equal(stderr, '');
    // The argument subquery sees the uncommitted row; the status inside the block is T.
    assert.match(stdout, /^\{.*"test_size": 1, .*"transaction_status": "T"\}\n1\n$/);
  });

  it('streams notices while a call runs', async () => {
    const { stderr } = await query("SELECT pgml.echo_args('notices', test_size => 3);\n");
    assert.match(stderr, /NOTICE: {2}00000: progress 1 of 3\n(.*\n)*NOTICE: {2}00000: progress 3 of 3/);
  });

  it('renders a table function as one record column, or as its columns with SELECT *', async () => {
    const { stdout } = await psql(proxy.url(), ['-P', 'tuples_only=off', '-c', "SELECT pgml.echo_args(ARRAY['a', 'b c', NULL])", '-c', "SELECT * FROM pgml.echo_args(ARRAY['x'])", '-c', 'SELECT * FROM pgml.echo_args(NULL::text[])']);
    assert.equal(stdout, 'echo_args\n(1,a,0.25)\n(2,"b c",0.5)\n(3,,0.75)\n(3 rows)\nn|value|score\n1|x|0.25\n(1 row)\nn|value|score\n(0 rows)\n');
  });

  it('passes statements that only mention pgml tables, types or strings through untouched', async () => {
    const { stdout, stderr } = await query("SELECT count(*) FROM pgml.models;\nSELECT 'pgml.tune(' AS s, 'last'::pgml.sampling;\n-- SELECT pgml.version()\nSELECT 3;\n");
    assert.equal(stderr, '');
    assert.equal(stdout, '0\npgml.tune(|last\n3\n');
  });

  it('refuses a call inside a larger query with a clear 0A000, and leaves DDL to PostgreSQL', async () => {
    const { stderr } = await query('SELECT 1, pgml.version();\nCREATE VIEW versions AS SELECT pgml.version() AS v;\nSELECT * FROM versions;\n');
    assert.match(stderr, /ERROR: {2}0A000: pgml\.version\(\) can only be called in its own statement for now/);
    assert.match(stderr, /ERROR: {2}0A000: pgml\.version\(\) can only run through pgml-proxy/, 'the view reaches the stub');
  });

  it('tells a client that bypasses the proxy to connect through it', async () => {
    await assert.rejects(upstream.sql('SELECT pgml.version()'), (error: pg.DatabaseError) => {
      assert.equal(error.code, '0A000');
      assert.match(error.message, /pgml\.version\(\) can only run through pgml-proxy/);
      assert.match(error.hint ?? '', /Connect to pgml-proxy/);
      return true;
    });
  });

  it('keeps responses in order when a call follows relayed queries in one write', async () => {
    const { wire } = await WireClient.login(proxy.port, { user: 'postgres', database: 'postgres' });
    try {
      wire.write(Buffer.concat([queryMessage('SELECT 1 FROM pg_sleep(0.2)'), queryMessage('SELECT pgml.version()'), queryMessage('SELECT 3')]));
      const messages = [...(await wire.until('Z')), ...(await wire.until('Z')), ...(await wire.until('Z'))];
      assert.deepEqual(
        messages.filter((m) => m.type === 'D').map((m) => dataRowValues(m)[0]),
        ['1', VERSION, '3'],
      );
    } finally {
      wire.destroy();
    }
  });

  it('cancels a running call on CancelRequest (psql SIGINT) and the session stays usable', async () => {
    const child = spawn('psql', [proxy.url(), '-X', '-c', "SELECT pgml.echo_args('wait')"], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 700));
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('close', resolve));
    assert.match(stderr, /ERROR: {2}canceling statement due to user request/);
    assert.ok(proxy.logs.some((line) => line.includes('"cancel.intercepted"')));
  });
});
