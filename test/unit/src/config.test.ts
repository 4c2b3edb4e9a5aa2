import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_MAX_MESSAGE_SIZE, redactUrl, resolveStartConfig, upstreamTarget } from '../../../src/config.js';
import { fixturePath } from '../../helpers/paths.js';

describe('resolveStartConfig', () => {
  it('has defaults for everything', () => {
    assert.deepEqual(resolveStartConfig({}, {}), {
      listenHost: '127.0.0.1',
      listenPort: 6432,
      upstreamUrl: null,
      dataDir: path.resolve('.pgml-proxy'),
      tlsCertFile: null,
      tlsKeyFile: null,
      maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
      shutdownGraceMs: 10_000,
      logLevel: 'info',
    });
  });

  it('takes the upstream from the flag, then PGML_UPSTREAM, then DATABASE_URL', () => {
    const env = { PGML_UPSTREAM: 'postgresql://pgml/db', DATABASE_URL: 'postgresql://database-url/db' };
    assert.equal(resolveStartConfig({ upstream: 'postgresql://flag/db' }, env).upstreamUrl, 'postgresql://flag/db');
    assert.equal(resolveStartConfig({}, env).upstreamUrl, 'postgresql://pgml/db');
    assert.equal(resolveStartConfig({}, { DATABASE_URL: env.DATABASE_URL }).upstreamUrl, env.DATABASE_URL);
    // An empty variable counts as unset.
    assert.equal(resolveStartConfig({}, { PGML_UPSTREAM: '', DATABASE_URL: env.DATABASE_URL }).upstreamUrl, env.DATABASE_URL);
  });

  it('prefers flags over the environment for the other settings too', () => {
    const env = { PGML_LISTEN: '0.0.0.0:7000', PGML_LOG_LEVEL: 'warn', PGML_SHUTDOWN_GRACE: '3' };
    const fromEnv = resolveStartConfig({}, env);
    assert.deepEqual([fromEnv.listenHost, fromEnv.listenPort, fromEnv.logLevel, fromEnv.shutdownGraceMs], ['0.0.0.0', 7000, 'warn', 3000]);
    const fromFlags = resolveStartConfig({ listen: '127.0.0.2:7001', 'log-level': 'debug', 'shutdown-grace': '0' }, env);
    assert.deepEqual([fromFlags.listenHost, fromFlags.listenPort, fromFlags.logLevel, fromFlags.shutdownGraceMs], ['127.0.0.2', 7001, 'debug', 0]);
  });

  it('parses IPv6 and host-less --listen values', () => {
    const v6 = resolveStartConfig({ listen: '[::1]:5433' }, {});
    assert.deepEqual([v6.listenHost, v6.listenPort], ['::1', 5433]);
    const any = resolveStartConfig({ listen: ':5434' }, {});
    assert.deepEqual([any.listenHost, any.listenPort], ['0.0.0.0', 5434]);
  });

  it('rejects a bad --listen with ConfigError', () => {
    for (const listen of ['6432', 'localhost', '127.0.0.1:', '127.0.0.1:99999', 'host:port', '[::1]5432']) {
      assert.throws(() => resolveStartConfig({ listen }, {}), ConfigError, listen);
    }
    assert.throws(() => resolveStartConfig({}, { PGML_LISTEN: 'nope' }), /--listen must be HOST:PORT/);
  });

  it('requires --tls-cert and --tls-key together', () => {
    assert.throws(() => resolveStartConfig({ 'tls-cert': 'server.crt' }, {}), ConfigError);
    assert.throws(() => resolveStartConfig({}, { PGML_TLS_KEY: 'server.key' }), /give both or neither/);
    const both = resolveStartConfig({ 'tls-cert': 'a.crt' }, { PGML_TLS_KEY: 'a.key' });
    assert.deepEqual([both.tlsCertFile, both.tlsKeyFile], ['a.crt', 'a.key']);
  });

  it('rejects a bad log level and non-positive sizes', () => {
    assert.throws(() => resolveStartConfig({ 'log-level': 'loud' }, {}), ConfigError);
    assert.throws(() => resolveStartConfig({ 'max-message-size': '0' }, {}), ConfigError);
    assert.throws(() => resolveStartConfig({ 'max-message-size': '1.5' }, {}), ConfigError);
    assert.throws(() => resolveStartConfig({ 'shutdown-grace': '-1' }, {}), ConfigError);
    assert.equal(resolveStartConfig({ 'max-message-size': '1024' }, {}).maxMessageSize, 1024);
  });
});

