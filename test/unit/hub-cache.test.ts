import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Hub, HubCache, HubError, hubOptionsFromEnv, repoFolderName, type RepoRef } from '../../engine/hub/index.js';

const SHA = 'a'.repeat(40);
const PARQUET_SHA = 'b'.repeat(40);
const imdb: RepoRef = { type: 'dataset', id: 'stanfordnlp/imdb' };
const bert: RepoRef = { type: 'model', id: 'google-bert/bert-base-uncased' };

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'hub-cache-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

describe('hubOptionsFromEnv', () => {
  it('defaults as huggingface_hub: huggingface.co, ~/.cache/huggingface/hub, anonymous, online', () => {
    const options = hubOptionsFromEnv({ HOME: scratch });
    assert.deepEqual(options, {
      endpoint: 'https://huggingface.co',
      token: null,
      cacheDir: path.join(scratch, '.cache', 'huggingface', 'hub'),
      offline: false,
      requestTimeoutMs: 10_000,
      downloadTimeoutMs: 10_000,
    });
  });

  it('finds the cache from HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then HF_HOME, then XDG_CACHE_HOME', () => {
    const base = { HOME: scratch };
    assert.equal(hubOptionsFromEnv({ ...base, HF_HUB_CACHE: '/c/hub', HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/h' }).cacheDir, '/c/hub');
    assert.equal(hubOptionsFromEnv({ ...base, HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/h' }).cacheDir, '/legacy');
    assert.equal(hubOptionsFromEnv({ ...base, HF_HOME: '/h', XDG_CACHE_HOME: '/x' }).cacheDir, '/h/hub');
    assert.equal(hubOptionsFromEnv({ ...base, XDG_CACHE_HOME: '/x' }).cacheDir, '/x/huggingface/hub');
    assert.equal(hubOptionsFromEnv({ ...base, HF_HOME: '~/hf' }).cacheDir, path.join(scratch, 'hf', 'hub'));
    assert.equal(hubOptionsFromEnv({ ...base, HF_HUB_CACHE: '' }).cacheDir, path.join(scratch, '.cache', 'huggingface', 'hub'));
  });

  it('takes HF_ENDPOINT without its trailing slash and the timeouts in seconds', () => {
    const options = hubOptionsFromEnv({ HOME: scratch, HF_ENDPOINT: 'http://127.0.0.1:8080/', HF_HUB_ETAG_TIMEOUT: '2', HF_HUB_DOWNLOAD_TIMEOUT: '0.5' });
    assert.equal(options.endpoint, 'http://127.0.0.1:8080');
    assert.equal(options.requestTimeoutMs, 2000);
    assert.equal(options.downloadTimeoutMs, 500);
    assert.throws(() => hubOptionsFromEnv({ HOME: scratch, HF_HUB_ETAG_TIMEOUT: 'soon' }), /HF_HUB_ETAG_TIMEOUT=soon is not a number of seconds/);
  });

  it('reads HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the token file of `huggingface-cli login`', async () => {
    const home = path.join(scratch, 'token-home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'token'), 'hf_fromfile\n');
    assert.equal(hubOptionsFromEnv({ HF_HOME: home, HF_TOKEN: ' hf_env ' }).token, 'hf_env');
    assert.equal(hubOptionsFromEnv({ HF_HOME: home, HUGGING_FACE_HUB_TOKEN: 'hf_legacy' }).token, 'hf_legacy');
    assert.equal(hubOptionsFromEnv({ HF_HOME: home, HF_TOKEN: '' }).token, 'hf_fromfile');
    await writeFile(path.join(scratch, 'elsewhere'), 'hf_path');
    assert.equal(hubOptionsFromEnv({ HF_HOME: home, HF_TOKEN_PATH: path.join(scratch, 'elsewhere') }).token, 'hf_path');
    assert.equal(hubOptionsFromEnv({ HF_HOME: path.join(scratch, 'nobody') }).token, null);
  });

  it('is offline for HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) = 1, ON, YES or TRUE in any case', () => {
    for (const value of ['1', 'true', 'TRUE', 'yes', 'On']) assert.equal(hubOptionsFromEnv({ HOME: scratch, HF_HUB_OFFLINE: value }).offline, true, value);
    for (const value of ['0', 'false', 'no', '']) assert.equal(hubOptionsFromEnv({ HOME: scratch, HF_HUB_OFFLINE: value }).offline, false, value);
    assert.equal(hubOptionsFromEnv({ HOME: scratch, TRANSFORMERS_OFFLINE: '1' }).offline, true);
  });
});

describe('HubCache layout', () => {
  it('names folders and files exactly as huggingface_hub', () => {
    const cache = new HubCache('/c');
    assert.equal(repoFolderName(bert), 'models--google-bert--bert-base-uncased');
    assert.equal(repoFolderName({ type: 'dataset', id: 'imdb' }), 'datasets--imdb');
    assert.equal(cache.blobPath(imdb, 'e1'), '/c/datasets--stanfordnlp--imdb/blobs/e1');
    assert.equal(cache.incompletePath(imdb, 'e1'), '/c/datasets--stanfordnlp--imdb/blobs/e1.incomplete');
    assert.equal(cache.refPath(imdb, 'main'), '/c/datasets--stanfordnlp--imdb/refs/main');
    assert.equal(cache.refPath(imdb, 'refs/convert/parquet'), '/c/datasets--stanfordnlp--imdb/refs/refs/convert/parquet');
    assert.equal(cache.pointerPath(imdb, SHA, 'plain_text/train/0000.parquet'), `/c/datasets--stanfordnlp--imdb/snapshots/${SHA}/plain_text/train/0000.parquet`);
    assert.equal(cache.noExistPath(bert, SHA, 'x/y.json'), `/c/models--google-bert--bert-base-uncased/.no_exist/${SHA}/x/y.json`);
    assert.equal(cache.lockPath(bert, 'e1'), '/c/.locks/models--google-bert--bert-base-uncased/e1.node-lock');
  });

  it('refuses ids, revisions and paths that would leave the cache', async () => {
    const hub = new Hub({ endpoint: 'http://127.0.0.1:9', token: null, cacheDir: scratch, offline: true });
    const cache = new HubCache('/c');
    assert.throws(() => cache.pointerPath(imdb, SHA, '../../etc/passwd'), TypeError);
    assert.throws(() => cache.pointerPath(imdb, SHA, '/etc/passwd'), TypeError);
    assert.throws(() => cache.refPath(imdb, 'refs/../../x'), TypeError);
    assert.throws(() => cache.blobPath(imdb, '../x'), TypeError);
    await assert.rejects(hub.download({ type: 'model', id: '../evil' }, 'config.json'), TypeError);
    await assert.rejects(hub.download({ type: 'model', id: 'a--b/c' }, 'config.json'), TypeError);
    await assert.rejects(hub.download({ type: 'model', id: 'org/name', revision: '../x' }, 'config.json'), TypeError);
  });

  it('records refs, nested for names with slashes, and reads them back (also with a trailing newline)', async () => {
    const cache = new HubCache(path.join(scratch, 'refs-cache'));
    assert.equal(await cache.readRef(imdb, 'main'), null);
    await cache.writeRef(imdb, 'main', SHA);
    await cache.writeRef(imdb, 'refs/convert/parquet', PARQUET_SHA);
    await cache.writeRef(imdb, SHA, SHA); // a commit needs no ref
    assert.equal(await readFile(cache.refPath(imdb, 'main'), 'utf8'), SHA);
    assert.equal(await cache.readRef(imdb, 'refs/convert/parquet'), PARQUET_SHA);
    await assert.rejects(lstat(cache.refPath(imdb, SHA)), { code: 'ENOENT' });
    await writeFile(cache.refPath(imdb, 'v1'), `${SHA}\n`);
    assert.equal(await cache.readRef(imdb, 'v1'), SHA);
  });

  it('links snapshot files to blobs with relative symlinks, or copies where symlinks are unavailable', async () => {
    const root = path.join(scratch, 'link-cache');
    const cache = new HubCache(root);
    await mkdir(path.dirname(cache.blobPath(bert, 'etag1')), { recursive: true });
    await writeFile(cache.blobPath(bert, 'etag1'), '{"hidden_size": 8}');
    const top = await cache.linkSnapshot(bert, SHA, 'config.json', 'etag1');
    const nested = await cache.linkSnapshot(bert, SHA, 'onnx/config.json', 'etag1');
    assert.equal(await readlink(top), '../../blobs/etag1');
    assert.equal(await readlink(nested), '../../../blobs/etag1');
    assert.equal(await readFile(nested, 'utf8'), '{"hidden_size": 8}');
    assert.equal(await cache.findFile(bert, SHA, 'onnx/config.json'), nested);

    const copying = new HubCache(root, false);
    const copy = await copying.linkSnapshot(bert, PARQUET_SHA, 'config.json', 'etag1');
    assert.equal((await lstat(copy)).isSymbolicLink(), false);
    assert.equal(await readFile(copy, 'utf8'), '{"hidden_size": 8}');
  });

  it('treats a snapshot link whose blob was deleted as absent', async () => {
    const cache = new HubCache(path.join(scratch, 'dangling-cache'));
    const pointer = cache.pointerPath(bert, SHA, 'vocab.txt');
    await mkdir(path.dirname(pointer), { recursive: true });
    await symlink('../../blobs/gone', pointer);
    assert.equal(await cache.findFile(bert, SHA, 'vocab.txt'), null);
    assert.deepEqual(await cache.listSnapshot(bert, SHA, ''), []);
  });
});

describe('a cache written by Python tools, read offline', () => {
  // What `huggingface_hub.snapshot_download` leaves behind, built by hand: refs without a newline,
  // relative symlinks into blobs/, a .no_exist marker, an unrelated Python lock file.
  let root: string;
  let hub: Hub;
  const csvEtag = 'c'.repeat(40);
  const parquetEtag = 'd'.repeat(64);
  const dataset: RepoRef = { type: 'dataset', id: 'org/mini' };
  before(async () => {
    root = path.join(scratch, 'python-cache');
    const repo = path.join(root, 'datasets--org--mini');
    await mkdir(path.join(repo, 'blobs'), { recursive: true });
    await writeFile(path.join(repo, 'blobs', csvEtag), 'text,label\nhi,1\n');
    await writeFile(path.join(repo, 'blobs', parquetEtag), 'PAR1...PAR1');
    await mkdir(path.join(repo, 'refs', 'refs', 'convert'), { recursive: true });
    await writeFile(path.join(repo, 'refs', 'main'), SHA);
    await writeFile(path.join(repo, 'refs', 'refs', 'convert', 'parquet'), PARQUET_SHA);
    await mkdir(path.join(repo, 'snapshots', SHA, 'data'), { recursive: true });
    await symlink(`../../../blobs/${csvEtag}`, path.join(repo, 'snapshots', SHA, 'data', 'train.csv'));
    await mkdir(path.join(repo, 'snapshots', PARQUET_SHA, 'default', 'train'), { recursive: true });
    await symlink(`../../../../blobs/${parquetEtag}`, path.join(repo, 'snapshots', PARQUET_SHA, 'default', 'train', '0000.parquet'));
    await mkdir(path.join(repo, '.no_exist', SHA), { recursive: true });
    await writeFile(path.join(repo, '.no_exist', SHA, 'README.md'), '');
    await mkdir(path.join(root, '.locks', 'datasets--org--mini'), { recursive: true });
    await writeFile(path.join(root, '.locks', 'datasets--org--mini', `${csvEtag}.lock`), '');
    // A closed port: any request would fail with 'network' instead of the expected answers.
    hub = new Hub({ endpoint: 'http://127.0.0.1:9', token: 'hf_secret', cacheDir: root, offline: true });
  });

  it('resolves revisions from refs/ and serves files from snapshots/', async () => {
    assert.deepEqual(await hub.resolveRevision(dataset), { id: 'org/mini', sha: SHA });
    assert.deepEqual(await hub.resolveRevision({ ...dataset, revision: 'refs/convert/parquet' }), { id: 'org/mini', sha: PARQUET_SHA });
    const csv = await hub.download(dataset, 'data/train.csv');
    assert.equal(csv, path.join(root, 'datasets--org--mini', 'snapshots', SHA, 'data', 'train.csv'));
    assert.equal(await readFile(csv, 'utf8'), 'text,label\nhi,1\n');
    const parquet = await hub.download({ ...dataset, revision: 'refs/convert/parquet' }, 'default/train/0000.parquet');
    assert.equal(await readFile(parquet, 'utf8'), 'PAR1...PAR1');
    assert.equal(await hub.download({ ...dataset, revision: SHA }, 'data/train.csv'), csv);
  });

  it('lists what the snapshot holds, under a folder or all of it', async () => {
    assert.deepEqual(await hub.listFiles(dataset), [{ path: 'data/train.csv', size: 16 }]);
    assert.deepEqual(await hub.listFiles({ ...dataset, revision: 'refs/convert/parquet' }, 'default/'), [{ path: 'default/train/0000.parquet', size: 11 }]);
  });

  it('says what is missing and how to get it, without the token', async () => {
    const missing = await hub.download(dataset, 'data/test.csv').catch((error: unknown) => error);
    assert.ok(missing instanceof HubError);
    assert.equal(missing.kind, 'offline-missing');
    assert.match(missing.message, /dataset org\/mini at revision main, file data\/test\.csv/);
    assert.match(missing.message, /HF_HUB_OFFLINE/);
    assert.match(missing.message, /run once online/);
    assert.ok(!missing.message.includes('hf_secret'));
    await assert.rejects(hub.download({ ...dataset, revision: 'v2' }, 'data/train.csv'), { kind: 'offline-missing', message: /revision v2/ });
    await assert.rejects(hub.listFiles(dataset, 'nothing'), { kind: 'offline-missing', message: /file nothing/ });
    await assert.rejects(hub.download({ type: 'model', id: 'org/mini' }, 'config.json'), { kind: 'offline-missing' });
  });

  it('knows from .no_exist/ that a file does not exist at that commit', async () => {
    await assert.rejects(hub.download(dataset, 'README.md'), { kind: 'entry-not-found', message: /file README\.md/ });
  });
});
