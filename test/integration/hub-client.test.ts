import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Hub, HubError, type HubOptions, type RepoRef } from '../../engine/hub/index.js';
import { startHubServer, type HubServer } from '../helpers/hub-server.js';
import { projectRoot } from '../helpers/paths.js';

const tiny: RepoRef = { type: 'dataset', id: 'org/tiny' };
const model: RepoRef = { type: 'model', id: 'org/tiny-model' };
const parquet: RepoRef = { ...tiny, revision: 'refs/convert/parquet' };
const big = randomBytes(3 * 1024 * 1024); // an LFS file, large enough to arrive in many chunks
const bigSha256 = createHash('sha256').update(big).digest('hex');
const TOKEN = 'hf_SECRETsecretSECRET';

let scratch: string;
let server: HubServer;
let closed: string; // an endpoint where nothing listens
let caches = 0;

/** A Hub on a fresh cache folder (or the given one), pointed at the fake hub. */
function hub(options: Partial<HubOptions> = {}): Hub {
  const cacheDir = path.join(scratch, `cache-${++caches}`);
  return new Hub({ endpoint: server.url, token: null, cacheDir, offline: false, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<HubError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof HubError, `expected a HubError, got ${inspect(error)}`);
  return error;
}

before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'hub-client-'));
  const files: Record<string, string | Buffer> = {
    'datasets/org/tiny/main/.gitattributes': '*.bin filter=lfs diff=lfs merge=lfs -text\n',
    'datasets/org/tiny/main/data/train.csv': 'text,label\ngood,1\nbad,0\n',
    'datasets/org/tiny/main/weights/big.bin': big,
    'datasets/org/tiny/refs%2Fconvert%2Fparquet/default/train/0000.parquet': 'PAR1 shard PAR1',
    'models/org/tiny-model/main/config.json': '{"model_type": "bert"}',
    'aliases.json': JSON.stringify({ tiny: 'org/tiny' }),
  };
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(scratch, 'root', file)), { recursive: true });
    await writeFile(path.join(scratch, 'root', file), content);
  }
  server = await startHubServer({ root: path.join(scratch, 'root') });
  const gone = await listen(() => undefined);
  await gone.close();
  closed = gone.url;
});
after(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('Hub against a local hub server', () => {
  it('downloads into the huggingface_hub layout, then serves the file from the cache', async () => {
    const h = hub();
    const progress: number[] = [];
    const file = await h.download(tiny, 'weights/big.bin', { onProgress: (bytes, total) => progress.push(bytes / total) });
    const { sha } = await h.resolveRevision(tiny);
    const repoDir = path.join(h.options.cacheDir, 'datasets--org--tiny');
    assert.equal(file, path.join(repoDir, 'snapshots', sha, 'weights', 'big.bin'));
    assert.equal(await readlink(file), `../../../blobs/${bigSha256}`);
    assert.ok((await readFile(file)).equals(big));
    assert.equal(await readFile(path.join(repoDir, 'refs', 'main'), 'utf8'), sha);
    assert.equal(progress.at(-1), 1);
    assert.deepEqual(await readdir(path.join(repoDir, 'blobs')), [bigSha256]);

    const seen = server.requests.length;
    assert.equal(await h.download(tiny, 'weights/big.bin'), file);
    assert.deepEqual(server.requests.slice(seen), ['GET /api/datasets/org/tiny/revision/main']);
    assert.equal(await h.download({ ...tiny, revision: sha }, 'weights/big.bin'), file);
    assert.equal(server.requests.length, seen + 1, 'a commit sha needs no request at all');
  });

  it('uses the model URL layout and names small files by their git oid', async () => {
    const h = hub();
    const seen = server.requests.length;
    const file = await h.download(model, 'config.json');
    assert.equal(await readFile(file, 'utf8'), '{"model_type": "bert"}');
    assert.ok(server.requests.slice(seen).includes('GET /org/tiny-model/resolve/main/config.json'));
    assert.match(await readlink(file), /^\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/);
  });

  it('lists files recursively, with refs/convert/parquet url-encoded and recorded as a nested ref', async () => {
    const h = hub();
    assert.deepEqual(await h.listFiles(tiny, 'data'), [{ path: 'data/train.csv', size: 24 }]);
    assert.deepEqual((await h.listFiles(tiny)).map((f) => f.path), ['.gitattributes', 'data/train.csv', 'weights/big.bin']);
    assert.deepEqual(await h.listFiles(parquet, 'default'), [{ path: 'default/train/0000.parquet', size: 15 }]);
    assert.ok(server.requests.includes('GET /api/datasets/org/tiny/tree/refs%2Fconvert%2Fparquet/default?recursive=true'));
    const { sha } = await h.resolveRevision(parquet);
    assert.equal(await readFile(path.join(h.options.cacheDir, 'datasets--org--tiny', 'refs', 'refs', 'convert', 'parquet'), 'utf8'), sha);
    assert.equal(await readFile(await h.download(parquet, 'default/train/0000.parquet'), 'utf8'), 'PAR1 shard PAR1');
  });

  it('resumes a download whose connection dropped', async () => {
    const h = hub();
    server.failNext('weights/big.bin', 1024 * 1024);
    const dropped = await rejection(h.download(tiny, 'weights/big.bin'));
    assert.equal(dropped.kind, 'network');
    assert.match(dropped.message, /stopped after \d+ of 3145728 bytes.*running it again resumes it/);
    const partial = path.join(h.options.cacheDir, 'datasets--org--tiny', 'blobs', `${bigSha256}.incomplete`);
    const kept = (await readFile(partial)).length;
    assert.ok(kept > 0 && kept <= 1024 * 1024, `kept ${kept} bytes`);
    const progress: number[] = [];
    const file = await h.download(tiny, 'weights/big.bin', { onProgress: (bytes) => progress.push(bytes) });
    assert.ok((await readFile(file)).equals(big));
    assert.ok((progress[0] ?? 0) > kept, 'the second attempt starts after the bytes kept');
    assert.equal(existsSync(partial), false);
  });

  it('sends HF_TOKEN and never shows it in an error', async () => {
    await using guarded = await startHubServer({ root: path.join(scratch, 'root'), token: TOKEN });
    const file = await hub({ endpoint: guarded.url, token: TOKEN }).download(tiny, 'data/train.csv');
    assert.equal(await readFile(file, 'utf8'), 'text,label\ngood,1\nbad,0\n');
    const anonymous = await rejection(hub({ endpoint: guarded.url }).download(tiny, 'data/train.csv'));
    assert.equal(anonymous.kind, 'unauthorized');
    assert.match(anonymous.message, /HF_TOKEN/);
    const wrongToken = 'hf_WRONGwrongWRONG';
    const wrong = await rejection(hub({ endpoint: guarded.url, token: wrongToken }).download(tiny, 'data/train.csv'));
    assert.equal(wrong.kind, 'unauthorized');
    const offline = await rejection(hub({ endpoint: closed, token: wrongToken }).download(tiny, 'data/train.csv'));
    assert.equal(offline.kind, 'network');
    for (const error of [wrong, offline]) assert.ok(!inspect(error, { depth: 10 }).includes(wrongToken), inspect(error));
    const logged = hub({ token: TOKEN });
    assert.ok(!inspect(logged, { depth: 10 }).includes(TOKEN) && !JSON.stringify(logged).includes(TOKEN));
  });

  it('maps hub 404s to repo, revision and entry not found, and remembers missing files', async () => {
    const h = hub();
    const repo = await rejection(h.download({ type: 'dataset', id: 'org/none' }, 'a.csv'));
    assert.equal(repo.kind, 'repo-not-found');
    assert.match(repo.message, /dataset org\/none/);
    assert.equal((await rejection(h.download({ ...tiny, revision: 'v9' }, 'a.csv'))).kind, 'revision-not-found');
    const entry = await rejection(h.download(tiny, 'data/missing.csv'));
    assert.equal(entry.kind, 'entry-not-found');
    assert.match(entry.message, /file data\/missing\.csv/);
    assert.equal((await rejection(h.listFiles(tiny, 'nowhere'))).kind, 'entry-not-found');
    const offline = new Hub({ ...h.options, offline: true });
    assert.equal((await rejection(offline.download(tiny, 'data/missing.csv'))).kind, 'entry-not-found');
  });

  it('follows the redirect of a renamed repository and caches under the id as given', async () => {
    const h = hub();
    assert.deepEqual(await h.resolveRevision({ type: 'dataset', id: 'tiny' }), await h.resolveRevision(tiny));
    assert.equal((await h.resolveRevision({ type: 'dataset', id: 'tiny' })).id, 'org/tiny');
    const file = await h.download({ type: 'dataset', id: 'tiny' }, 'data/train.csv');
    assert.ok(file.startsWith(path.join(h.options.cacheDir, 'datasets--tiny', 'snapshots')));
    assert.ok(server.requests.includes('GET /datasets/tiny/resolve/main/data/train.csv'));
  });

  it('offline, reads only the cache and never touches the network', async () => {
    const online = hub();
    const file = await online.download(tiny, 'data/train.csv');
    const seen = server.requests.length;
    const offline = new Hub({ ...online.options, offline: true });
    assert.equal(await offline.download(tiny, 'data/train.csv'), file);
    assert.deepEqual(await offline.listFiles(tiny), [{ path: 'data/train.csv', size: 24 }]);
    const missing = await rejection(offline.download(tiny, 'weights/big.bin'));
    assert.equal(missing.kind, 'offline-missing');
    assert.match(missing.message, /dataset org\/tiny at revision main, file weights\/big\.bin/);
    assert.equal(server.requests.length, seen);
    // With the hub unreachable but not declared offline, the last known commit's files still serve.
    const cut = new Hub({ ...online.options, endpoint: closed });
    assert.equal(await cut.download(tiny, 'data/train.csv'), file);
    const unreachable = await rejection(cut.download(tiny, 'weights/big.bin'));
    assert.equal(unreachable.kind, 'network');
    assert.match(unreachable.message, /ECONNREFUSED.*HF_ENDPOINT.*HF_HUB_OFFLINE=1/);
  });

  it('lets concurrent downloads of one file, in this process and in others, share one blob', async () => {
    const cacheDir = path.join(scratch, 'shared-cache');
    const child = (): Promise<string> => downloadInChild(cacheDir);
    const here = [hub({ cacheDir }), hub({ cacheDir }), hub({ cacheDir })].map((h) => h.download(tiny, 'weights/big.bin'));
    const paths = await Promise.all([...here, child(), child()]);
    const unique = [...new Set(paths)];
    assert.equal(unique.length, 1);
    assert.ok((await readFile(unique[0] ?? '')).equals(big));
    assert.deepEqual(await readdir(path.join(cacheDir, 'datasets--org--tiny', 'blobs')), [bigSha256]);
    assert.deepEqual(await readdir(path.join(cacheDir, '.locks', 'datasets--org--tiny')), []);
  });

  it('waits for a lock held by a live process and breaks one left by a dead process', async () => {
    const h = hub();
    const { sha } = await h.resolveRevision(tiny);
    const lockDir = path.join(h.options.cacheDir, '.locks', 'datasets--org--tiny');
    await mkdir(lockDir, { recursive: true });
    const lock = path.join(lockDir, `${bigSha256}.node-lock`);
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(lock, JSON.stringify({ pid: sleeper.pid, host: hostname() }));
      let done = false;
      const download = h.download({ ...tiny, revision: sha }, 'weights/big.bin').finally(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(done, false, 'waits while the owner lives');
      sleeper.kill();
      await new Promise((resolve) => sleeper.once('exit', resolve));
      assert.ok((await readFile(await download)).equals(big), 'then takes over the stale lock');
    } finally {
      sleeper.kill();
    }
  });
});

describe('Hub behind a CDN redirect', () => {
  // The hub answers a file with a 302 to another origin, carrying the file's metadata as huggingface.co does.
  const sha = 'c'.repeat(40);
  const seen: { url: string; authorization: string | undefined }[] = [];
  let hubUrl: string;
  let stop: () => Promise<void>;
  before(async () => {
    const cdn = await listen((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (req.url === '/stall') {
        res.writeHead(200, { 'content-length': big.length }).write(big.subarray(0, 1000)); // and never the rest
      } else {
        const body = req.url === '/corrupt' ? Buffer.from(big).fill(0, 0, 10) : big;
        res.writeHead(200, { etag: '"cdn-etag"', 'content-length': body.length }).end(body);
      }
    });
    const front = await listen((req, res) => {
      if (req.url?.startsWith('/hang/') === true) {
        // never answers
      } else if (req.url?.startsWith('/api/') === true) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'org/cdn', sha }));
      } else {
        const target = ['corrupt', 'stall'].find((name) => req.url?.includes(name) === true) ?? 'blob';
        const metadata = { 'x-repo-commit': sha, 'x-linked-etag': `"${bigSha256}"`, 'x-linked-size': String(big.length) };
        res.writeHead(302, { location: `${cdn.url}/${target}`, ...metadata }).end();
      }
    });
    hubUrl = front.url;
    stop = async () => Promise.all([cdn.close(), front.close()]).then(() => undefined);
  });
  after(() => stop());
  it('keeps the token from the other origin and names the blob by the hub\'s X-Linked-Etag', async () => {
    const h = hub({ endpoint: hubUrl, token: TOKEN });
    const file = await h.download({ type: 'model', id: 'org/cdn' }, 'model.bin');
    assert.ok((await readFile(file)).equals(big));
    assert.equal(await readlink(file), `../../blobs/${bigSha256}`);
    assert.deepEqual(seen.at(-1), { url: '/blob', authorization: undefined });
  });

  it('rejects bytes that do not match the sha256 and keeps nothing of them', async () => {
    const h = hub({ endpoint: hubUrl });
    const corrupt = await rejection(h.download({ type: 'model', id: 'org/cdn' }, 'corrupt.bin'));
    assert.equal(corrupt.kind, 'network');
    assert.match(corrupt.message, /sha256/);
    assert.deepEqual(await readdir(path.join(h.options.cacheDir, 'models--org--cdn', 'blobs')), []);
  });

  it('stops at once when the caller aborts, keeping the part received for later', async () => {
    const h = hub({ endpoint: hubUrl });
    const controller = new AbortController();
    let received = (): void => undefined;
    const started = new Promise<void>((resolve) => (received = resolve));
    const download = h.download({ type: 'model', id: 'org/cdn' }, 'stall.bin', { signal: controller.signal, onProgress: () => received() });
    await started;
    controller.abort();
    await assert.rejects(download, { name: 'AbortError' });
    assert.deepEqual(await readdir(path.join(h.options.cacheDir, 'models--org--cdn', 'blobs')), [`${bigSha256}.incomplete`]);
  });

  it('gives up on a hub that does not answer, and on a download that stalls', async () => {
    const silent = hub({ endpoint: `${hubUrl}/hang`, requestTimeoutMs: 200 });
    const error = await rejection(silent.resolveRevision({ type: 'model', id: 'org/cdn' }));
    assert.equal(error.kind, 'network');
    assert.match(error.message, /no data from 127\.0\.0\.1:\d+ for 0\.2 s/);
    const stalling = hub({ endpoint: hubUrl, downloadTimeoutMs: 200 });
    const stalled = await rejection(stalling.download({ type: 'model', id: 'org/cdn' }, 'stall.bin'));
    assert.match(stalled.message, /stalled: no data for 0\.2 s after 1000 of 3145728 bytes/);
  });
});

async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

/** Another process downloading the same file into the same cache. */
function downloadInChild(cacheDir: string): Promise<string> {
  const module = pathToFileURL(path.join(projectRoot, 'dist', 'engine', 'hub', 'index.js')).href;
  const script = `const { Hub } = await import(${JSON.stringify(module)});
    const hub = new Hub({ endpoint: ${JSON.stringify(server.url)}, token: null, cacheDir: ${JSON.stringify(cacheDir)}, offline: false });
    process.stdout.write(await hub.download({ type: 'dataset', id: 'org/tiny' }, 'weights/big.bin'));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${String(code)}`))));
  });
}
