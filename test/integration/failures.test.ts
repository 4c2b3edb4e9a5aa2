import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { decodeAuthCode, decodeBackendKeyData } from '../../proxy/protocol/backend.js';
import { encodeCancelRequest, encodeSSLRequest } from '../../proxy/protocol/frontend.js';
import { Reader } from '../../proxy/protocol/reader.js';
import { Writer } from '../../proxy/protocol/writer.js';
import { freePort } from '../../src/embedded/cluster.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { proxiedPostgres, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import {
  WireClient,
  dataRowValues,
  errorFields,
  gssEncRequest,
  queryMessage,
  simpleQuery,
  startupMessage,
  startupMessageVersion,
  type BackendMessage,
} from '../helpers/wire.js';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with `what` after the time limit. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

/** The single value of a one-row, one-column simple query. */
function only(messages: BackendMessage[]): string | null | undefined {
  const row = messages.find((m) => m.type === 'D');
  return row === undefined ? undefined : dataRowValues(row)[0];
}

async function selectOne(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n;
  } finally {
    await client.end();
  }
}

describe('failures against a running upstream', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;

  const clientBackends = async (where = 'true'): Promise<number> =>
    Number(await upstream.scalar(`SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND ${where}`));

  proxiedPostgres((u, p) => {
    upstream = u;
    proxy = p;
  });

  it('reports an unreachable upstream with FATAL 08006 naming its address', async () => {
    const closedPort = await freePort();
    const lonely = await startTestProxy({ upstreamPort: closedPort });
    try {
      const wire = await WireClient.connect(lonely.port);
      wire.write(startupMessage());
      const fields = await wire.errorThenClose();
      assert.equal(fields.get('V'), 'FATAL');
      assert.equal(fields.get('C'), '08006');
      assert.match(fields.get('M') ?? '', new RegExp(`127\\.0\\.0\\.1:${closedPort}\\b`));
      assert.equal(lonely.server.sessionCount, 0);
    } finally {
      await lonely.close();
    }
  });

  it('answers garbage as the first packet with FATAL 08P01, and keeps serving', async () => {
    const wire = await WireClient.connect(proxy.port);
    wire.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n'));
    const fields = await wire.errorThenClose();
    assert.equal(fields.get('V'), 'FATAL');
    assert.equal(fields.get('C'), '08P01');
    assert.match(fields.get('M') ?? '', /exceeds the maximum of 10000 bytes/);
    assert.equal(await selectOne(proxy.url()), 1);
  });

  it('rejects an oversize length header with FATAL 08P01 before the body is sent', async () => {
    const small = await startTestProxy({ upstreamPort: upstream.port, maxMessageSize: 1024 });
    try {
      const { wire } = await WireClient.login(small.port);
      // A Query header claiming 1 MiB; the body never follows.
      wire.write(Buffer.from([0x51, 0x00, 0x10, 0x00, 0x00]));
      const fields = await wire.errorThenClose();
      assert.equal(fields.get('V'), 'FATAL');
      assert.equal(fields.get('C'), '08P01');
      assert.match(fields.get('M') ?? '', /1048576 exceeds the maximum of 1024 bytes/);
    } finally {
      await small.close();
    }
  });

  it('rejects an unknown frontend message type after startup with FATAL 08P01', async () => {
    const { wire } = await WireClient.login(proxy.port);
    wire.write(Buffer.from([0x7a, 0, 0, 0, 4])); // 'z' is no frontend message
    const fields = await wire.errorThenClose();
    assert.equal(fields.get('V'), 'FATAL');
    assert.equal(fields.get('C'), '08P01');
    assert.match(fields.get('M') ?? '', /invalid frontend message type 122/);
  });

  it('cleans up after a client that vanishes mid-message; other sessions carry on', async () => {
    const other = new pg.Client({ connectionString: proxy.url() });
    await other.connect();
    await eventually('earlier sessions are gone', () => proxy.server.sessionCount === 1);
    const baseline = await clientBackends();
    const { wire } = await WireClient.login(proxy.port, { application_name: 'vanishing' });
    assert.equal(await clientBackends(), baseline + 1);
    assert.equal(await clientBackends("application_name = 'vanishing'"), 1);
    const query = queryMessage('SELECT 1 FROM generate_series(1, 10)');
    await new Promise<void>((resolve) => wire.socket.write(query.subarray(0, 9), () => resolve()));
    await sleep(50);
    wire.destroy();
    await eventually('the upstream backend is gone', async () => (await clientBackends()) === baseline);
    await eventually('only the other session is left', () => proxy.server.sessionCount === 1);
    assert.equal((await other.query<{ n: number }>('SELECT 2 AS n')).rows[0]?.n, 2);
    await other.end();
    await eventually('no session is left', () => proxy.server.sessionCount === 0);
  });

  it('answers a protocol 2.0 startup with FATAL 0A000', async () => {
    const wire = await WireClient.connect(proxy.port);
    // The 2.0 packet: version, then fixed fields database[64] user[32] options[64] unused[64] tty[64].
    const fixed = Buffer.alloc(288);
    fixed.write('postgres', 0);
    fixed.write('postgres', 64);
    wire.write(new Writer(null).int32(2 << 16).bytes(fixed).finish());
    const fields = await wire.errorThenClose();
    assert.equal(fields.get('V'), 'FATAL');
    assert.equal(fields.get('C'), '0A000');
    assert.match(fields.get('M') ?? '', /unsupported frontend protocol 2\.0/);
  });

  it('answers GSSENCRequest and SSLRequest (no TLS) with N, then serves the same socket', async () => {
    for (const request of [gssEncRequest(), encodeSSLRequest()]) {
      const wire = await WireClient.connect(proxy.port);
      wire.write(request);
      assert.equal(await wire.byte(), 'N');
      wire.write(startupMessage());
      const login = await wire.until('Z');
      assert.ok(login.some((m) => m.type === 'K'), 'BackendKeyData during login');
      assert.equal(only(await simpleQuery(wire, 'SELECT 6 * 7')), '42');
      wire.destroy();
    }
  });

  it('negotiates protocol 3.2 with a _pq_ option down to 3.0, then logs in', async () => {
    const wire = await WireClient.connect(proxy.port);
    wire.write(startupMessageVersion(3, 2, { '_pq_.foo': 'bar' }));
    const negotiate = await wire.message();
    assert.equal(negotiate.type, 'v');
    const r = new Reader(negotiate.bytes, 5);
    assert.deepEqual([r.int32(), r.int32(), r.cstring(), r.remaining], [0, 1, '_pq_.foo', 0]);
    const login = await wire.until('Z');
    const auth = login[0];
    assert.ok(auth?.type === 'R', 'authentication comes first');
    assert.equal(decodeAuthCode(auth.bytes, 0, auth.bytes.length), 0);
    assert.equal(only(await simpleQuery(wire, 'SELECT 1 + 1')), '2');
    wire.destroy();
  });

  it('serves a Query pipelined right after the startup packet, as PostgreSQL does (trust)', async () => {
    const wire = await WireClient.connect(proxy.port);
    wire.write(Buffer.concat([startupMessage(), queryMessage('SELECT 40 + 2')]));
    const login = await wire.until('Z');
    assert.deepEqual(login.filter((m) => m.type === 'E').map(errorFields), []);
    assert.equal(only(await wire.until('Z')), '42');
    wire.destroy();
  });

  it('relays the upstream FATAL at login, and nothing after it', async () => {
    const wire = await WireClient.connect(proxy.port);
    wire.write(startupMessage({ database: 'no_such_database' }));
    const fields = await wire.errorThenClose();
    assert.deepEqual([fields.get('V'), fields.get('C')], ['FATAL', '3D000']);
  });

  it('ignores a CancelRequest with a wrong secret; the right one cancels', async () => {
    const { wire, messages } = await WireClient.login(proxy.port, { application_name: 'cancel-test' });
    const keyMessage = messages.find((m) => m.type === 'K');
    assert.ok(keyMessage);
    const key = decodeBackendKeyData(keyMessage.bytes, 0, keyMessage.bytes.length);
    const sendCancel = async (secret: Buffer): Promise<void> => {
      const canceller = await WireClient.connect(proxy.port);
      canceller.write(encodeCancelRequest(key.processId, secret));
      await canceller.waitClosed();
    };
    const running = (sql: string) => () => clientBackends(`application_name = 'cancel-test' AND state = 'active' AND query = '${sql}'`).then((n) => n === 1);

    wire.write(queryMessage('SELECT pg_sleep(1)'));
    await eventually('pg_sleep(1) runs', running('SELECT pg_sleep(1)'));
    const wrong = Buffer.from(key.secretKey);
    wrong[0] = (wrong[0] ?? 0) ^ 0xff;
    await sendCancel(wrong);
    const finished = await wire.until('Z');
    assert.deepEqual(finished.filter((m) => m.type === 'E').map(errorFields), []);
    assert.equal(only(finished), '');

    wire.write(queryMessage('SELECT pg_sleep(5)'));
    await eventually('pg_sleep(5) runs', running('SELECT pg_sleep(5)'));
    await sendCancel(key.secretKey);
    const cancelled = (await wire.until('Z')).find((m) => m.type === 'E');
    assert.ok(cancelled, 'the right secret cancels');
    assert.equal(errorFields(cancelled).get('C'), '57014');
    wire.destroy();
  });
});

