// MarianTokenizer (transformers 4.44): Moses punctuation normalization, SentencePiece unigram
// segmentation with source.spm (target.spm for text_target), pieces mapped through the joint
// vocab.json (absent pieces become <unk>), and </s> appended.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mosesPunctNormalizer } from './moses.js';
import { parseSpmPieces, spmNormalize, UnigramModel } from './spm.js';
import { truncationPlan } from './template.js';
import { tokenContent, type DecodeOptions, type EncodeOptions, type Encoding, type Tokenizer, type TokenizerConfigJson } from './types.js';

interface MarianVocab {
  readonly ids: ReadonlyMap<string, number>;
  readonly pieces: ReadonlyMap<number, string>;
  readonly unkId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly special: ReadonlySet<number>;
}

/** transformers' clean_up_tokenization: the spaces a word-level detokenizer leaves before punctuation. */
function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** SentencePiece's DecodePieces: join, unescape '▁', drop the dummy-prefix space. */
function decodePieces(pieces: readonly string[]): string {
  return pieces.join('').replaceAll('\u2581', ' ').replace(/^ /, '');
}

class MarianTokenizer implements Tokenizer {
  readonly padTokenId: number;
  readonly specialTokenIds: ReadonlySet<number>;
  readonly modelMaxLength: number;
  readonly target: Tokenizer | undefined;

  constructor(
    private readonly model: UnigramModel,
    private readonly vocab: MarianVocab,
    private readonly normalize: (text: string) => string,
    private readonly cleanUp: boolean,
    modelMaxLength: number,
    target?: UnigramModel,
  ) {
    this.padTokenId = vocab.padId;
    this.specialTokenIds = vocab.special;
    this.modelMaxLength = modelMaxLength;
    this.target = target === undefined ? undefined : new MarianTokenizer(target, vocab, normalize, cleanUp, modelMaxLength);
  }

  // SentencePiece returns an unknown run as its surface text, and Marian looks every piece up in
  // the joint vocab.json, so a character unknown to this .spm may still have an id from the other.
  #ids(text: string): number[] {
    return this.model
      .encode(spmNormalize(this.normalize(text))).map(({ piece }) => this.vocab.ids.get(piece) ?? this.vocab.unkId);
  }

  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    const addSpecial = options.addSpecialTokens ?? true;
    let a = this.#ids(text);
    let b = pair === undefined ? undefined : this.#ids(pair);
    const strategy = options.truncation ?? (options.maxLength === undefined ? false : 'longest_first');
    if (strategy !== false) {
      // Marian adds one special token, </s>, after the (pair of) sequence(s).
      const budget = (options.maxLength ?? this.modelMaxLength) - (addSpecial ? 1 : 0);
      const [dropA, dropB] = truncationPlan(a.length, b?.length, budget, strategy);
      a = a.slice(0, a.length - dropA);
      b = b?.slice(0, b.length - dropB);
    }
    const ids = [...a, ...(b ?? []), ...(addSpecial ? [this.vocab.eosId] : [])];
    return { ids, attentionMask: ids.map(() => 1), typeIds: ids.map(() => 0) };
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    // Mirrors MarianTokenizer.convert_tokens_to_string: special tokens are emitted verbatim,
    // each followed by a space, and the pieces between them are decoded separately.
    let out = '';
    let run: string[] = [];
    for (const id of ids) {
      if (options.skipSpecialTokens === true && this.vocab.special.has(id)) continue;
      const piece = this.vocab.pieces.get(id) ?? '';
      if (this.vocab.special.has(id)) {
        out += decodePieces(run) + piece + ' ';
        run = [];
      } else {
        run.push(piece);
      }
    }
    out = (out + decodePieces(run)).trim();
    return this.cleanUp ? cleanUpTokenization(out) : out;
  }
}

async function spmModel(file: string): Promise<UnigramModel> {
  return new UnigramModel(parseSpmPieces(await readFile(file)));
}

/** A Marian folder: source.spm, target.spm, vocab.json and tokenizer_config.json (separate_vocabs=false). */
export async function loadMarianTokenizer(folder: string, config: TokenizerConfigJson): Promise<Tokenizer> {
  if (config['separate_vocabs'] === true) throw new Error(`${folder}: Marian with separate vocabularies is not supported`);
  const ids = new Map(Object.entries(JSON.parse(await readFile(path.join(folder, 'vocab.json'), 'utf8')) as Record<string, number>));
  const idOf = (token: string | undefined, fallback: string): number => {
    const id = ids.get(token ?? fallback);
    if (id === undefined) throw new Error(`${folder}: ${token ?? fallback} is not in vocab.json`);
    return id;
  };
  const unkId = idOf(tokenContent(config.unk_token), '<unk>');
  const eosId = idOf(tokenContent(config.eos_token), '</s>');
  const padId = idOf(tokenContent(config.pad_token), '<pad>');
  const added = Object.entries(config.added_tokens_decoder ?? {}).filter(([, token]) => token.special);
  const special = new Set([unkId, eosId, padId, ...added.map(([id]) => Number(id))]);
  const vocab: MarianVocab = { ids, pieces: new Map([...ids].map(([piece, id]) => [id, piece])), unkId, eosId, padId, special };
  const [source, target] = await Promise.all([spmModel(path.join(folder, 'source.spm')), spmModel(path.join(folder, 'target.spm'))]);
  const lang = typeof config['source_lang'] === 'string' ? config['source_lang'] : 'en';
  const max = config.model_max_length;
  return new MarianTokenizer(
    source,
    vocab,
    mosesPunctNormalizer(lang),
    config['clean_up_tokenization_spaces'] !== false,
    typeof max === 'number' && max < Number.MAX_SAFE_INTEGER ? max : Number.POSITIVE_INFINITY,
    target,
  );
}
