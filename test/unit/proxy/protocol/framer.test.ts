import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Framer } from '../../../../proxy/protocol/framer.js';
import { ProtocolViolation } from '../../../../proxy/protocol/violation.js';

interface Frame {
  readonly type: number;
  readonly hex: string;
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// Typed messages, written out by hand: Query "SELECT 1", Sync, Parse (unnamed, "SELECT $1", one
// parameter of type 23), Terminate.
const QUERY = hex('51 0000000d 53454c45435420 3100');
const SYNC = hex('53 00000004');
const PARSE = hex('50 00000015 00 53454c45435420243100 0001 00000017');
const TERMINATE = hex('58 00000004');
const TYPED_STREAM = Buffer.concat([QUERY, SYNC, PARSE, TERMINATE]);
const TYPED_FRAMES: Frame[] = [
  { type: 0x51, hex: QUERY.toString('hex') },
  { type: 0x53, hex: SYNC.toString('hex') },
  { type: 0x50, hex: PARSE.toString('hex') },
  { type: 0x58, hex: TERMINATE.toString('hex') },
];

// Untyped (startup mode): SSLRequest, GSSENCRequest, StartupMessage user=bob.
const SSL_REQUEST = hex('00000008 04d2162f');
const GSS_REQUEST = hex('00000008 04d21630');
const STARTUP = hex('00000012 00030000 7573657200 626f6200 00');
const UNTYPED_STREAM = Buffer.concat([SSL_REQUEST, GSS_REQUEST, STARTUP]);
const UNTYPED_FRAMES: Frame[] = [SSL_REQUEST, GSS_REQUEST, STARTUP].map((b) => ({ type: 0, hex: b.toString('hex') }));

function typed(maxLength = 1 << 20): Framer {
  return new Framer({ typed: true, maxLength });
}

function untyped(maxLength = 10000): Framer {
  return new Framer({ typed: false, maxLength });
}

/** Feeds the chunks in order and returns every frame, copied out of the framer's buffers. */
function frame(framer: Framer, chunks: readonly Buffer[]): Frame[] {
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    framer.push(chunk, (type, buf, start, end) => {
      frames.push({ type, hex: buf.toString('hex', start, end) });
      return true;
    });
  }
  return frames;
}

/** The stream cut at each of the given offsets. */
function cut(stream: Buffer, offsets: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...offsets, stream.length]) {
    chunks.push(stream.subarray(from, at));
    from = at;
  }
  return chunks;
}

const modes = [
  { name: 'typed', make: () => typed(), stream: TYPED_STREAM, frames: TYPED_FRAMES },
  { name: 'untyped (startup)', make: () => untyped(), stream: UNTYPED_STREAM, frames: UNTYPED_FRAMES },
];

