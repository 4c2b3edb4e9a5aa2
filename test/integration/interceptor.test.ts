import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parse, serialize } from 'pg-protocol';
import type { InterceptContext, Interceptor, InterceptResult } from '../../proxy/interceptor.js';
import { encodeNoticeResponse } from '../../proxy/protocol/backend.js';
import { Writer } from '../../proxy/protocol/writer.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';

const TEXT_OID = 25;

/** One text column, one row: the smallest result set, written by hand for this seam test. */
function textResult(column: string, value: string): Buffer[] {
  const description = new Writer(0x54).int16(1).cstring(column).int32(0).int16(0).int32(TEXT_OID).int16(-1).int32(-1).int16(0).finish();
  const bytes = Buffer.from(value);
  const row = new Writer(0x44).int16(1).int32(bytes.length).bytes(bytes).finish();
  return [description, row, new Writer(0x43).cstring('SELECT 1').finish()];
}

/** Claims `SELECT echo('...')`, `SELECT fail()` and `SELECT wait()`; everything else is relayed. */
class TestInterceptor implements Interceptor {
  claims(sql: string): boolean {
    return /^\s*SELECT (echo|fail|wait)\(/i.test(sql);
  }

  async execute(sql: string, context: InterceptContext): Promise<InterceptResult> {
    const echo = /echo\('([^']*)'\)/.exec(sql);
    if (echo?.[1] !== undefined) {
      context.send(encodeNoticeResponse({ severity: 'NOTICE', code: '00000', message: `echoing ${echo[1]}` }));
      return { messages: textResult('echo', `${echo[1]} (status ${context.transactionStatus})`), transactionStatus: context.transactionStatus };
    }
    if (sql.includes('fail(')) throw new Error('the handler failed on purpose');
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 30_000);
      context.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
    return { messages: textResult('wait', 'done'), transactionStatus: context.transactionStatus };
  }
}

describe('the Interceptor seam', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;

  before(async () => {
    upstream = await startTestPostgres();
    proxy = await startTestProxy({ upstreamPort: upstream.port, interceptor: new TestInterceptor() });
  });
  after(async () => {
    await proxy.close();
    await upstream.stop();
  });

  it('answers a claimed query with its synthetic result and notices, and relays the rest', async () => {
    const result = await psql(proxy.url(), ['-c', "SELECT echo('hi')", '-c', 'SELECT 40 + 2']);
    assert.equal(result.stdout, 'hi (status I)\n42\n');
    assert.match(result.stderr, /NOTICE: {2}echoing hi/);
  });

  it('reports the upstream transaction status inside a transaction block', async () => {
    const result = await psql(proxy.url(), [], { input: "BEGIN;\nCREATE TABLE t (x int);\nSELECT echo('in');\nCOMMIT;\nSELECT count(*) FROM t;\n" });
    assert.equal(result.stdout, 'in (status T)\n0\n', result.stderr);
  });

  it('turns a handler failure into an ERROR and keeps the session', async () => {
    const result = await psql(proxy.url(), [], { input: 'SELECT fail();\nSELECT 7;\n' });
    assert.match(result.stderr, /ERROR: {2}pgml-proxy: the handler failed on purpose/);
    assert.equal(result.stdout, '7\n');
  });

  it('cancels a running claimed statement on CancelRequest (psql SIGINT)', async () => {
    const child = spawn('psql', [proxy.url(), '-X', '-c', 'SELECT wait()'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('close', resolve));
    assert.match(stderr, /ERROR: {2}canceling statement due to user request/);
    assert.ok(proxy.logs.some((line) => line.includes('"cancel.intercepted"')));
  });

  it('keeps responses in order when a claimed query follows relayed ones in one write', async () => {
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    const seen: string[] = [];
    let ready = 0;
    const done = new Promise<void>((resolve) => {
      void parse(socket, (message) => {
        if (message.name === 'dataRow') seen.push(String((message as unknown as { fields: string[] }).fields[0]));
        if (message.name === 'readyForQuery' && ++ready === 4) resolve();
      });
    });
    socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
    socket.write(Buffer.concat([serialize.query('SELECT 1 FROM pg_sleep(0.2)'), serialize.query("SELECT echo('second')"), serialize.query('SELECT 3')]));
    await done;
    socket.end(serialize.end());
    assert.deepEqual(seen, ['1', 'second (status I)', '3']);
  });
});
