import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { byteLevelBpeTokenizerJson, loadTokenizer, wordPieceTokenizerJson, type Encoding, type Tokenizer } from '../../engine/tokenizers/index.js';

// Compiled to dist/test/unit, so the fixtures are three levels up from there.
const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');

interface TokenizerCase {
  readonly text: string;
  readonly input_ids: number[];
  readonly max_length?: number;
  readonly decoded?: string;
  readonly decoded_with_special?: string;
}
interface Golden {
  readonly inputs: {
    readonly texts?: string[];
    readonly questions?: string[];
    readonly contexts?: string[];
    readonly answers?: string[];
    readonly source_texts?: string[];
    readonly target_texts?: string[];
    readonly input_ids: number[][];
    readonly attention_mask: number[][];
    readonly token_type_ids?: number[][];
    readonly labels_tokenized?: number[][];
  };
  readonly eval: { readonly start_positions?: number[]; readonly end_positions?: number[] };
  readonly pair_case?: { readonly text: string[]; readonly text_pair: string[]; readonly input_ids: number[][]; readonly token_type_ids: number[][] };
  readonly tokenizer_cases: TokenizerCase[];
  readonly tokenizer_cases_target?: TokenizerCase[];
}

const FAST_FAMILIES = [
  'bert-sequence-classification',
  'distilbert-sequence-classification',
  'distilbert-question-answering',
  'roberta-sequence-classification',
  'roberta-question-answering',
  'bart-conditional-generation',
];
// Each fast family is checked as shipped and converted from its slow files; Marian only has the latter.
const VARIANTS: (readonly [string, 'tokenizer.json' | 'converted'])[] = [
  ...FAST_FAMILIES.flatMap((family) => [[family, 'tokenizer.json'] as const, [family, 'converted'] as const]),
  ['marian-mt', 'converted'],
];