describe('Framer', () => {
  for (const mode of modes) {
    describe(`${mode.name} stream`, () => {
      it('yields the golden frames from one chunk', () => {
        const framer = mode.make();
        assert.deepEqual(frame(framer, [mode.stream]), mode.frames);
        assert.equal(framer.buffered, 0);
      });

      it('yields the same frames when split at every byte boundary', () => {
        for (let i = 0; i <= mode.stream.length; i++) {
          const framer = mode.make();
          assert.deepEqual(frame(framer, cut(mode.stream, [i])), mode.frames, `split at ${i}`);
          assert.equal(framer.buffered, 0);
        }
      });

      it('yields the same frames when split at every pair of boundaries', () => {
        for (let i = 0; i <= mode.stream.length; i++) {
          for (let j = i; j <= mode.stream.length; j++) {
            assert.deepEqual(frame(mode.make(), cut(mode.stream, [i, j])), mode.frames, `split at ${i} and ${j}`);
          }
        }
      });

      it('yields the same frames when fed byte by byte', () => {
        const bytes = Array.from({ length: mode.stream.length }, (_, i) => mode.stream.subarray(i, i + 1));
        assert.deepEqual(frame(mode.make(), bytes), mode.frames);
      });
    });
  }

  it('a 6-byte message fed one byte at a time is delivered only when complete', () => {
    const framer = typed();
    const message = hex('5a 00000005 49');
    for (let i = 0; i < message.length - 1; i++) {
      assert.deepEqual(frame(framer, [message.subarray(i, i + 1)]), []);
      assert.equal(framer.buffered, i + 1);
    }
    assert.deepEqual(frame(framer, [message.subarray(5)]), [{ type: 0x5a, hex: message.toString('hex') }]);
    assert.equal(framer.buffered, 0);
  });

  describe('length checks', () => {
    it('rejects a header over the maximum before the body arrives', () => {
      const framer = typed(1024);
      const header = hex('51 00100000'); // Query claiming 1 MiB
      assert.throws(() => frame(framer, [header]), (error: unknown) => {
        assert.ok(error instanceof ProtocolViolation);
        assert.match(error.message, /1048576 exceeds the maximum of 1024 bytes/);
        return true;
      });
    });

    it('rejects a header over the maximum when the header itself is split', () => {
      const framer = typed(1024);
      assert.deepEqual(frame(framer, [hex('51 0010')]), []);
      assert.throws(() => frame(framer, [hex('0000')]), ProtocolViolation);
    });

    it('rejects an over-long startup packet header (length 10001)', () => {
      assert.throws(() => frame(untyped(), [hex('00002711')]), /exceeds the maximum of 10000/);
    });

    it('accepts a length exactly at the maximum', () => {
      const framer = typed(8);
      const message = hex('51 00000008 41424300');
      assert.deepEqual(frame(framer, [message]), [{ type: 0x51, hex: message.toString('hex') }]);
    });

    it('rejects a length below 4, and a negative length', () => {
      assert.throws(() => frame(typed(), [hex('51 00000003')]), /invalid message length 3/);
      assert.throws(() => frame(untyped(), [hex('00000000')]), /invalid message length 0/);
      assert.throws(() => frame(typed(), [hex('51 ffffffff')]), /invalid message length -1/);
    });
  });

  describe('stopping and draining', () => {
    it('stops after a handler returns false; drain() returns the rest exactly', () => {
      const framer = typed();
      const seen: number[] = [];
      framer.push(TYPED_STREAM, (type) => {
        seen.push(type);
        return type !== 0x53; // stop after Sync
      });
      assert.deepEqual(seen, [0x51, 0x53]);
      const rest = Buffer.concat([PARSE, TERMINATE]);
      assert.equal(framer.buffered, rest.length);
      assert.throws(() => framer.push(SYNC, () => true), /drain\(\) first/);
      assert.deepEqual(framer.drain(), rest);
      assert.equal(framer.buffered, 0);
      // Running again: the drained bytes frame normally.
      assert.deepEqual(frame(framer, [rest]), TYPED_FRAMES.slice(2));
    });

    it('stops on a message completed from pieces, keeping the rest of that chunk', () => {
      const framer = typed();
      const seen: number[] = [];
      const stopAtQuery = (type: number): boolean => {
        seen.push(type);
        return type !== 0x51;
      };
      framer.push(TYPED_STREAM.subarray(0, 3), stopAtQuery);
      assert.equal(framer.buffered, 3);
      framer.push(TYPED_STREAM.subarray(3), stopAtQuery);
      assert.deepEqual(seen, [0x51]);
      assert.deepEqual(framer.drain(), TYPED_STREAM.subarray(QUERY.length));
    });

    it('stopping on the last message of a chunk leaves nothing to drain', () => {
      const framer = typed();
      framer.push(QUERY, () => false);
      assert.equal(framer.buffered, 0);
      assert.equal(framer.drain().length, 0);
    });

    it('drain() hands over typed bytes that came with the startup packet', () => {
      // The session stops at the StartupMessage: what follows is typed, not a startup packet.
      const framer = untyped();
      const early = QUERY.subarray(0, 7);
      const seen: string[] = [];
      framer.push(Buffer.concat([STARTUP, early]), (_type, buf, start, end) => {
        seen.push(buf.toString('hex', start, end));
        return false;
      });
      assert.deepEqual(seen, [STARTUP.toString('hex')]);
      assert.equal(framer.buffered, early.length);
      assert.deepEqual(framer.drain(), early);
      const next = typed();
      assert.deepEqual(frame(next, [early, QUERY.subarray(7)]), [TYPED_FRAMES[0]]);
    });

    it('drain() without a stop returns a partial message and resets the framer', () => {
      const framer = typed();
      assert.deepEqual(frame(framer, [Buffer.concat([SYNC, QUERY.subarray(0, 9)])]), [TYPED_FRAMES[1]]);
      assert.equal(framer.buffered, 9);
      assert.deepEqual(framer.drain(), QUERY.subarray(0, 9));
      assert.equal(framer.buffered, 0);
      assert.deepEqual(frame(framer, [QUERY]), [TYPED_FRAMES[0]]);
    });
  });
});
