import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeAuthCode,
  decodeBackendKeyData,
  decodeFields,
  decodeReadyForQuery,
  decodeSASLMechanisms,
  encodeBackendKeyData,
  encodeErrorResponse,
  encodeNegotiateProtocolVersion,
  encodeParameterStatus,
  encodeReadyForQuery,
  encodeSASLMechanisms,
} from '../../../../proxy/protocol/backend.js';
import {
  decodeParse,
  decodeQuery,
  decodeSASLInitialResponse,
  decodeStartupPacket,
  encodeCancelRequest,
  encodeSSLRequest,
  encodeStartupMessage,
} from '../../../../proxy/protocol/frontend.js';
import { Reader } from '../../../../proxy/protocol/reader.js';
import { ProtocolViolation } from '../../../../proxy/protocol/violation.js';

/** Hex written out by hand from protocol-message-formats.html; spaces separate fields. */
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const whole = <T>(decode: (buf: Buffer, start: number, end: number) => T, buf: Buffer): T => decode(buf, 0, buf.length);
const KEY = hex('deadbeef');

describe('backend encoders (golden bytes)', () => {
  it('ErrorResponse: S, V, C, M fields, then D and H when given', () => {
    // 'E', length 31, S "FATAL", V "FATAL", C "08P01", M "bad", terminator.
    const plain = hex('45 0000001f 53 464154414c00 56 464154414c00 43 303850303100 4d 62616400 00');
    assert.deepEqual(encodeErrorResponse({ severity: 'FATAL', code: '08P01', message: 'bad' }), plain);
    const full = hex('45 00000025 53 464154414c00 56 464154414c00 43 303850303100 4d 62616400 44 6400 48 6800 00');
    assert.deepEqual(encodeErrorResponse({ severity: 'FATAL', code: '08P01', message: 'bad', detail: 'd', hint: 'h' }), full);
  });

  it('ReadyForQuery for each transaction status', () => {
    assert.deepEqual(encodeReadyForQuery('I'), hex('5a 00000005 49'));
    assert.deepEqual(encodeReadyForQuery('T'), hex('5a 00000005 54'));
    assert.deepEqual(encodeReadyForQuery('E'), hex('5a 00000005 45'));
  });

  it('BackendKeyData', () => {
    assert.deepEqual(encodeBackendKeyData({ processId: 0x01020304, secretKey: KEY }), hex('4b 0000000c 01020304 deadbeef'));
  });

  it('NegotiateProtocolVersion with and without unsupported options', () => {
    assert.deepEqual(encodeNegotiateProtocolVersion(0, ['_pq_.foo']), hex('76 00000015 00000000 00000001 5f70715f2e666f6f00'));
    assert.deepEqual(encodeNegotiateProtocolVersion(0, []), hex('76 0000000c 00000000 00000000'));
  });

  it('AuthenticationSASL with its mechanism list', () => {
    assert.deepEqual(encodeSASLMechanisms(['SCRAM-SHA-256']), hex('52 00000017 0000000a 5343 52414d2d5348412d32353600 00'));
    assert.deepEqual(encodeSASLMechanisms([]), hex('52 00000009 0000000a 00'));
  });

  it('ParameterStatus, including a multi-byte value', () => {
    assert.deepEqual(encodeParameterStatus('client_encoding', 'UTF8'), hex('53 00000019 636c69656e745f656e636f64696e6700 5554463800'));
    assert.deepEqual(encodeParameterStatus('a', 'é'), hex('53 00000009 6100 c3a900'));
  });
});

describe('frontend encoders (golden bytes)', () => {
  it('StartupMessage: protocol 3.0, parameters in order, terminator', () => {
    const parameters = new Map([
      ['user', 'bob'],
      ['database', 'db'],
    ]);
    assert.deepEqual(encodeStartupMessage(parameters), hex('0000001e 00030000 7573657200 626f6200 646174616261736500 646200 00'));
  });

  it('SSLRequest (1234.5679)', () => {
    assert.deepEqual(encodeSSLRequest(), hex('00000008 04d2162f'));
  });

  it('CancelRequest (1234.5678) with process id and secret', () => {
    assert.deepEqual(encodeCancelRequest(0x01020304, KEY), hex('00000010 04d2162e 01020304 deadbeef'));
  });
});