function checkCases(tokenizer: Tokenizer, cases: readonly TokenizerCase[]): void {
  for (const c of cases) {
    const encoding = tokenizer.encode(c.text, undefined, c.max_length === undefined ? {} : { maxLength: c.max_length });
    assert.deepEqual(encoding.ids, c.input_ids, c.text);
    assert.deepEqual(encoding.attentionMask, c.input_ids.map(() => 1));
    if (c.decoded !== undefined) assert.equal(tokenizer.decode(encoding.ids, { skipSpecialTokens: true }), c.decoded, c.text);
    if (c.decoded_with_special !== undefined) assert.equal(tokenizer.decode(encoding.ids), c.decoded_with_special, c.text);
  }
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** padding=True as the goldens were made: right-pad every row to the longest. */
function padBatch(tokenizer: Tokenizer, rows: readonly Encoding[]): { ids: number[][]; mask: number[][]; typeIds: number[][] } {
  const width = Math.max(...rows.map((row) => row.ids.length));
  const pad = (values: readonly number[], fill: number): number[] => [...values, ...new Array<number>(width - values.length).fill(fill)];
  return {
    ids: rows.map((row) => pad(row.ids, tokenizer.padTokenId)),
    mask: rows.map((row) => pad(row.attentionMask, 0)),
    typeIds: rows.map((row) => pad(row.typeIds ?? [], 0)),
  };
}

function zip<A, B>(as: readonly A[] | undefined, bs: readonly B[] | undefined): [A, B][] {
  assert.ok(as !== undefined && bs !== undefined && as.length === bs.length);
  return as.map((a, k) => [a, bs[k] as B]);
}

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'engine-tokenizers-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** A copy of the folder without tokenizer.json, so loading goes through the conversion. */
async function slowCopy(family: string): Promise<string> {
  const folder = path.join(scratch, family);
  await cp(path.join(GOLDEN, family, 'safetensors'), folder, {
    recursive: true,
    filter: (source) => !/(tokenizer\.json|\.safetensors)$/.test(source),
  });
  return folder;
}

for (const [family, variant] of VARIANTS) {
  describe(`${family} (${variant})`, () => {
    let golden: Golden;
    let tokenizer: Tokenizer;
    before(async () => {
      golden = await readJson<Golden>(path.join(GOLDEN, family, 'golden.json'));
      const folder = variant === 'converted' ? await slowCopy(family) : path.join(GOLDEN, family, 'safetensors');
      tokenizer = await loadTokenizer(folder);
    });

    it('encodes and decodes every tokenizer case as the slow tokenizer did', () => {
      assert.equal(tokenizer.modelMaxLength, 128);
      checkCases(tokenizer, golden.tokenizer_cases);
      // Marian encodes text_target with target.spm; every other family uses one tokenizer for both.
      assert.equal(tokenizer.target === undefined, golden.tokenizer_cases_target === undefined);
      checkCases(tokenizer.target ?? tokenizer, golden.tokenizer_cases_target ?? []);
    });

    it('encodes the golden batch (padding to the longest, truncation on)', () => {
      const { inputs } = golden;
      const rows =
        inputs.questions !== undefined
          ? zip(inputs.questions, inputs.contexts).map(([q, c]) => tokenizer.encode(q, c, { truncation: 'longest_first' }))
          : (inputs.texts ?? inputs.source_texts ?? []).map((t) => tokenizer.encode(t, undefined, { truncation: 'longest_first' }));
      const batch = padBatch(tokenizer, rows);
      assert.deepEqual(batch.ids, inputs.input_ids);
      assert.deepEqual(batch.mask, inputs.attention_mask);
      if (inputs.token_type_ids !== undefined) assert.deepEqual(batch.typeIds, inputs.token_type_ids);
      if (inputs.labels_tokenized !== undefined) {
        const target = tokenizer.target ?? tokenizer;
        const targets = padBatch(target, (inputs.target_texts ?? []).map((t) => target.encode(t)));
        assert.deepEqual(targets.ids, inputs.labels_tokenized);
      }
    });

    // Only the goldens that have these cases get the tests (no skipped tests).
    if (family === 'bert-sequence-classification') it('encodes text pairs with type ids', () => {
      const pairCase = golden.pair_case;
      assert.ok(pairCase !== undefined, 'the BERT golden has a pair case');
      const batch = padBatch(tokenizer, zip(pairCase.text, pairCase.text_pair).map(([a, b]) => tokenizer.encode(a, b)));
      assert.deepEqual(batch.ids, pairCase.input_ids);
      assert.deepEqual(batch.typeIds, pairCase.token_type_ids);
    });

    if (family.endsWith('-question-answering')) it('gives offsets that locate the answer span in the context', () => {
      const { questions, contexts, answers } = golden.inputs;
      assert.ok(questions !== undefined && contexts !== undefined && answers !== undefined, 'a question-answering golden has inputs');
      questions.forEach((question, k) => {
        const context = contexts[k] ?? '';
        const encoding = tokenizer.encode(question, context);
        const offsets = encoding.offsets;
        assert.ok(offsets !== undefined);
        assert.equal(offsets.length, encoding.ids.length);
        const start = offsets[golden.eval.start_positions?.[k] ?? -1];
        const end = offsets[golden.eval.end_positions?.[k] ?? -1];
        assert.ok(start !== undefined && end !== undefined);
        assert.equal(context.slice(start[0], end[1]), answers[k]);
        assert.deepEqual(offsets[0], [0, 0]);
      });
    });
  });
}

describe('conversion from the slow files', () => {
  it('produces the shipped tokenizer.json for WordPiece and byte-level BPE', async () => {
    for (const family of ['bert-sequence-classification', 'roberta-sequence-classification', 'bart-conditional-generation']) {
      const folder = path.join(GOLDEN, family, 'safetensors');
      const config = await readJson<Record<string, unknown>>(path.join(folder, 'tokenizer_config.json'));
      const shipped = await readJson<Record<string, unknown>>(path.join(folder, 'tokenizer.json'));
      const converted = family.startsWith('bert')
        ? wordPieceTokenizerJson(await readFile(path.join(folder, 'vocab.txt'), 'utf8'), config)
        : byteLevelBpeTokenizerJson(await readFile(path.join(folder, 'vocab.json'), 'utf8'), await readFile(path.join(folder, 'merges.txt'), 'utf8'), config);
      // BART's shipped file marks <mask> normalized:false where its tokenizer_config says true; the
      // flag is inert without a normalizer (byte-level BPE has none), so it is left out of the check.
      const withoutNormalizedFlag = (json: unknown): unknown => JSON.parse(JSON.stringify(json, (key, value: unknown) => (key === 'normalized' ? undefined : value)));
      assert.deepEqual(withoutNormalizedFlag(converted), withoutNormalizedFlag(shipped), family);
    }
  });
});

describe('truncation, special tokens and offsets', () => {
  let bert: Tokenizer;
  let roberta: Tokenizer;
  before(async () => {
    bert = await loadTokenizer(path.join(GOLDEN, 'bert-sequence-classification', 'safetensors'));
    roberta = await loadTokenizer(path.join(GOLDEN, 'roberta-question-answering', 'safetensors'));
  });

  it('longest_first trims the longer segment first, then both', () => {
    const question = bert.encode('where is it', undefined, { addSpecialTokens: false }).ids;
    const context = bert.encode('the cat sleeps on the sofa every afternoon', undefined, { addSpecialTokens: false }).ids;
    const full = bert.encode('where is it', 'the cat sleeps on the sofa every afternoon');
    assert.equal(full.ids.length, question.length + context.length + 3);
    const cut = bert.encode('where is it', 'the cat sleeps on the sofa every afternoon', { maxLength: 10 });
    assert.deepEqual(cut.ids, [2, ...question, 3, ...context.slice(0, 10 - 3 - question.length), 3]);
    const tight = bert.encode('where is it', 'the cat sleeps on the sofa every afternoon', { maxLength: 5 });
    assert.equal(tight.ids.length, 5);
    assert.deepEqual(tight.typeIds, [0, 0, 0, 1, 1]);
  });

  it('only_second keeps the question whole and refuses when it cannot', () => {
    const cut = roberta.encode('Where does the cat sleep?', 'The cat sleeps on the sofa every afternoon.', { maxLength: 16, truncation: 'only_second' });
    const question = roberta.encode('Where does the cat sleep?', undefined, { addSpecialTokens: false }).ids;
    assert.equal(cut.ids.length, 16);
    assert.deepEqual(cut.ids.slice(0, question.length + 3), [0, ...question, 2, 2]);
    assert.throws(() => roberta.encode('Where does the cat sleep?', 'The cat.', { maxLength: 4, truncation: 'only_second' }), RangeError);
  });

  it('exposes pad, special ids and byte-level offsets of a multi-byte text', () => {
    assert.equal(roberta.padTokenId, 1);
    assert.deepEqual([...roberta.specialTokenIds].sort((a, b) => a - b), [0, 1, 2, 3, 700]);
    assert.equal(bert.padTokenId, 0);
    const text = 'Emoji 🙂 and café';
    const encoding = roberta.encode(text, undefined, { addSpecialTokens: false });
    assert.ok(encoding.offsets !== undefined);
    const pieces = encoding.offsets.map(([s, e]) => text.slice(s, e));
    assert.ok(pieces.includes('🙂') && pieces.includes(' and'.trim()), JSON.stringify(pieces));
    const bertText = 'Naïve  CAFÉ!';
    const bertEncoding = bert.encode(bertText, undefined, { addSpecialTokens: false });
    assert.ok(bertEncoding.offsets !== undefined);
    assert.equal(bertEncoding.offsets.map(([s, e]) => bertText.slice(s, e)).join('|').replace(/\|/g, ''), 'NaïveCAFÉ!');
    assert.equal(bert.decode(bert.encode('the cat').ids, { skipSpecialTokens: true }), 'the cat');
  });
});
