/**
 * A model from the hub, end to end: the distilbert golden checkpoint served by the local hub
 * server as a token-protected repo, downloaded with Hub into a huggingface_hub cache, loaded and
 * run (golden logits); then with the server stopped, loaded again offline from that cache.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Hub, HubError, type HubOptions, type RepoRef } from '../../engine/hub/index.js';
import { disposeOutput, forward } from '../../engine/models/encoders/index.js';
import { loadModelFromFolder, type LoadedModel } from '../../engine/models/save/index.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { startHubServer, type HubServer } from '../helpers/hub-server.js';
import { fixturePath } from '../helpers/paths.js';

const GOLDEN = fixturePath('hf-golden', 'distilbert-sequence-classification');
const REPO: RepoRef = { type: 'model', id: 'org/tiny-distilbert', revision: 'main' };
const TOKEN = 'hf_tinyDistilbertToken';

interface Golden {
  inputs: { input_ids: number[][]; attention_mask: number[][] };
  eval: { logits: number[][] };
}

let scratch: string;
let server: HubServer;
let golden: Golden;

function hubOptions(overrides: Partial<HubOptions> = {}): HubOptions {
  return { endpoint: server.url, token: TOKEN, cacheDir: path.join(scratch, 'cache'), offline: false, ...overrides };
}

/** Every file of the repo, downloaded (or found in the cache); returns the snapshot folder. */
async function fetchAll(hub: Hub): Promise<string> {
  const files = await hub.listFiles(REPO);
  const local = await Promise.all(files.map((file) => hub.download(REPO, file.path)));
  const folders = new Set(local.map((file) => path.dirname(file)));
  assert.equal(folders.size, 1, 'all files sit at the root of one snapshot');
  const [folder = ''] = folders;
  return folder;
}

/** Load → forward → dispose; returns the logits as plain numbers. */
async function runModel(folder: string): Promise<number[]> {
  const model: LoadedModel = await loadModelFromFolder(folder);
  assert.ok(model.kind === 'encoder');
  const inputIds = tf.tensor2d(golden.inputs.input_ids, undefined, 'int32');
  const attentionMask = tf.tensor2d(golden.inputs.attention_mask, undefined, 'int32');
  const output = forward(model.params, model.config, { inputIds, attentionMask }, { training: false });
  assert.ok(output.kind === 'sequence-classification');
  const logits = [...(await output.logits.data())];
  disposeOutput(output);
  tf.dispose([inputIds, attentionMask]);
  model.params.dispose();
  return logits;
}

/** README tolerance for logits: abs ≤ 1e-4, or rel ≤ 1e-4 above 1. */
function assertGolden(logits: readonly number[]): void {
  const want = golden.eval.logits.flat();
  assert.equal(logits.length, want.length);
  want.forEach((w, i) => {
    const got = logits[i] ?? Number.NaN;
    assert.ok(Math.abs(got - w) <= 1e-4 * Math.max(1, Math.abs(w)), `logit ${i}: ${got} vs ${w}`);
  });
}

before(async () => {
  await startRuntime();
  golden = JSON.parse(await readFile(path.join(GOLDEN, 'golden.json'), 'utf8')) as Golden;
  scratch = await mkdtemp(path.join(tmpdir(), 'engine-hub-model-'));
  const repoDir = path.join(scratch, 'root', 'models', 'org', 'tiny-distilbert', 'main');
  await mkdir(repoDir, { recursive: true });
  await cp(path.join(GOLDEN, 'safetensors'), repoDir, { recursive: true });
  // As on huggingface.co: weights go through LFS, so the cache names their blob by sha256.
  await writeFile(path.join(repoDir, '.gitattributes'), '*.safetensors filter=lfs diff=lfs merge=lfs -text\n');
  server = await startHubServer({ root: path.join(scratch, 'root'), token: TOKEN });
});

after(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('a model repo from the hub', () => {
  let online: number[] = [];

  it('is refused without the token', async () => {
    const error = await new Hub(hubOptions({ token: null, cacheDir: path.join(scratch, 'anonymous') })).listFiles(REPO).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof HubError, 'a HubError');
    assert.equal(error.kind, 'unauthorized');
    assert.match(error.message, /HTTP 401/);
  });

  it('downloads every file with the token, loads, and gives the golden logits', async () => {
    const folder = await fetchAll(new Hub(hubOptions()));
    const names = (await readdir(folder)).sort();
    const fixture = [...(await readdir(path.join(GOLDEN, 'safetensors'))), '.gitattributes'].sort();
    assert.deepEqual(names, fixture);
    const weights = await readFile(path.join(GOLDEN, 'safetensors', 'model.safetensors'));
    assert.ok((await readFile(path.join(folder, 'model.safetensors'))).equals(weights));
    const blobs = await readdir(path.join(scratch, 'cache', 'models--org--tiny-distilbert', 'blobs'));
    assert.ok(blobs.includes(createHash('sha256').update(weights).digest('hex')), 'the LFS blob is named by its sha256');

    const baseline = tf.memory().numTensors;
    online = await runModel(folder);
    assertGolden(online);
    assert.equal(tf.memory().numTensors, baseline, 'load → run → dispose frees every tensor');
  });

  it('loads again offline from the cache after the server is gone, with the same logits', async () => {
    assert.ok(online.length > 0, 'the online test ran first');
    await server.close();
    const seen = server.requests.length;
    const folder = await fetchAll(new Hub(hubOptions({ offline: true, token: null })));
    const baseline = tf.memory().numTensors;
    assert.deepEqual(await runModel(folder), online);
    assert.equal(tf.memory().numTensors, baseline);
    assert.equal(server.requests.length, seen, 'offline never touched the network');
  });
});