describe('upstreamTarget', () => {
  it('reads host, port, sslmode and connect_timeout', () => {
    const target = upstreamTarget('postgresql://app:secret@db.example.com:5433/app?sslmode=require&connect_timeout=3');
    assert.equal(target.host, 'db.example.com');
    assert.equal(target.port, 5433);
    assert.equal(target.tls.mode, 'require');
    assert.equal(target.connectTimeoutMs, 3000);
  });

  it('defaults to port 5432, sslmode prefer and a 10 s connect timeout', () => {
    const target = upstreamTarget('postgres://db.example.com/app');
    assert.deepEqual([target.host, target.port, target.tls.mode, target.connectTimeoutMs], ['db.example.com', 5432, 'prefer', 10_000]);
    assert.equal(upstreamTarget('postgresql:///app').host, 'localhost');
  });

  it('understands IPv6 hosts and host/port query parameters (Unix sockets)', () => {
    assert.equal(upstreamTarget('postgresql://[::1]:5432/app').host, '::1');
    const socket = upstreamTarget('postgresql:///app?host=/var/run/postgresql&port=5444');
    assert.deepEqual([socket.host, socket.port], ['/var/run/postgresql', 5444]);
  });

  it('reads sslrootcert, and reports a missing file as ConfigError', () => {
    const ca = fixturePath('tls', 'ca.crt');
    const target = upstreamTarget(`postgresql://h/db?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`);
    assert.deepEqual(target.tls.ca, readFileSync(ca));
    assert.throws(() => upstreamTarget('postgresql://h/db?sslrootcert=/nonexistent/ca.pem'), /cannot read sslrootcert/);
  });

  it('waits forever on connect_timeout=0, as libpq does, and rejects nonsense ports and timeouts', () => {
    assert.equal(upstreamTarget('postgresql://h/db?connect_timeout=0').connectTimeoutMs, 0);
    assert.throws(() => upstreamTarget('postgresql://h/db?connect_timeout=soon'), /connect_timeout must be a number/);
    assert.throws(() => upstreamTarget('postgresql:///db?port=abc'), /port must be 1-65535/);
  });

  it('rejects a bad sslmode', () => {
    assert.throws(() => upstreamTarget('postgresql://h/db?sslmode=always'), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, got always/);
      return true;
    });
  });

  it('rejects URLs that are not postgresql://, without echoing the password', () => {
    assert.throws(() => upstreamTarget('mysql://root:pw@h/db'), /must start with postgresql:\/\/, got mysql:\/\//);
    assert.throws(() => upstreamTarget('http://h/db'), ConfigError);
    assert.throws(() => upstreamTarget('db.example.com:5432'), ConfigError);
    assert.throws(() => upstreamTarget('not a url :pw@'), ConfigError);
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    assert.equal(redactUrl('postgresql://app:s3cret@db:5432/app?sslmode=require'), 'postgresql://app:***@db:5432/app?sslmode=require');
    assert.equal(redactUrl('postgresql://app:p%40ss%3Aw@db/app'), 'postgresql://app:***@db/app');
    assert.equal(redactUrl('postgresql://:only-password@db/app'), 'postgresql://:***@db/app');
  });

  it('leaves URLs without a password alone', () => {
    assert.equal(redactUrl('postgresql://app@db:5432/app'), 'postgresql://app@db:5432/app');
    assert.equal(redactUrl('postgresql://db:5432/app'), 'postgresql://db:5432/app');
  });
});
