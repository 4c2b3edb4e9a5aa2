import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parquetMetadata, parquetReadObjects, parquetSchema, type SchemaTree } from 'hyparquet';
import { startHubServer, type HubServer } from '../helpers/hub-server.js';
import { fixturePath } from '../helpers/paths.js';

const IMDB_TRAIN = '/datasets/stanfordnlp/imdb/resolve/refs%2Fconvert%2Fparquet/plain_text/train/0000.parquet';
const README = '/datasets/stanfordnlp/imdb/resolve/main/README.md';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
/** hyparquet wants a plain ArrayBuffer; a Buffer may be a view into a shared pool. */
const arrayBuffer = (bytes: Buffer): ArrayBuffer => new Uint8Array(bytes).buffer;
const gitOid = (bytes: Buffer): string => createHash('sha1').update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes])).digest('hex');

/** A GET with node:http, to see exactly which bytes arrived and whether the body completed. */
function rawGet(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined); // "aborted" after a cut connection; `complete` says it
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    }).on('error', reject);
  });
}

/** The Arrow-style type of a Parquet schema node, as pyarrow prints it. */
function describeType(node: SchemaTree): string {
  const { element, children } = node;
  if (element.converted_type === 'LIST') {
    const [list] = children;
    assert.equal(list?.element.repetition_type, 'REPEATED');
    assert.ok(list.children[0] !== undefined);
    return `list<${describeType(list.children[0])}>`;
  }
  if (children.length > 0) return `struct<${children.map((c) => `${c.element.name}: ${describeType(c)}`).join(', ')}>`;
  if (element.type === 'BYTE_ARRAY' && element.converted_type === 'UTF8') return 'string';
  const names: Record<string, string> = { INT32: 'int32', INT64: 'int64', FLOAT: 'float', BOOLEAN: 'bool' };
  return names[element.type ?? ''] ?? `?${element.type ?? ''}`;
}