describe('decodeStartupPacket', () => {
  it('recognises SSLRequest, GSSENCRequest and CancelRequest', () => {
    assert.deepEqual(whole(decodeStartupPacket, encodeSSLRequest()), { kind: 'ssl-request' });
    assert.deepEqual(whole(decodeStartupPacket, hex('00000008 04d21630')), { kind: 'gssenc-request' });
    assert.deepEqual(whole(decodeStartupPacket, encodeCancelRequest(77, KEY)), { kind: 'cancel-request', processId: 77, secretKey: KEY });
    // Protocol 3.2 allows longer secrets.
    const long = Buffer.alloc(32, 7);
    assert.deepEqual(whole(decodeStartupPacket, encodeCancelRequest(5, long)), { kind: 'cancel-request', processId: 5, secretKey: long });
  });

  it('decodes a 3.0 StartupMessage with its parameters in order', () => {
    const parameters = new Map([
      ['user', 'bob'],
      ['database', 'db'],
      ['application_name', 'ünïcode'],
    ]);
    const packet = whole(decodeStartupPacket, encodeStartupMessage(parameters));
    assert.equal(packet.kind, 'startup'); // narrows the union
    assert.equal(packet.major, 3);
    assert.equal(packet.minor, 0);
    assert.deepEqual([...packet.parameters], [...parameters]);
  });

  it('reads the minor version and _pq_ options of a 3.2 startup', () => {
    const packet = whole(decodeStartupPacket, hex('0000001b 00030002 7573657200 6200 5f70715f2e666f6f00 7800 00'));
    assert.deepEqual(packet, { kind: 'startup', major: 3, minor: 2, parameters: new Map([['user', 'b'], ['_pq_.foo', 'x']]) });
  });

  it('reports protocol 2.0 without reading its fixed-size fields', () => {
    const packet = whole(decodeStartupPacket, Buffer.concat([hex('00000128 00020000'), Buffer.alloc(288)]));
    assert.deepEqual(packet, { kind: 'startup', major: 2, minor: 0, parameters: new Map() });
  });

  it('decodes within [start, end) of a larger buffer', () => {
    const buf = Buffer.concat([hex('ffff'), encodeSSLRequest(), hex('ffff')]);
    assert.deepEqual(decodeStartupPacket(buf, 2, 10), { kind: 'ssl-request' });
  });

  it('throws ProtocolViolation on truncated packets', () => {
    assert.throws(() => whole(decodeStartupPacket, hex('00000004')), ProtocolViolation); // no code
    assert.throws(() => whole(decodeStartupPacket, hex('0000000a 04d2162e 0102')), ProtocolViolation); // short pid
    // "user" "bob" and no terminating empty name.
    assert.throws(() => whole(decodeStartupPacket, hex('00000011 00030000 7573657200 626f6200')), /unterminated string/);
    // Value missing its NUL.
    assert.throws(() => whole(decodeStartupPacket, hex('00000010 00030000 7573657200 626f62')), ProtocolViolation);
  });
});

