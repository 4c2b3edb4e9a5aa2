import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import {
  encodeSafetensors, parsePytorchBin, parseSafetensors, readCheckpoint, readPytorchBin, readSafetensors, readSafetensorsIndex,
  type WeightTensor, type Weights,
} from '../../engine/weights/index.js';

// Compiled to dist/test/unit, so the fixtures are three levels up from there.
const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');
// safetensors stores tied weights once (README "Weights and configs"); the .bin keeps all copies.
const TIED_TO_SHARED = ['lm_head.weight', 'model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight'];

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'engine-weights-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

function bytesOf(tensor: WeightTensor | undefined): Buffer {
  assert.ok(tensor !== undefined);
  return Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

function tensor(name: string, shape: number[], values: number[], dtype: 'float32' | 'int32' = 'float32'): WeightTensor {
  return { name, shape, dtype, data: dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values) };
}

/** A hand-made safetensors file: header object as given, then raw data bytes. */
function safetensorsFile(header: Record<string, unknown>, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.byteLength));
  return Buffer.concat([length, json, data]);
}

/** A minimal ZIP writer (local headers, central directory, EOCD), enough to build torch files. */
function zipFile(members: readonly { name: string; data: Uint8Array; deflate?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, deflate = false } of members) {
    const stored = deflate ? deflateRawSync(data) : Buffer.from(data);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(stored.byteLength, 18);
    local.writeUInt32LE(data.byteLength, 22);
    local.writeUInt16LE(nameBytes.byteLength, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(stored.byteLength, 20);
    central.writeUInt32LE(data.byteLength, 24);
    central.writeUInt16LE(nameBytes.byteLength, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, stored);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.byteLength + stored.byteLength;
  }
  const directory = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(directory.byteLength, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, eocd]);
}

// Pickle opcode emitters, protocol 2, as torch's _save writes them.
const op = {
  str: (s: string): Buffer => { const b = Buffer.from(s); const n = Buffer.alloc(5); n[0] = 0x58; n.writeUInt32LE(b.byteLength, 1); return Buffer.concat([n, b]); },
  int: (v: number): Buffer => { const b = Buffer.alloc(5); b[0] = 0x4a; b.writeInt32LE(v, 1); return b; },
  global: (module: string, name: string): Buffer => Buffer.from(`c${module}\n${name}\n`),
  ints: (values: readonly number[]): Buffer => Buffer.concat([Buffer.from('('), ...values.map(op.int), Buffer.from('t')]),
};

interface StoredView { name: string; storage: string; key: string; numel: number; offset: number; shape: number[]; stride: number[] }

function torchPickle(views: readonly StoredView[], asModule = false): Buffer {
  // asModule: an OrderedDict root and nn.Parameter values, as torch.save(module.state_dict(keep_vars=True)) writes.
  const root = asModule ? Buffer.concat([op.global('collections', 'OrderedDict'), Buffer.from(')R(')]) : Buffer.from('}(');
  const parts: Buffer[] = [Buffer.from([0x80, 0x02]), root];
  for (const v of views) {
    if (asModule) parts.push(op.str(v.name), op.global('torch._utils', '_rebuild_parameter'), Buffer.from('('));
    parts.push(...(asModule ? [] : [op.str(v.name)]), op.global('torch._utils', '_rebuild_tensor_v2'), Buffer.from('(('), op.str('storage'), op.global('torch', v.storage),
      op.str(v.key), op.str('cpu'), op.int(v.numel), Buffer.from('tQ'), op.int(v.offset), op.ints(v.shape), op.ints(v.stride),
      Buffer.from([0x89]), op.global('collections', 'OrderedDict'), Buffer.from(')RtR'));
    if (asModule) parts.push(Buffer.from([0x88]), op.global('collections', 'OrderedDict'), Buffer.from(')RtR'));
  }
  parts.push(Buffer.from('u.'));
  return Buffer.concat(parts);
}

function le(values: readonly number[], bytesPer: 2 | 8): Buffer {
  const out = Buffer.alloc(values.length * bytesPer);
  values.forEach((v, i) => (bytesPer === 2 ? out.writeUInt16LE(v, i * 2) : out.writeBigInt64LE(BigInt(v), i * 8)));
  return out;
}