describe('fake hub server', () => {
  let hub: HubServer;
  const get = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${hub.url}${path}`, { redirect: 'manual', ...init });
  const getJson = async (path: string): Promise<unknown> => {
    const response = await get(path);
    assert.equal(response.status, 200, path);
    return response.json();
  };
  const bytesOf = async (path: string): Promise<Buffer> => Buffer.from(await (await fetch(`${hub.url}${path}`)).arrayBuffer());

  before(async () => {
    hub = await startHubServer();
  });
  after(() => hub.close());

  it('listens on 127.0.0.1 and logs every request', async () => {
    assert.match(hub.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await get('/api/datasets/stanfordnlp/imdb?expand=sha');
    assert.equal(hub.requests.at(-1), 'GET /api/datasets/stanfordnlp/imdb?expand=sha');
  });

  it('answers dataset_info with a fixed commit per revision and the revision’s files', async () => {
    const main = (await getJson('/api/datasets/stanfordnlp/imdb')) as { id: string; sha: string; siblings: { rfilename: string }[] };
    assert.equal(main.id, 'stanfordnlp/imdb');
    assert.match(main.sha, /^[0-9a-f]{40}$/);
    assert.deepEqual(main.siblings.map((s) => s.rfilename), ['.gitattributes', 'README.md']);
    assert.deepEqual(await getJson('/api/datasets/stanfordnlp/imdb/revision/main'), main);
    const converted = (await getJson('/api/datasets/stanfordnlp/imdb/revision/refs%2Fconvert%2Fparquet')) as typeof main;
    assert.notEqual(converted.sha, main.sha);
    assert.ok(converted.siblings.some((s) => s.rfilename === 'plain_text/train/0000.parquet'));
    // The commit sha is itself a revision, as clients pin downloads to it.
    assert.deepEqual(await getJson(`/api/datasets/stanfordnlp/imdb/revision/${converted.sha}`), converted);
    const refs = (await getJson('/api/datasets/stanfordnlp/imdb/refs')) as { converts: { ref: string; targetCommit: string }[] };
    assert.deepEqual(refs.converts, [{ name: 'parquet', ref: 'refs/convert/parquet', targetCommit: converted.sha }]);
  });

  it('lists trees like the hub: recursive or one level, LFS files with their sha256', async () => {
    type Entry = { type: string; path: string; size: number; oid: string; lfs?: { oid: string; size: number; pointerSize: number } };
    const tree = (await getJson('/api/datasets/stanfordnlp/imdb/tree/refs%2Fconvert%2Fparquet?recursive=true')) as Entry[];
    const train = tree.find((e) => e.path === 'plain_text/train/0000.parquet');
    const bytes = await bytesOf(IMDB_TRAIN);
    assert.ok(train?.lfs !== undefined);
    assert.deepEqual({ ...train.lfs, pointerSize: 0 }, { oid: sha256(bytes), size: bytes.length, pointerSize: 0 });
    assert.ok(train.lfs.pointerSize > 100 && train.lfs.pointerSize < 200);
    assert.equal(train.size, bytes.length);
    assert.match(train.oid, /^[0-9a-f]{40}$/);
    assert.deepEqual(tree.filter((e) => e.type === 'directory').map((e) => e.path), ['plain_text', 'plain_text/test', 'plain_text/train', 'plain_text/unsupervised']);
    const gitattributes = tree.find((e) => e.path === '.gitattributes');
    assert.equal(gitattributes?.lfs, undefined, 'small text files are plain git blobs');
    // An unencoded revision and a folder: only that folder's children.
    const folder = (await getJson('/api/datasets/stanfordnlp/imdb/tree/refs/convert/parquet/plain_text/train')) as Entry[];
    assert.deepEqual(folder.map((e) => [e.type, e.path]), [['file', 'plain_text/train/0000.parquet']]);
    const reviews = (await getJson('/api/datasets/pgml-fixtures/reviews/tree/main/data?recursive=true')) as Entry[];
    assert.deepEqual(reviews.map((e) => e.path), ['data/test-00000-of-00001.parquet', 'data/train-00000-of-00001.parquet']);
  });

  it('lists the Parquet conversion and redirects a shard to its resolve URL', async () => {
    const listing = (await getJson('/api/datasets/FiscalNote/billsum/parquet')) as Record<string, Record<string, string[]>>;
    const base = `${hub.url}/api/datasets/FiscalNote/billsum/parquet/default`;
    assert.deepEqual(listing, {
      default: { ca_test: [`${base}/ca_test/0.parquet`], test: [`${base}/test/0.parquet`], train: [`${base}/train/0.parquet`, `${base}/train/1.parquet`] },
    });
    assert.deepEqual(await getJson('/api/datasets/FiscalNote/billsum/parquet/default/train'), [`${base}/train/0.parquet`, `${base}/train/1.parquet`]);
    const shard = await get('/api/datasets/FiscalNote/billsum/parquet/default/train/1.parquet');
    assert.equal(shard.status, 302);
    assert.equal(shard.headers.get('location'), `${hub.url}/datasets/FiscalNote/billsum/resolve/refs%2Fconvert%2Fparquet/default/train/0001.parquet`);
    const missing = await get('/api/datasets/pgml-fixtures/reviews/parquet');
    assert.equal(missing.status, 404, 'a dataset without a conversion');
    assert.equal(missing.headers.get('x-error-code'), 'RevisionNotFound');
  });

  it('serves files with ETag, X-Repo-Commit and Content-Length; HEAD has no body', async () => {
    const commit = ((await getJson('/api/datasets/stanfordnlp/imdb/revision/refs%2Fconvert%2Fparquet')) as { sha: string }).sha;
    const response = await get(IMDB_TRAIN);
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('etag'), `"${sha256(bytes)}"`);
    assert.equal(response.headers.get('x-linked-etag'), `"${sha256(bytes)}"`);
    assert.equal(response.headers.get('x-linked-size'), String(bytes.length));
    assert.equal(response.headers.get('x-repo-commit'), commit);
    assert.equal(response.headers.get('content-length'), String(bytes.length));
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    const head = await get(README, { method: 'HEAD' });
    const readme = readFileSync(fixturePath('hub', 'datasets', 'stanfordnlp', 'imdb', 'main', 'README.md'));
    assert.equal(head.headers.get('etag'), `"${gitOid(readme)}"`, 'a non-LFS file is named by its git blob oid');
    assert.equal(head.headers.get('content-length'), String(readme.length));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    assert.deepEqual(await bytesOf(`/datasets/stanfordnlp/imdb/resolve/${commit}/plain_text/train/0000.parquet`), bytes);
  });

  it('answers ranges with 206 and Content-Range, and 416 past the end', async () => {
    const whole = await bytesOf(IMDB_TRAIN);
    const from = await get(IMDB_TRAIN, { headers: { range: 'bytes=100-' } });
    assert.equal(from.status, 206);
    assert.equal(from.headers.get('content-range'), `bytes 100-${whole.length - 1}/${whole.length}`);
    assert.deepEqual(Buffer.from(await from.arrayBuffer()), whole.subarray(100));
    const slice = await get(IMDB_TRAIN, { headers: { range: 'bytes=4-7' } });
    assert.deepEqual(Buffer.from(await slice.arrayBuffer()), whole.subarray(4, 8));
    const suffix = await get(IMDB_TRAIN, { headers: { range: 'bytes=-8' } });
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), whole.subarray(-8), 'the footer, as a Parquet reader asks');
    const past = await get(IMDB_TRAIN, { headers: { range: `bytes=${whole.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${whole.length}`);
  });

  it('redirects legacy ids to the canonical repo with a relative 307', async () => {
    const api = await get('/api/datasets/imdb/revision/refs%2Fconvert%2Fparquet?x=1');
    assert.equal(api.status, 307);
    assert.equal(api.headers.get('location'), '/api/datasets/stanfordnlp/imdb/revision/refs%2Fconvert%2Fparquet?x=1');
    const file = await get('/datasets/squad_v2/resolve/refs%2Fconvert%2Fparquet/squad_v2/train/0000.parquet', { method: 'HEAD' });
    assert.equal(file.status, 307);
    assert.equal(file.headers.get('location'), '/datasets/rajpurkar/squad_v2/resolve/refs%2Fconvert%2Fparquet/squad_v2/train/0000.parquet');
    const followed = await fetch(`${hub.url}/api/datasets/kde4`);
    assert.equal(((await followed.json()) as { id: string }).id, 'Helsinki-NLP/kde4');
  });

  it('answers errors as the hub does: X-Error-Code and a JSON error', async () => {
    const cases: [string, number, string][] = [
      ['/api/datasets/nobody/nothing', 404, 'RepoNotFound'],
      ['/api/datasets/not-an-alias', 404, 'RepoNotFound'],
      ['/datasets/nobody/nothing/resolve/main/README.md', 404, 'RepoNotFound'],
      ['/api/datasets/stanfordnlp/imdb/revision/v9', 404, 'RevisionNotFound'],
      ['/datasets/stanfordnlp/imdb/resolve/v9/README.md', 404, 'RevisionNotFound'],
      ['/datasets/stanfordnlp/imdb/resolve/main/missing.txt', 404, 'EntryNotFound'],
      ['/api/datasets/stanfordnlp/imdb/tree/main/missing', 404, 'EntryNotFound'],
      ['/api/datasets/stanfordnlp/imdb/parquet/nope', 404, 'EntryNotFound'],
    ];
    for (const [path, status, code] of cases) {
      const response = await get(path);
      assert.equal(response.status, status, path);
      assert.equal(response.headers.get('x-error-code'), code, path);
      assert.equal(typeof ((await response.json()) as { error: unknown }).error, 'string', path);
    }
    assert.deepEqual(await (await get('/api/datasets/nobody/nothing')).json(), { error: 'Repository not found' });
  });

  it('drops the connection mid-download once, and a range resumes it', async () => {
    const whole = await bytesOf(IMDB_TRAIN);
    hub.failNext('plain_text/train/0000.parquet', 1000);
    const cut = await rawGet(`${hub.url}${IMDB_TRAIN}`);
    assert.equal(cut.status, 200);
    assert.equal(cut.headers['content-length'], String(whole.length));
    assert.equal(cut.complete, false);
    assert.deepEqual(cut.body, whole.subarray(0, 1000));
    const rest = await rawGet(`${hub.url}${IMDB_TRAIN}`, { range: `bytes=${cut.body.length}-` });
    assert.equal(rest.status, 206);
    assert.ok(rest.complete);
    assert.equal(sha256(Buffer.concat([cut.body, rest.body])), rest.headers.etag?.replaceAll('"', ''));
    assert.ok((await rawGet(`${hub.url}${IMDB_TRAIN}`)).complete, 'only the next download fails');
  });

  it('with a token, refuses requests without it and keeps it across a rename redirect', async () => {
    await using gated = await startHubServer({ token: 'hf_fixture' });
    const anonymous = await fetch(`${gated.url}${README}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('x-error-code'), 'GatedRepo');
    const wrong = await fetch(`${gated.url}${README}`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const allowed = await fetch(`${gated.url}/datasets/imdb/resolve/main/README.md`, { headers: { authorization: 'Bearer hf_fixture' } });
    assert.equal(allowed.status, 200);
    assert.deepEqual(gated.requests, [`GET ${README}`, `GET ${README}`, 'GET /datasets/imdb/resolve/main/README.md', `GET ${README}`]);
  });
});