describe('the upstream dies mid-session', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;

  before(async () => {
    // A fixed port, so that the restarted cluster is where the proxy looks.
    upstream = await startTestPostgres({ port: await freePort() });
    proxy = await startTestProxy({ upstreamPort: upstream.port });
  });
  after(async () => {
    await proxy.close();
    await upstream.stop();
  });

  it('fails idle and busy clients with an error, keeps listening, and recovers after a restart', async () => {
    const idleErrors: Error[] = [];
    const idle = new pg.Client({ connectionString: proxy.url() });
    idle.on('error', (error) => idleErrors.push(error));
    await idle.connect();
    await idle.query('SELECT 1');
    const busy = new pg.Client({ connectionString: proxy.url() });
    busy.on('error', () => undefined); // its failure is asserted on the query below
    await busy.connect();
    const sleeping = busy.query('SELECT pg_sleep(5)').then(
      () => undefined,
      (error: unknown) => error,
    );
    await eventually('pg_sleep(5) runs', async () => Number(await upstream.scalar("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'")) === 1);

    const killedAt = Date.now();
    await upstream.cluster.kill();
    const busyError = await sleeping;
    assert.ok(busyError instanceof Error, 'the running query fails');
    assert.match(sqlState(busyError) ?? 'none', /^(08006|57P01)$/);
    assert.ok(Date.now() - killedAt < 4000, 'the failure arrives long before pg_sleep would end');
    await eventually('the idle client hears of it', () => idleErrors.length > 0);
    assert.ok(idleErrors.some((error) => /^(08006|57P01)$/.test(sqlState(error) ?? '')), idleErrors.map(String).join('; '));
    await eventually('both sessions are closed', () => proxy.server.sessionCount === 0);

    // The listener still accepts, and says the upstream is down.
    const wire = await WireClient.connect(proxy.port);
    wire.write(startupMessage());
    const fields = await wire.errorThenClose();
    assert.equal(fields.get('C'), '08006');
    assert.match(fields.get('M') ?? '', new RegExp(`127\\.0\\.0\\.1:${upstream.port}`));

    await upstream.cluster.start();
    assert.equal(upstream.cluster.port, upstream.port);
    assert.equal(await selectOne(proxy.url()), 1);
  });
});

it('saw no unhandled promise rejection', () => {
  assert.deepEqual(unhandled, []);
});