describe('hf-golden checkpoints', async () => {
  const families = (await readdir(GOLDEN, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && entry.name !== 'corpus')
    .map((entry) => entry.name);

  it('has all seven families', () => assert.equal(families.length, 7));

  for (const family of families) {
    describe(family, () => {
      const safetensorsPath = path.join(GOLDEN, family, 'safetensors', 'model.safetensors');
      const binPath = path.join(GOLDEN, family, 'pytorch', 'pytorch_model.bin');
      let fromSafetensors: Weights;
      let fromBin: Weights;
      let config: Record<string, unknown>;
      before(async () => {
        fromSafetensors = await readSafetensors(safetensorsPath);
        fromBin = await readPytorchBin(binPath);
        config = JSON.parse(await readFile(path.join(GOLDEN, family, 'safetensors', 'config.json'), 'utf8')) as Record<string, unknown>;
      });

      it('both formats hold the same names, except the tied copies of the shared embedding', () => {
        const tied = fromSafetensors.has('model.shared.weight') ? TIED_TO_SHARED : [];
        for (const name of tied) assert.ok(fromBin.has(name), name);
        const binNames = [...fromBin.keys()].filter((name) => !tied.includes(name)).sort();
        assert.deepEqual(binNames, [...fromSafetensors.keys()].sort());
        for (const name of tied) assert.ok(bytesOf(fromBin.get(name)).equals(bytesOf(fromSafetensors.get('model.shared.weight'))), name);
      });

      it('both formats hold bit-identical float32 data with the same shapes', () => {
        for (const [name, expected] of fromSafetensors) {
          const actual = fromBin.get(name);
          assert.ok(actual !== undefined, name);
          assert.equal(actual.dtype, 'float32');
          assert.deepEqual(actual.shape, expected.shape, name);
          assert.ok(bytesOf(actual).equals(bytesOf(expected)), name);
        }
      });

      it('shapes agree with config.json and golden.json num_parameters', async () => {
        const hidden = Number(config.hidden_size ?? config.dim ?? config.d_model);
        const vocab = Number(config.vocab_size);
        const embeddings = [...fromSafetensors.values()].find((t) => /(word_embeddings|shared)\.weight$/.test(t.name));
        assert.deepEqual(embeddings?.shape, [vocab, hidden]);
        const positions = [...fromSafetensors.values()].filter((t) => /(position_embeddings|embed_positions)\.weight$/.test(t.name));
        // BART's learned positions carry two extra offset rows; Marian's sinusoidal tables are not saved.
        const offset = config.model_type === 'bart' ? 2 : 0;
        for (const t of positions) assert.deepEqual(t.shape, [Number(config.max_position_embeddings) + offset, hidden], t.name);
        const golden = JSON.parse(await readFile(path.join(GOLDEN, family, 'golden.json'), 'utf8')) as { num_parameters: number };
        const sinusoidal = config.model_type === 'marian' ? 2 * Number(config.max_position_embeddings) * hidden : 0;
        const parameters = [...fromSafetensors.values()].filter((t) => t.name !== 'final_logits_bias').reduce((n, t) => n + t.data.length, 0);
        assert.equal(parameters + sinusoidal, golden.num_parameters);
      });

      it('readCheckpoint picks the format present in each folder', async () => {
        const a = await readCheckpoint(path.dirname(safetensorsPath));
        const b = await readCheckpoint(path.dirname(binPath));
        assert.deepEqual([...a.keys()], [...fromSafetensors.keys()]);
        assert.deepEqual([...b.keys()], [...fromBin.keys()]);
      });

      it('encodeSafetensors reproduces the Python writer byte for byte', async () => {
        assert.ok(encodeSafetensors(fromSafetensors.values()).equals(await readFile(safetensorsPath)));
      });
    });
  }
});

describe('safetensors', () => {
  it('round-trips float32 and int32 exactly, NaN payloads and -0 included', () => {
    const odd = new Float32Array(new Uint32Array([0x7fc00001, 0x80000000, 0x7f800000, 0x00000001]).buffer);
    const tensors = [
      { name: 'odd', shape: [2, 2], dtype: 'float32', data: odd } as const,
      tensor('ids', [3], [-2147483648, 0, 2147483647], 'int32'),
      tensor('scalar', [], [0.1]),
      tensor('empty', [0, 4], []),
      tensor('__proto__', [1], [7]),
    ];
    const encoded = encodeSafetensors(tensors, { format: 'pt', note: 'x' });
    assert.equal(encoded.readBigUInt64LE(0) % 8n, 0n);
    const decoded = parseSafetensors(encoded, 'memory');
    for (const t of tensors) {
      const back = decoded.get(t.name);
      assert.equal(back?.dtype, t.dtype);
      assert.deepEqual(back.shape, t.shape);
      assert.ok(bytesOf(back).equals(bytesOf(t)), t.name);
    }
  });

  it('decodes F16 and BF16 to float32', () => {
    const half = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555, 0x8000];
    const bf16 = [0x3f80, 0xc040, 0x4049, 0x7f80, 0x0001];
    const file = safetensorsFile({
      h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] },
      b: { dtype: 'BF16', shape: [5], data_offsets: [14, 24] },
    }, Buffer.concat([le(half, 2), le(bf16, 2)]));
    const weights = parseSafetensors(file, 'half.safetensors');
    assert.deepEqual([...(weights.get('h')?.data ?? [])], [1, -2, 65504, 2 ** -24, Infinity, 0.333251953125, -0]);
    assert.deepEqual([...(weights.get('b')?.data ?? [])], [1, -3, 3.140625, Infinity, 2 ** -133]);
    assert.equal(weights.get('b')?.dtype, 'float32');
  });

  it('narrows I64 to int32 and refuses values that do not fit', () => {
    const ok = safetensorsFile({ i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, le([-5, 2147483647], 8));
    assert.deepEqual([...(parseSafetensors(ok, 'ok').get('i')?.data ?? [])], [-5, 2147483647]);
    const big = safetensorsFile({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, le([2 ** 31], 8));
    assert.throws(() => parseSafetensors(big, 'big.safetensors'), /big\.safetensors.*does not fit in int32/);
  });

  it('names the file when it is truncated or corrupt', async () => {
    const good = await readFile(path.join(GOLDEN, 'bert-sequence-classification', 'safetensors', 'model.safetensors'));
    const truncated = path.join(scratch, 'truncated.safetensors');
    await writeFile(truncated, good.subarray(0, good.byteLength - 100));
    await assert.rejects(readSafetensors(truncated), (error: Error) => error.message.startsWith(truncated) && /truncated/.test(error.message));
    await writeFile(truncated, good.subarray(0, 1000));
    await assert.rejects(readSafetensors(truncated), /truncated\.safetensors: safetensors header claims/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(1n << 40n);
    assert.throws(() => parseSafetensors(huge, 'huge'), /huge: safetensors header length .* over/);
    const overlap = safetensorsFile({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, Buffer.alloc(12));
    assert.throws(() => parseSafetensors(overlap, 'overlap'), /overlap: tensors a and b overlap/);
    const wrongSize = safetensorsFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8));
    assert.throws(() => parseSafetensors(wrongSize, 'sized'), /sized: tensor a spans 8 bytes but F32\[3\] needs 12/);
    assert.throws(() => parseSafetensors(safetensorsFile({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), 'f8'), /unsupported dtype/);
  });

  it('reads a sharded checkpoint through its index and rejects shard paths', async () => {
    const folder = await mkdtemp(path.join(scratch, 'sharded-'));
    await writeFile(path.join(folder, 'model-00001-of-00002.safetensors'), encodeSafetensors([tensor('a', [2], [1, 2])]));
    await writeFile(path.join(folder, 'model-00002-of-00002.safetensors'), encodeSafetensors([tensor('b', [1], [3], 'int32')]));
    const index = path.join(folder, 'model.safetensors.index.json');
    await writeFile(index, JSON.stringify({ metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }));
    const weights = await readCheckpoint(folder);
    assert.deepEqual([...weights.get('a')?.data ?? []], [1, 2]);
    assert.deepEqual([...weights.get('b')?.data ?? []], [3]);
    await writeFile(index, JSON.stringify({ weight_map: { a: '../model-00001-of-00002.safetensors' } }));
    await assert.rejects(readSafetensorsIndex(index), /names an invalid shard/);
    await writeFile(index, JSON.stringify({ weight_map: { c: 'model-00001-of-00002.safetensors' } }));
    await assert.rejects(readSafetensorsIndex(index), /c is mapped to model-00001-of-00002\.safetensors, which does not contain it/);
    await assert.rejects(readCheckpoint(scratch), /no checkpoint found/);
  });
});

describe('pytorch_model.bin', () => {
  it('refuses a pickle that references os.system', () => {
    const evil = Buffer.concat([Buffer.from([0x80, 0x02]), op.global('os', 'system'), op.str('touch /tmp/pwned'), Buffer.from([0x85]), Buffer.from('R.')]);
    const file = zipFile([{ name: 'archive/data.pkl', data: evil }]);
    assert.throws(() => parsePytorchBin(file, 'evil.bin'), /^Error: evil\.bin: archive\/data\.pkl: refusing to load: pickle references os\.system$/);
  });

  it('refuses calls to allowed-but-not-callable globals and unknown opcodes', () => {
    const callStorage = Buffer.concat([Buffer.from([0x80, 0x02]), op.global('torch', 'FloatStorage'), Buffer.from(')R.')]);
    assert.throws(() => parsePytorchBin(zipFile([{ name: 'a/data.pkl', data: callStorage }]), 'x.bin'), /refusing to call torch\.FloatStorage/);
    const inst = Buffer.from([0x80, 0x02, 0x69]); // INST would instantiate a class by name
    assert.throws(() => parsePytorchBin(zipFile([{ name: 'a/data.pkl', data: inst }]), 'x.bin'), /unsupported pickle opcode 0x69/);
  });

  it('honours storage offsets and strides, decodes half/bf16/long storages and inflates deflated members', () => {
    const f32 = Buffer.from(Float32Array.from([9, 0, 1, 2, 3, 4, 5]).buffer);
    const views: StoredView[] = [
      // A transposed 2x3 view starting at element 1: rows are storage columns.
      { name: 't', storage: 'FloatStorage', key: '0', numel: 7, offset: 1, shape: [3, 2], stride: [1, 3] },
      { name: 'same', storage: 'FloatStorage', key: '0', numel: 7, offset: 1, shape: [2, 3], stride: [3, 1] },
      { name: 'h', storage: 'HalfStorage', key: '1', numel: 2, offset: 0, shape: [2], stride: [1] },
      { name: 'b', storage: 'BFloat16Storage', key: '2', numel: 2, offset: 0, shape: [2], stride: [1] },
      { name: 'ids', storage: 'LongStorage', key: '3', numel: 3, offset: 0, shape: [3], stride: [1] },
    ];
    const file = zipFile([
      { name: 'm/data.pkl', data: torchPickle(views), deflate: true },
      { name: 'm/data/0', data: f32 },
      { name: 'm/data/1', data: le([0x3c00, 0xbc00], 2), deflate: true },
      { name: 'm/data/2', data: le([0x4049, 0xc040], 2) },
      { name: 'm/data/3', data: le([0, -1, 700], 8) },
    ]);
    const weights = parsePytorchBin(file, 'hand.bin');
    assert.deepEqual([...weights.keys()], ['t', 'same', 'h', 'b', 'ids']);
    assert.deepEqual([...(weights.get('t')?.data ?? [])], [0, 3, 1, 4, 2, 5]);
    assert.deepEqual([...(weights.get('same')?.data ?? [])], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual([...(weights.get('h')?.data ?? [])], [1, -1]);
    assert.deepEqual([...(weights.get('b')?.data ?? [])], [3.140625, -3]);
    assert.equal(weights.get('ids')?.dtype, 'int32');
    assert.deepEqual([...(weights.get('ids')?.data ?? [])], [0, -1, 700]);
  });

  it('reads an OrderedDict of nn.Parameter values', () => {
    const view: StoredView = { name: 'w', storage: 'FloatStorage', key: '0', numel: 2, offset: 0, shape: [1, 2], stride: [2, 1] };
    const file = zipFile([{ name: 'm/data.pkl', data: torchPickle([view], true) }, { name: 'm/data/0', data: Buffer.from(Float32Array.from([1.5, -2]).buffer) }]);
    const w = parsePytorchBin(file, 'module.bin').get('w');
    assert.deepEqual(w?.shape, [1, 2]);
    assert.deepEqual([...w.data], [1.5, -2]);
  });

  it('rejects views outside their storage, missing storages and truncated archives', async () => {
    const view: StoredView = { name: 'x', storage: 'FloatStorage', key: '0', numel: 2, offset: 1, shape: [2], stride: [1] };
    const outside = zipFile([{ name: 'm/data.pkl', data: torchPickle([view]) }, { name: 'm/data/0', data: Buffer.alloc(8) }]);
    assert.throws(() => parsePytorchBin(outside, 'o.bin'), /o\.bin: tensor x: view lies outside/);
    assert.throws(() => parsePytorchBin(zipFile([{ name: 'm/data.pkl', data: torchPickle([view]) }]), 'm.bin'), /m\.bin: has no member m\/data\/0/);
    const big = zipFile([{ name: 'm/data.pkl', data: torchPickle([view]) }, { name: 'm/byteorder', data: Buffer.from('big') }]);
    assert.throws(() => parsePytorchBin(big, 'be.bin'), /be\.bin: storages are big-endian/);
    const good = await readFile(path.join(GOLDEN, 'bert-sequence-classification', 'pytorch', 'pytorch_model.bin'));
    assert.throws(() => parsePytorchBin(good.subarray(0, 5000), 'cut.bin'), /cut\.bin: is not a ZIP archive/);
  });
});