describe('frontend decoders', () => {
  it('decodeQuery returns the SQL text', () => {
    assert.equal(whole(decodeQuery, hex('51 0000000d 53454c4543542031 00')), 'SELECT 1');
    assert.equal(whole(decodeQuery, hex('51 00000005 00')), '');
  });

  it('decodeQuery does not read a NUL past the end of its message', () => {
    const unterminated = hex('51 00000007 414243');
    const next = hex('53 00000004 00');
    assert.throws(() => decodeQuery(Buffer.concat([unterminated, next]), 0, unterminated.length), /unterminated string/);
  });

  it('decodeParse returns name, query and unsigned parameter types', () => {
    const parse = hex('50 0000001f 733100 53454c4543542024312c202432 00 0002 00000017 ffffffff');
    assert.deepEqual(whole(decodeParse, parse), { statement: 's1', query: 'SELECT $1, $2', parameterTypes: [23, 0xffffffff] });
  });

  it('decodeParse throws when the parameter list is cut short', () => {
    assert.throws(() => whole(decodeParse, hex('50 00000014 00 53454c4543542031 00 0002 00000017')), ProtocolViolation);
  });

  it('decodeSASLInitialResponse with data, with none (-1), and malformed', () => {
    const data = Buffer.from('n,,n=,r=abc');
    const withData = hex(`70 00000021 5343 52414d2d5348412d32353600 0000000b ${data.toString('hex')}`);
    assert.deepEqual(whole(decodeSASLInitialResponse, withData), { mechanism: 'SCRAM-SHA-256', data });
    const none = hex('70 00000016 5343 52414d2d5348412d32353600 ffffffff');
    assert.deepEqual(whole(decodeSASLInitialResponse, none), { mechanism: 'SCRAM-SHA-256', data: null });
    assert.throws(() => whole(decodeSASLInitialResponse, hex('70 0000000c 4d00 00000001 41 42')), /trailing bytes/);
    assert.throws(() => whole(decodeSASLInitialResponse, hex('70 0000000c 4d00 00000009 41 42')), /shorter than its contents/);
    assert.throws(() => whole(decodeSASLInitialResponse, hex('70 0000000a 4d00 fffffffe')), /negative length/);
  });
});

describe('backend decoders', () => {
  it('decodeFields round-trips an ErrorResponse', () => {
    const bytes = encodeErrorResponse({ severity: 'ERROR', code: '42601', message: 'syntax', detail: 'here', hint: 'fix it' });
    const fields = whole(decodeFields, bytes);
    assert.deepEqual(
      [...fields],
      [['S', 'ERROR'], ['V', 'ERROR'], ['C', '42601'], ['M', 'syntax'], ['D', 'here'], ['H', 'fix it']],
    );
  });

  it('decodeFields throws without the terminating zero', () => {
    assert.throws(() => whole(decodeFields, hex('45 00000009 4d 41424300')), ProtocolViolation);
  });

  it('decodeReadyForQuery accepts I, T, E and rejects anything else', () => {
    for (const status of ['I', 'T', 'E'] as const) assert.equal(whole(decodeReadyForQuery, encodeReadyForQuery(status)), status);
    assert.throws(() => whole(decodeReadyForQuery, hex('5a 00000005 58')), /invalid transaction status "X"/);
    assert.throws(() => whole(decodeReadyForQuery, hex('5a 00000006 4900')), /must be 6 bytes/);
    assert.throws(() => whole(decodeReadyForQuery, hex('5a 00000004')), ProtocolViolation);
  });

  it('decodeBackendKeyData round-trips, and rejects a truncated key', () => {
    const key = { processId: 0x7ffffffe, secretKey: KEY };
    assert.deepEqual(whole(decodeBackendKeyData, encodeBackendKeyData(key)), key);
    assert.throws(() => whole(decodeBackendKeyData, hex('4b 00000006 0102')), ProtocolViolation);
  });

  it('decodeAuthCode and decodeSASLMechanisms read AuthenticationSASL', () => {
    const sasl = encodeSASLMechanisms(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    assert.equal(whole(decodeAuthCode, sasl), 10);
    assert.deepEqual(whole(decodeSASLMechanisms, sasl), ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    assert.throws(() => whole(decodeAuthCode, hex('52 00000006 0000')), ProtocolViolation);
  });
});

describe('Reader bounds', () => {
  it('every read is checked against the end, not the buffer length', () => {
    const buf = hex('01020304 05060708');
    const r = new Reader(buf, 0, 3);
    assert.equal(r.int16(), 0x0102);
    assert.equal(r.remaining, 1);
    assert.throws(() => r.int16(), ProtocolViolation);
    assert.throws(() => r.int32(), ProtocolViolation);
    assert.throws(() => r.bytes(2), ProtocolViolation);
    assert.equal(r.int8(), 3);
    assert.throws(() => r.int8(), ProtocolViolation);
    assert.deepEqual(r.rest(), Buffer.alloc(0));
  });

  it('rejects a negative byte count', () => {
    assert.throws(() => new Reader(hex('00')).bytes(-1), /negative length/);
  });
});