describe('fixture datasets through the fake hub', () => {
  let hub: HubServer;
  before(async () => {
    hub = await startHubServer();
  });
  after(() => hub.close());

  /** Every shard of a dataset: the conversion's listing, or the data files of `main`. */
  async function shards(repo: string): Promise<Map<string, Buffer[]>> {
    const found = new Map<string, Buffer[]>();
    const listing = await fetch(`${hub.url}/api/datasets/${repo}/parquet`);
    const urls: [string, string][] =
      listing.status === 200
        ? Object.entries((await listing.json()) as Record<string, Record<string, string[]>>).flatMap(([config, splits]) =>
            Object.entries(splits).flatMap(([split, list]) => list.map((url): [string, string] => [`${config}/${split}`, url])),
          )
        : ((await (await fetch(`${hub.url}/api/datasets/${repo}/tree/main/data`)).json()) as { path: string }[]).map((e): [string, string] => [
            `default/${/data\/(\w+)-/.exec(e.path)?.[1] ?? ''}`,
            `${hub.url}/datasets/${repo}/resolve/main/${e.path}`,
          ]);
    for (const [key, url] of urls) found.set(key, [...(found.get(key) ?? []), Buffer.from(await (await fetch(url)).arrayBuffer())]);
    return found;
  }

  const expected: [string, string, Record<string, number[]>][] = [
    ['imdb', 'text: string, label: int64', { 'plain_text/test': [8], 'plain_text/train': [12], 'plain_text/unsupervised': [6] }],
    ['kde4', 'id: string, translation: struct<en: string, es: string>', { 'en-es/train': [20], 'en-fr/train': [5] }],
    ['squad_v2', 'id: string, title: string, context: string, question: string, answers: struct<text: list<string>, answer_start: list<int32>>', { 'squad_v2/train': [10], 'squad_v2/validation': [6] }],
    ['billsum', 'text: string, summary: string, title: string', { 'default/ca_test': [5], 'default/test': [4], 'default/train': [3, 3] }],
    ['pgml-fixtures/reviews', 'text: string, stars: int32, score: float, helpful: bool', { 'default/test': [4], 'default/train': [8] }],
  ];
  for (const [repo, schema, splits] of expected) {
    it(`${repo}: ${Object.keys(splits).join(', ')} with ${schema}`, async () => {
      const files = await shards(repo);
      const counts: Record<string, number[]> = {};
      for (const [key, buffers] of files) {
        counts[key] = [];
        for (const buffer of buffers) {
          const metadata = parquetMetadata(arrayBuffer(buffer));
          counts[key].push(Number(metadata.num_rows));
          const columns = parquetSchema(metadata).children;
          const want = key === 'en-fr/train' ? schema.replace('es: string', 'fr: string') : schema;
          assert.equal(columns.map((c) => `${c.element.name}: ${describeType(c)}`).join(', '), want);
          assert.ok(columns.every((c) => c.element.repetition_type === 'OPTIONAL'), 'pyarrow writes nullable columns');
        }
      }
      assert.deepEqual(counts, splits);
    });
  }

  it('streams imdb train as three row groups and carries the ClassLabel names', async () => {
    const [train] = (await shards('imdb')).get('plain_text/train') ?? [];
    assert.ok(train !== undefined);
    const file = arrayBuffer(train);
    const metadata = parquetMetadata(file);
    assert.deepEqual(metadata.row_groups.map((g) => Number(g.num_rows)), [5, 5, 2]);
    const hf = JSON.parse(metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface')?.value ?? '{}') as { info: { features: unknown } };
    assert.deepEqual(hf.info.features, { text: { dtype: 'string', _type: 'Value' }, label: { names: ['neg', 'pos'], _type: 'ClassLabel' } });
    const rows = await parquetReadObjects({ file });
    assert.deepEqual(rows.map((r) => r.label as bigint), [...Array<bigint>(6).fill(0n), ...Array<bigint>(6).fill(1n)]);
    const text = rows.map((r) => r.text as string).join('\n');
    for (const needle of ['\t', '\n', '\\', 'é', '京都', '😴']) assert.ok(text.includes(needle), `a review contains ${JSON.stringify(needle)}`);
  });

  it('stores squad answers as lists whose answer_start counts code points; some are empty', async () => {
    const files = [...(await shards('squad_v2')).values()].flat();
    const rows = (await Promise.all(files.map((b) => parquetReadObjects({ file: arrayBuffer(b) })))).flat();
    const answers = rows.map((r) => ({ context: r.context as string, ...(r.answers as { text: string[]; answer_start: number[] }) }));
    assert.ok(answers.some((a) => a.text.length === 0), 'unanswerable questions');
    assert.ok(answers.some((a) => a.text.length > 1), 'several annotators');
    for (const { context, text, answer_start } of answers) {
      text.forEach((answer, i) => assert.equal(Array.from(context).slice(answer_start[i], (answer_start[i] ?? 0) + Array.from(answer).length).join(''), answer));
    }
  });

  it('keeps reviews’ float32 rounding and nulls', async () => {
    const files = await shards('pgml-fixtures/reviews');
    const read = async (split: string): Promise<unknown[][]> => {
      const [b] = files.get(`default/${split}`) ?? [];
      assert.ok(b !== undefined);
      const rows = await parquetReadObjects({ file: arrayBuffer(b) });
      return rows.map((r) => [r.stars, r.score, r.helpful] as unknown[]);
    };
    assert.deepEqual(await read('test'), [[3, 0.625, false], [1, 0, true], [5, 0.9375, null], [4, null, true]]);
    assert.deepEqual((await read('train'))[6], [3, Math.fround(0.1), false], '0.1 is not a float32');
  });

  it('maps the legacy ids in aliases.json', () => {
    const aliases: unknown = JSON.parse(readFileSync(fixturePath('hub', 'aliases.json'), 'utf8'));
    assert.deepEqual(aliases, { imdb: 'stanfordnlp/imdb', kde4: 'Helsinki-NLP/kde4', squad_v2: 'rajpurkar/squad_v2', billsum: 'FiscalNote/billsum' });
  });
});
