import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { fixturePath } from '../helpers/paths.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';

const HBA = ['host all bob 127.0.0.1/32 md5', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n');
const CA = fixturePath('tls', 'ca.crt');

describe('authentication and TLS through the proxy', () => {
  let upstream: TestPostgres;

  before(async () => {
    upstream = await startTestPostgres({ hba: HBA, ssl: true });
    await upstream.sql("CREATE ROLE alice LOGIN PASSWORD 'wonderland'");
    await upstream.sql("SET password_encryption = 'md5'; CREATE ROLE bob LOGIN PASSWORD 'builder'");
  });
  after(() => upstream.stop());

  it('relays SCRAM-SHA-256: the right password logs in, a wrong one gets 28P01', async () => {
    await using proxy = await startTestProxy({ upstreamPort: upstream.port });
    const ok = await psql(proxy.url('alice', 'wonderland'), ['-c', 'SELECT current_user']);
    assert.equal(ok.stdout, 'alice\n', ok.stderr);
    const client = new pg.Client({ connectionString: proxy.url('alice', 'wrong') });
    await assert.rejects(client.connect(), { code: '28P01', message: /password authentication failed for user "alice"/ });
    assert.equal(await upstream.scalar("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'alice'"), true);
  });

  it('relays md5 authentication', async () => {
    await using proxy = await startTestProxy({ upstreamPort: upstream.port });
    const ok = await psql(proxy.url('bob', 'builder'), ['-c', 'SELECT current_user']);
    assert.equal(ok.stdout, 'bob\n', ok.stderr);
    const wrong = await psql(proxy.url('bob', 'nope'), ['-c', 'SELECT 1']);
    assert.match(wrong.stderr, /password authentication failed for user "bob"/);
  });

  it('serves TLS to clients with sslmode=require and verify-full', async () => {
    await using proxy = await startTestProxy({ upstreamPort: upstream.port, tls: true });
    const required = await psql(proxy.url('alice', 'wonderland', 'postgres', 'sslmode=require'), ['-c', 'SELECT 1']);
    assert.equal(required.stdout, '1\n', required.stderr);
    const verified = await psql(proxy.url('alice', 'wonderland', 'postgres', `sslmode=verify-full&sslrootcert=${CA}`), ['-c', 'SELECT 2']);
    assert.equal(verified.stdout, '2\n', verified.stderr);
    const client = new pg.Client({ connectionString: proxy.url('alice', 'wonderland', 'postgres', ''), ssl: { ca: readFileSync(CA) } });
    await client.connect();
    try {
      const socket = (client as unknown as { connection: { stream: unknown } }).connection.stream;
      assert.ok(socket instanceof tls.TLSSocket && socket.encrypted);
      assert.deepEqual((await client.query('SELECT 3 AS n')).rows, [{ n: 3 }]);
    } finally {
      await client.end();
    }
  });

  it('answers N to SSLRequest without a certificate, so sslmode=require fails and prefer works', async () => {
    await using proxy = await startTestProxy({ upstreamPort: upstream.port });
    const required = await psql(proxy.url('alice', 'wonderland', 'postgres', 'sslmode=require'), ['-c', 'SELECT 1']);
    assert.match(required.stderr, /server does not support SSL, but SSL was required/);
    const preferred = await psql(proxy.url('alice', 'wonderland', 'postgres', 'sslmode=prefer'), ['-c', 'SELECT 1']);
    assert.equal(preferred.stdout, '1\n', preferred.stderr);
  });

  it('connects to the upstream over TLS as sslmode says', async () => {
    const sslOf = 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
    await using verifyFull = await startTestProxy({ upstreamPort: upstream.port, upstreamTls: { mode: 'verify-full', ca: readFileSync(CA) } });
    const secured = await psql(verifyFull.url('alice', 'wonderland'), ['-c', sslOf]);
    assert.equal(secured.stdout, 't\n', secured.stderr);
    await using plain = await startTestProxy({ upstreamPort: upstream.port, upstreamTls: { mode: 'disable' } });
    assert.equal((await psql(plain.url('alice', 'wonderland'), ['-c', sslOf])).stdout, 'f\n');
    // verify-ca without our CA: the self-made chain is not trusted, and the client is told why.
    await using untrusted = await startTestProxy({ upstreamPort: upstream.port, upstreamTls: { mode: 'verify-ca' } });
    const refused = await psql(untrusted.url('alice', 'wonderland'), ['-c', 'SELECT 1']);
    assert.match(refused.stderr, /FATAL: {2}could not connect to the upstream PostgreSQL server at 127\.0\.0\.1:\d+: .*certificate/);
  });

  it('strips SCRAM-SHA-256-PLUS for TLS clients and explains channel binding when both links are TLS', async () => {
    await using proxy = await startTestProxy({ upstreamPort: upstream.port, tls: true, upstreamTls: { mode: 'require' } });
    // libpq over TLS offered only SCRAM-SHA-256 says it could bind ('y'); PostgreSQL over TLS refuses that.
    const prefer = await psql(proxy.url('alice', 'wonderland', 'postgres', 'sslmode=require'), ['-c', 'SELECT 1']);
    assert.match(prefer.stderr, /SCRAM channel binding cannot pass through pgml-proxy/);
    assert.match(prefer.stderr, /channel_binding=disable/);
    const disabled = await psql(proxy.url('alice', 'wonderland', 'postgres', 'sslmode=require&channel_binding=disable'), ['-c', 'SELECT 1']);
    assert.equal(disabled.stdout, '1\n', disabled.stderr);
    // A plaintext client is offered SCRAM-SHA-256-PLUS by the TLS upstream but cannot pick it.
    const plaintext = await psql(proxy.url('alice', 'wonderland'), ['-c', 'SELECT 1']);
    assert.equal(plaintext.stdout, '1\n', plaintext.stderr);
  });
});
