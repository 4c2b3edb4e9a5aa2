import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestProxy } from '../helpers/proxy.js';
import { dataRowValues, errorFields, WireClient, type BackendMessage } from '../helpers/wire.js';

const VERSION = '2.10.0 (pgml-proxy 9.9.9-test, engine backend: test-backend)';

interface Echo {
  project_name: string;
  task: string | null;
  hyperparams: unknown;
  test_size: number;
  features: number[] | null;
  test_sampling: string;
  transaction_status: string;
}

describe('pgml.* calls in the extended query protocol', () => {
  let proxy: TestProxy;
  let client: pg.Client;
  // Registered first so it runs before the stack's own after hook stops the proxy.
  after(() => client.end());
  pgmlStack(async (stack) => {
    proxy = stack.proxy;
    client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
  });

  async function echo(sql: string, values: unknown[] = []): Promise<Echo> {
    const result = await client.query<{ echo_args: Echo }>(sql, values);
    const row = result.rows[0];
    assert.ok(row !== undefined);
    return row.echo_args;
  }

  it('resolves positional, named and mixed arguments, defaults, casts, expressions, subqueries and $n', async () => {
    assert.deepEqual(await echo("SELECT pgml.echo_args('p')"), {
      project_name: 'p',
      task: null,
      hyperparams: {},
      test_size: 0.25,
      features: null,
      test_sampling: 'stratified',
      transaction_status: 'I',
    });
    const mixed = await echo(
      "SELECT pgml.echo_args('I love ' || $1, hyperparams => $2::jsonb, task => (SELECT 'text' || '-classification'), features => ARRAY[1, 2.5, $3], test_sampling => 'last')",
      ['SQL', '{"learning_rate": 2e-5, "nested": {"a": [1, 2]}}', 4],
    );
    assert.equal(mixed.project_name, 'I love SQL');
    assert.equal(mixed.task, 'text-classification');
    assert.deepEqual(mixed.hyperparams, { learning_rate: 2e-5, nested: { a: [1, 2] } });
    assert.deepEqual(mixed.features, [1, 2.5, 4]);
    assert.equal(mixed.test_sampling, 'last');
    const positional = await echo("SELECT pgml.echo_args('p', 'translation', '{\"x\": 1}', 11873)");
    assert.equal(positional.task, 'translation');
    assert.equal(positional.test_size, 11873);
  });

  it('serves the registry’s functions to node pg: version, a multi-statement string, parameters, STRICT NULLs', async () => {
    assert.equal((await client.query<{ version: string }>('SELECT pgml.version()')).rows[0]?.version, VERSION);
    assert.equal((await client.query<{ v: string }>('SELECT * FROM pgml.version() AS v')).rows[0]?.v, VERSION);
    const results = (await client.query('SELECT 1 AS a; SELECT pgml.version(); SELECT 3 AS c')) as unknown as pg.QueryResult[];
    assert.deepEqual(
      results.map((r) => r.rows[0] as unknown),
      [{ a: 1 }, { version: VERSION }, { c: 3 }],
    );
    // The arguments reach the handler, which looks the project up.
    await assert.rejects(client.query('SELECT pgml.predict($1, $2)', ['IMDB Review Sentiment', 'I love SQL']), (error: pg.DatabaseError) => {
      assert.equal(error.code, '42704');
      assert.match(error.message, /Project named `IMDB Review Sentiment` does not exist/);
      return true;
    });
    // predict is STRICT, as in PostgresML: a NULL argument gives NULL without running it.
    const strict = await client.query<{ predict: number | null }>('SELECT pgml.predict($1, $2::text)', [null, 'I love SQL']);
    assert.deepEqual(strict.rows, [{ predict: null }]);
    assert.equal(strict.fields[0]?.dataTypeID, 700);
  });

  it('runs a named prepared statement three times, and its Describe comes from PostgreSQL', async () => {
    for (const project of ['a', 'b', 'c']) {
      const result = await client.query<{ echo_args: Echo }>({ name: 'echo-prepared', text: 'SELECT pgml.echo_args($1, test_size => $2)', values: [project, 0.5] });
      assert.equal(result.rows[0]?.echo_args.project_name, project);
      assert.equal(result.fields[0]?.dataTypeID, 3802);
    }
    for (let i = 0; i < 3; i++) {
      const result = await client.query<{ version: string }>({ name: 'version-prepared', text: 'SELECT pgml.version()' });
      assert.equal(result.rows[0]?.version, VERSION);
    }
  });

  it('is part of the transaction inside BEGIN ... COMMIT', async () => {
    await client.query('CREATE TEMP TABLE t (x int)');
    await client.query('BEGIN');
    await client.query('INSERT INTO t VALUES ($1)', [1]);
    const inside = await echo('SELECT pgml.echo_args($1, test_size => (SELECT count(*) FROM t))', ['p']);
    assert.equal(inside.transaction_status, 'T');
    assert.equal(inside.test_size, 1);
    await client.query('COMMIT');
    assert.equal((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]?.n, 1);
  });

  it('turns a handler error into an ERROR; the session goes on', async () => {
    await assert.rejects(client.query('SELECT pgml.echo_args($1)', ['fail']), /pgml-proxy: the handler failed on purpose/);
    await assert.rejects(client.query('SELECT pgml.version($1)', [1]), (error: pg.DatabaseError) => error.code === '42883' || error.code === '42P18');
    assert.equal((await client.query<{ n: number }>('SELECT $1::int AS n', [9])).rows[0]?.n, 9);
  });

  it('answers a pipelined batch mixing pgml and ordinary statements in order, with one Sync', async () => {
    const { wire } = await WireClient.login(proxy.port, { user: 'postgres', database: 'postgres' });
    try {
      wire.write(
        Buffer.concat([
          serialize.parse({ text: 'SELECT $1::int + 1 AS n', types: [] }),
          serialize.bind({ values: ['1'] }),
          serialize.describe({ type: 'P' }),
          serialize.execute({}),
          serialize.parse({ name: 'v', text: 'SELECT pgml.version()' }),
          serialize.describe({ type: 'S', name: 'v' }),
          serialize.bind({ statement: 'v', portal: 'pv' }),
          serialize.execute({ portal: 'pv' }),
          serialize.parse({ text: "SELECT 'after'::text AS s" }),
          serialize.bind({}),
          serialize.execute({}),
          serialize.close({ type: 'S', name: 'v' }),
          serialize.sync(),
        ]),
      );
      const messages = await wire.until('Z');
      assert.equal(types(messages), '12TDC1tT2DC12DC3Z');
      const rows = messages.filter((m) => m.type === 'D').map((m) => dataRowValues(m)[0]);
      assert.deepEqual(rows, ['2', VERSION, 'after']);
    } finally {
      wire.destroy();
    }
  });

  it('after an error in a batch, skips to Sync as PostgreSQL does, then rolls the batch back', async () => {
    await client.query('CREATE TABLE IF NOT EXISTS batch (x int)');
    const { wire } = await WireClient.login(proxy.port, { user: 'postgres', database: 'postgres' });
    try {
      wire.write(
        Buffer.concat([
          serialize.parse({ text: 'INSERT INTO batch VALUES (1)' }),
          serialize.bind({}),
          serialize.execute({}),
          serialize.parse({ text: 'SELECT pgml.echo_args($1)' }),
          serialize.bind({ values: ['fail'] }),
          serialize.execute({}),
          serialize.parse({ text: 'SELECT pgml.version()' }),
          serialize.bind({}),
          serialize.execute({}),
          serialize.sync(),
        ]),
      );
      const messages = await wire.until('Z');
      assert.equal(types(messages), '12C12EZ');
      const error = messages.find((m) => m.type === 'E');
      assert.ok(error !== undefined);
      assert.match(errorFields(error).get('M') ?? '', /the handler failed on purpose/);
      assert.equal(messages.at(-1)?.bytes.toString('latin1', 5, 6), 'I');
    } finally {
      wire.destroy();
    }
    assert.equal((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM batch')).rows[0]?.n, 0);
  });

  it('sends binary results when the client asks, text otherwise', async () => {
    const { wire } = await WireClient.login(proxy.port, { user: 'postgres', database: 'postgres' });
    try {
      wire.write(
        Buffer.concat([
          serialize.parse({ text: "SELECT * FROM pgml.echo_args(ARRAY['a', 'b'])" }),
          serialize.bind({ binary: true }),
          serialize.describe({ type: 'P' }),
          serialize.execute({}),
          serialize.sync(),
        ]),
      );
      const messages = await wire.until('Z');
      assert.equal(types(messages), '12TDDCZ');
      const row = messages.filter((m) => m.type === 'D')[1];
      assert.ok(row !== undefined);
      // n int8 = 2, value text 'b', score float4 0.5, each with its int32 length
      assert.equal(row.bytes.subarray(5).toString('hex'), '0003' + '00000008' + '0000000000000002' + '00000001' + '62' + '00000004' + '3f000000');
      const description = messages.find((m) => m.type === 'T');
      assert.ok(description !== undefined);
      assert.equal(description.bytes.readInt16BE(description.bytes.length - 2), 1, 'RowDescription carries the binary format code');
    } finally {
      wire.destroy();
    }
  });

  it('honours Execute row limits with PortalSuspended', async () => {
    const { wire } = await WireClient.login(proxy.port, { user: 'postgres', database: 'postgres' });
    try {
      wire.write(
        Buffer.concat([
          serialize.parse({ text: "SELECT * FROM pgml.echo_args(ARRAY['a', 'b', 'c'])" }),
          serialize.bind({ portal: 'p' }),
          serialize.execute({ portal: 'p', rows: 2 }),
          serialize.execute({ portal: 'p', rows: 2 }),
          serialize.sync(),
        ]),
      );
      const messages = await wire.until('Z');
      assert.equal(types(messages), '12DDsDCZ');
    } finally {
      wire.destroy();
    }
  });
});

function types(messages: readonly BackendMessage[]): string {
  return messages
    .map((m) => m.type)
    .filter((t) => t !== 'N' && t !== 'S')
    .join('');
}
