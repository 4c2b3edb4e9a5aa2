import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastRelayAvailable } from '../../proxy/fast-path.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestProxy } from '../helpers/proxy.js';
import { dataRowValues, errorFields, queryMessage, WireClient, type BackendMessage } from '../helpers/wire.js';

const VERSION = '2.10.0 (pgml-proxy 9.9.9-test, engine backend: test-backend)';

/**
 * The native pass-through relay (proxy/fast-path.ts) takes plain simple Queries and hands the
 * session back to the JS relay for anything else. These tests cross that line in every way
 * the relay knows of; they pass on the JS relay alone too (when the addon is not built).
 */
describe('native fast relay and its hand-over to the JS relay', () => {
  let proxy: TestProxy;
  pgmlStack((stack) => {
    ({ proxy } = stack);
  });

  /** Sends the statements as separate Query messages in one write; returns each one's messages. */
  async function pipeline(wire: WireClient, statements: readonly string[]): Promise<BackendMessage[][]> {
    wire.write(Buffer.concat(statements.map(queryMessage)));
    const answers: BackendMessage[][] = [];
    while (answers.length < statements.length) answers.push(await wire.until('Z'));
    return answers;
  }

  const values = (answer: readonly BackendMessage[]): (string | null)[][] => answer.filter((m) => m.type === 'D').map(dataRowValues);
  const status = (answer: readonly BackendMessage[]): string => answer.at(-1)?.bytes.subarray(5, 6).toString('latin1') ?? '';

  /** How many Queries the proxy said it relayed natively when the session closed. */
  async function nativeQueries(wire: WireClient): Promise<number> {
    const before = proxy.logs.length;
    wire.write(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
    await wire.waitClosed();
    for (let waited = 0; waited < 2000 && !proxy.logs.slice(before).some((l) => l.includes('session.closed')); waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const line = proxy.logs.slice(before).find((l) => l.includes('session.closed')) ?? '{}';
    const count: unknown = (JSON.parse(line) as Record<string, unknown>).native_queries;
    return typeof count === 'number' ? count : 0;
  }

  it('relays a pipeline of plain queries, answers a pgml call in it, and carries on', async () => {
    const { wire } = await WireClient.login(proxy.port);
    const plain = Array.from({ length: 50 }, (_, i) => `SELECT ${i}`);
    const answers = await pipeline(wire, [...plain, 'SELECT pgml.version()', 'SELECT 50', 'SELECT 51']);
    assert.deepEqual(answers.map(values), [...plain.map((_, i) => [[String(i)]]), [[VERSION]], [['50']], [['51']]]);
    assert.ok(answers.every((answer) => status(answer) === 'I'));
    // After the call the session goes back to the native relay for the next plain queries.
    for (let i = 0; i < 20; i++) assert.deepEqual(values(await pipeline(wire, [`SELECT ${i}`]).then((a) => a[0] ?? [])), [[String(i)]]);
    const count = await nativeQueries(wire);
    if (fastRelayAvailable) assert.ok(count >= 60, `only ${count} queries relayed natively`);
  });

  it('keeps the transaction status the native relay saw for the intercepted call and after errors', async () => {
    const { wire } = await WireClient.login(proxy.port);
    const answers = await pipeline(wire, ['BEGIN', 'SELECT 1', 'SELECT pgml.version()', 'SELECT 1/0', 'SELECT 2', 'ROLLBACK', 'SELECT 3']);
    assert.deepEqual(answers.map(status), ['T', 'T', 'T', 'E', 'E', 'I', 'I']);
    assert.equal(errorFields(answers[3]?.find((m) => m.type === 'E') ?? { type: 'E', bytes: Buffer.alloc(5) }).get('C'), '22012');
    assert.equal(errorFields(answers[4]?.find((m) => m.type === 'E') ?? { type: 'E', bytes: Buffer.alloc(5) }).get('C'), '25P02');
    assert.deepEqual(values(answers[6] ?? []), [['3']]);
    await nativeQueries(wire);
  });

  it('relays results and queries larger than its read buffer, and rows split across reads', async () => {
    const { wire } = await WireClient.login(proxy.port);
    const long = 'z'.repeat(150_000);
    const answers = await pipeline(wire, [
      "SELECT length(repeat('x', 200000)), repeat('x', 200000) = repeat('x', 200000)",
      `SELECT length('${long}')`,
      "SELECT count(*) FROM (SELECT g, repeat('y', 100) FROM generate_series(1, 5000) g) s",
      "SELECT g, repeat('y', 100) FROM generate_series(1, 5000) g",
      'SELECT 4',
    ]);
    assert.deepEqual(values(answers[0] ?? []), [['200000', 't']]);
    assert.deepEqual(values(answers[1] ?? []), [['150000']]);
    const rows = values(answers[3] ?? []);
    assert.equal(rows.length, 5000);
    assert.deepEqual(rows[4999], ['5000', 'y'.repeat(100)]);
    assert.deepEqual(values(answers[4] ?? []), [['4']]);
    const big = await pipeline(wire, ["SELECT repeat('w', 300000)"]);
    assert.equal(values(big[0] ?? [])[0]?.[0]?.length, 300_000);
    await nativeQueries(wire);
  });

  it('reassembles a query the client sends a few bytes at a time', async () => {
    const { wire } = await WireClient.login(proxy.port);
    wire.socket.setNoDelay(true);
    const bytes = Buffer.concat([queryMessage('SELECT 7'), queryMessage('SELECT 8')]);
    for (let at = 0; at < bytes.length; at += 3) {
      wire.write(bytes.subarray(at, at + 3));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.deepEqual(values(await wire.until('Z')), [['7']]);
    assert.deepEqual(values(await wire.until('Z')), [['8']]);
    await nativeQueries(wire);
  });
});
