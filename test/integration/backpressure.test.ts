import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { serialize } from 'pg-protocol';
import { proxiedPostgres, type TestProxy } from '../helpers/proxy.js';

const ROWS = 100_000;
const ROW_BYTES = 2000; // ~200 MB of DataRows in all

describe('backpressure', () => {
  let proxy: TestProxy;

  proxiedPostgres((_upstream, p) => {
    proxy = p;
  });

  it('stops reading the upstream while a client does not read, and loses nothing', async () => {
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
    socket.write(serialize.query(`SELECT repeat('x', ${ROW_BYTES}) FROM generate_series(1, ${ROWS})`));
    // Read nothing for a while: a proxy without backpressure would pull all ~200 MB into memory.
    socket.pause();
    const baseline = process.memoryUsage().arrayBuffers;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const grown = process.memoryUsage().arrayBuffers - baseline;
    assert.ok(grown < 32 * 1024 * 1024, `proxy buffered ${Math.round(grown / 1048576)} MB for a paused client`);

    // Now read everything: every row arrives, then CommandComplete "SELECT 100000".
    let received = 0;
    let tail = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        // Keep a few bytes of the previous chunk: the tag may straddle two reads.
        const window = Buffer.concat([tail, chunk]);
        if (window.includes(`SELECT ${ROWS}\0`)) resolve();
        tail = window.subarray(Math.max(0, window.length - 32));
      });
    });
    socket.resume();
    await done;
    socket.end(serialize.end());
    assert.ok(received > ROWS * ROW_BYTES, `received ${received} bytes`);
  });
});
