/**
 * The translation and summarization seed workflows verbatim through psql (fixture kde4 and
 * billsum from the local hub, tiny Marian and BART under the seed's model names), then
 * pgml.generate on new inputs, the stored metrics and files, and their bad inputs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { loadModelFromFolder, writeModelFiles } from '../../engine/models/save/index.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { generateTexts } from '../../engine/text2text/generate-texts.js';
import { loadTokenizer } from '../../engine/tokenizers/index.js';
import { useLocalHub } from '../helpers/local-hub.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';

const TRANSLATION = `SELECT pgml.load_dataset('kde4', kwargs => '{"lang1": "en", "lang2": "es"}');
CREATE OR REPLACE VIEW kde4_en_to_es AS
  SELECT translation->>'en' AS "en", translation->>'es' AS "es" FROM pgml.kde4 LIMIT 10;
SELECT pgml.tune('Translate English to Spanish', task => 'translation',
  relation_name => 'kde4_en_to_es', y_column_name => 'es',
  model_name => 'Helsinki-NLP/opus-mt-en-es',
  hyperparams => '{"learning_rate": 2e-5, "per_device_train_batch_size": 16,
                   "num_train_epochs": 1, "max_length": 128}');
`;

const SUMMARIZATION = `SELECT pgml.load_dataset('billsum', kwargs => '{"split": "ca_test"}');
CREATE OR REPLACE VIEW billsum_training_data
  AS SELECT title || '\\n' || text AS text, summary FROM pgml.billsum;
SELECT pgml.tune('Legal Summarization', task => 'summarization',
  relation_name => 'billsum_training_data', y_column_name => 'summary',
  model_name => 'sshleifer/distilbart-xsum-12-1',
  hyperparams => '{"max_input_length": 1024, "max_summary_length": 128}');
`;

const TEXT_METRICS = ['bleu', 'eval_loss', 'fit_time', 'rouge_bigram_f1', 'rouge_bigram_precision', 'rouge_bigram_recall', 'rouge_ngram_f1', 'rouge_ngram_precision', 'rouge_ngram_recall', 'score_time'];

describe('pgml.tune for translation and summarization, and pgml.generate', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  let client: pg.Client | undefined;
  const local = useLocalHub();
  before(async () => {
    await startRuntime();
  });
  pgmlStack(
    (stack) => {
      ({ upstream, proxy } = stack);
    },
    { hub: () => local.hub() },
  );

  async function connect(): Promise<pg.Client> {
    if (client === undefined) {
      client = new pg.Client({ connectionString: proxy.url() });
      await client.connect();
    }
    return client;
  }

  async function metricsOf(project: string): Promise<Record<string, number>> {
    const { rows } = await upstream.sql<{ metrics: Record<string, number> }>(
      `SELECT m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`, [project],
    );
    return rows[0]?.metrics ?? {};
  }

  it('runs the translation example verbatim and serves pgml.generate', async () => {
    const { stdout, stderr } = await psql(proxy.url(), ['-v', 'ON_ERROR_STOP=1'], { input: TRANSLATION });
    assert.match(stdout, /^\(pgml\.kde4,20\)$/m);
    assert.match(stdout, /^\("Translate English to Spanish",translation,transformers,t\)$/m);
    assert.match(stderr, /NOTICE: {2}TextPairDataset \{ num_rows: 10, num_train_rows: 7, num_test_rows: 3 \}/);
    assert.match(stderr, /NOTICE: {2}Deploying model id: \d+/);
    const metrics = await metricsOf('Translate English to Spanish');
    assert.deepEqual(Object.keys(metrics).sort(), TEXT_METRICS);
    assert.ok(metrics.bleu !== undefined && metrics.bleu >= 0 && metrics.bleu <= 100);

    const db = await connect();
    const one = (await db.query<{ t: string }>(`SELECT pgml.generate('Translate English to Spanish', 'The cat sleeps on the sofa.') AS t`)).rows[0]?.t;
    assert.equal(typeof one, 'string');
    const many = (await db.query<{ t: string[] }>(`SELECT pgml.generate('Translate English to Spanish', ARRAY['The cat sleeps on the sofa.', 'Open the file']) AS t`)).rows[0]?.t ?? [];
    assert.equal(many.length, 2);
    assert.equal(many[0], one, 'batched generation gives what one at a time gives');
    const short = (await db.query<{ t: string }>(`SELECT pgml.generate('Translate English to Spanish', 'Open the file', '{"max_new_tokens": 2, "num_beams": 1}') AS t`)).rows[0]?.t ?? '';

    // The stored files load in the engine and generate the same text.
    const files = await upstream.sql<{ path: string; data: Buffer }>(`SELECT path, data FROM pgml.files f JOIN pgml.deployed_models d ON d.id = f.model_id WHERE d.name = 'Translate English to Spanish' ORDER BY path, part`);
    const byName = new Map<string, Buffer>();
    for (const row of files.rows) byName.set(row.path, Buffer.concat([byName.get(row.path) ?? Buffer.alloc(0), row.data]));
    assert.deepEqual([...byName.keys()].sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'source.spm', 'special_tokens_map.json', 'target.spm', 'tokenizer_config.json', 'vocab.json']);
    const scratch = await mkdtemp(path.join(tmpdir(), 'pgml-seq2seq-files-'));
    try {
      await writeModelFiles(scratch, byName);
      const model = await loadModelFromFolder(scratch);
      assert.ok(model.kind === 'seq2seq');
      try {
        const parts = { model, tokenizer: await loadTokenizer(scratch) };
        assert.deepEqual(generateTexts(parts, ['The cat sleeps on the sofa.']), [one]);
        assert.deepEqual(generateTexts(parts, ['Open the file'], { maxNewTokens: 2, numBeams: 1 }), [short], 'the config reached the generation');
        assert.ok(parts.tokenizer.encode(short, undefined, { addSpecialTokens: false }).ids.length <= 2, `at most two new tokens: ${short}`);
      } finally {
        model.params.dispose();
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('runs the summarization example verbatim', async () => {
    const { stdout, stderr } = await psql(proxy.url(), ['-v', 'ON_ERROR_STOP=1'], { input: SUMMARIZATION });
    assert.match(stdout, /^\(pgml\."FiscalNote\/billsum",5\)$|^\(pgml\.billsum,5\)$/m);
    assert.match(stdout, /^\("Legal Summarization",summarization,transformers,t\)$/m);
    assert.match(stderr, /NOTICE: {2}TextPairDataset \{ num_rows: 5, num_train_rows: 4, num_test_rows: 1 \}/);
    assert.deepEqual(Object.keys(await metricsOf('Legal Summarization')).sort(), TEXT_METRICS);
    const db = await connect();
    const summary = (await db.query<{ t: string }>(`SELECT pgml.generate('Legal Summarization', 'The tenant shall pay the rent on the first day of every month.') AS t`)).rows[0]?.t;
    assert.equal(typeof summary, 'string');
  });

  it('reports bad input clearly and keeps the session', async () => {
    const db = await connect();
    const rejects = async (sql: string, code: string, message: RegExp): Promise<void> => {
      await assert.rejects(db.query(sql), (error: pg.DatabaseError) => {
        assert.equal(error.code, code, error.message);
        assert.match(`${error.message} ${error.hint ?? ''}`, message);
        return true;
      });
      assert.deepEqual((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    };
    await rejects(
      `SELECT pgml.tune('Bills', task => 'summarization', relation_name => 'pgml.billsum', y_column_name => 'summary', model_name => 'sshleifer/distilbart-xsum-12-1')`,
      '42P09', /several text columns besides the label: text, title.*create a view with just that column and the label/,
    );
    await rejects(`SELECT pgml.generate('Translate English to Spanish', 'hello', '{"temperature_x": 1}')`, '22023', /"temperature_x" is not a generation setting/);
    await rejects(`SELECT pgml.generate('Translate English to Spanish', 'hello', '{"do_sample": true}')`, '0A000', /do_sample is not supported/);
    await rejects(`SELECT pgml.generate('Translate English to Spanish', 'hello', '{"num_beams": 0}')`, '22023', /num_beams must be a whole number ≥ 1/);
    await db.query(`CREATE TABLE numbers AS SELECT 'x' || g AS input, g AS target FROM generate_series(1, 10) g`);
    await rejects(`SELECT pgml.tune('Numbers', task => 'translation', relation_name => 'numbers', y_column_name => 'target', model_name => 'Helsinki-NLP/opus-mt-en-es')`, '42804', /target column "target" of public\.numbers is integer; translation needs a text target/);
    await rejects(`SELECT pgml.predict('Translate English to Spanish', 'hello')`, '42809', /is a translation project; pgml\.predict serves text-classification projects.*Use pgml\.generate/);
    await db.end();
  });
});
