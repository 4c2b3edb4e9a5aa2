import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

describe('node pg through the proxy', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  let client: pg.Client;

  before(async () => {
    upstream = await startTestPostgres();
    await upstream.sql('CREATE TABLE numbers AS SELECT n, n * n AS square FROM generate_series(1, 1000) AS n');
    proxy = await startTestProxy({ upstreamPort: upstream.port });
    client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
  });
  after(async () => {
    await client.end();
    await proxy.close();
    await upstream.stop();
  });

  it('runs simple queries, several statements giving several results', async () => {
    const results = (await client.query('SELECT 1 AS a; SELECT $$x$$ AS b')) as unknown as pg.QueryResult<Record<string, unknown>>[];
    assert.deepEqual(
      results.map((r) => r.rows),
      [[{ a: 1 }], [{ b: 'x' }]],
    );
  });

  it('runs parameterised queries (extended protocol, unnamed statement)', async () => {
    const result = await client.query('SELECT square FROM numbers WHERE n = $1', [12]);
    assert.deepEqual(result.rows, [{ square: 144 }]);
  });

  it('reuses a named prepared statement', async () => {
    for (const n of [3, 4, 5]) {
      const result = await client.query({ name: 'square_of', text: 'SELECT square FROM numbers WHERE n = $1', values: [n] });
      assert.deepEqual(result.rows, [{ square: n * n }]);
    }
    const prepared = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'square_of'");
    assert.deepEqual(prepared.rows, [{ n: 1 }]);
  });

  it('reads a cursor in row-limited portal steps', async () => {
    const cursor = client.query(new Cursor('SELECT n FROM numbers ORDER BY n'));
    const first = await cursor.read(100);
    const second = await cursor.read(100);
    await cursor.close();
    assert.equal(first.length, 100);
    assert.equal((first[99] as { n: number }).n, 100);
    assert.equal((second[0] as { n: number }).n, 101);
    const after = await client.query('SELECT 7 AS seven');
    assert.deepEqual(after.rows, [{ seven: 7 }]);
  });

  it('delivers LISTEN/NOTIFY between two sessions', async () => {
    const listener = new pg.Client({ connectionString: proxy.url() });
    await listener.connect();
    try {
      await listener.query('LISTEN pgml_events');
      const received = new Promise<pg.Notification>((resolve) => listener.once('notification', resolve));
      await client.query("NOTIFY pgml_events, 'trained'");
      const notification = await received;
      assert.equal(notification.channel, 'pgml_events');
      assert.equal(notification.payload, 'trained');
    } finally {
      await listener.end();
    }
  });

  it('reports errors with their SQLSTATE and keeps the session usable', async () => {
    await assert.rejects(client.query('SELECT * FROM missing_table'), { code: '42P01' });
    await assert.rejects(client.query('SELECT $1::int', ['not a number']), { code: '22P02' });
    const result = await client.query('SELECT 1 AS ok');
    assert.deepEqual(result.rows, [{ ok: 1 }]);
  });

  it('answers a pipelined batch (many Parse/Bind/Execute, one Sync) in order', async () => {
    const messages = await rawSession(proxy.port, (socket) => {
      const batch: Buffer[] = [];
      for (let i = 1; i <= 20; i++) {
        batch.push(serialize.parse({ text: 'SELECT square FROM numbers WHERE n = $1' }));
        batch.push(serialize.bind({ values: [String(i)] }));
        batch.push(serialize.execute());
      }
      batch.push(serialize.sync());
      socket.write(Buffer.concat(batch));
    });
    const rows = messages.filter((m) => m.name === 'dataRow').map((m) => Number((m as unknown as { fields: string[] }).fields[0]));
    assert.deepEqual(
      rows,
      Array.from({ length: 20 }, (_, i) => (i + 1) * (i + 1)),
    );
    assert.equal(messages.filter((m) => m.name === 'readyForQuery').length, 1);
  });
});

/** A hand-driven protocol session: trust login, then `send`, then messages until ReadyForQuery. */
async function rawSession(port: number, send: (socket: net.Socket) => void): Promise<BackendMessage[]> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const messages: BackendMessage[] = [];
  let readyCount = 0;
  let onReady: () => void = () => undefined;
  void parse(socket, (message) => {
    messages.push(message);
    if (message.name === 'readyForQuery') {
      readyCount++;
      onReady();
    }
  });
  const ready = (count: number): Promise<void> =>
    new Promise((resolve) => {
      onReady = () => {
        if (readyCount >= count) resolve();
      };
      onReady();
    });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
  await ready(1);
  messages.length = 0;
  send(socket);
  await ready(2);
  socket.end(serialize.end());
  return messages;
}
