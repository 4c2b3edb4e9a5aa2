import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer as UntypedHfTokenizer } from '@huggingface/tokenizers';
import { readTokenizerJson } from './convert.js';
import { loadMarianTokenizer } from './marian.js';
import { byteLevelOffsets, wordPieceOffsets, type Offsets } from './offsets.js';
import { assemble, specialCount, templateOf, truncationPlan, type Segment, type Template } from './template.js';
import { tokenContent, type DecodeOptions, type EncodeOptions, type Encoding, type Tokenizer, type TokenizerConfigJson, type TokenizerJson } from './types.js';

/** The part of tokenizers.js's Tokenizer used here, as its types/core/Tokenizer.d.ts declares it. */
interface HfTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  token_to_id(token: string): number | undefined;
  get_added_tokens_decoder(): Map<number, { readonly id: number; readonly content: string; readonly special: boolean }>;
}
// The package's .d.ts re-exports with extensionless relative paths, which NodeNext resolution
// cannot follow, so its class types arrive unresolved; this restores the declared signatures.
const HfTokenizerClass = UntypedHfTokenizer as unknown as new (json: object, config: object) => HfTokenizer;

type Aligner = (text: string, tokens: readonly string[]) => Offsets | undefined;

function alignerFor(json: TokenizerJson, addedTokens: ReadonlySet<string>): Aligner | undefined {
  if (json.pre_tokenizer?.type === 'ByteLevel') return (text, tokens) => byteLevelOffsets(text, tokens, addedTokens);
  if (json.model.type === 'WordPiece') {
    const normalizer = (json.normalizer ?? {}) as { lowercase?: boolean; strip_accents?: boolean | null };
    const lowercase = normalizer.lowercase ?? false;
    const options = {
      lowercase,
      // BertNormalizer strips accents when asked to, or by default whenever it lower-cases.
      stripAccents: normalizer.strip_accents ?? lowercase,
      prefix: typeof json.model['continuing_subword_prefix'] === 'string' ? json.model['continuing_subword_prefix'] : '##',
      unkToken: typeof json.model['unk_token'] === 'string' ? json.model['unk_token'] : '[UNK]',
      addedTokens,
    };
    return (text, tokens) => wordPieceOffsets(text, tokens, options);
  }
  return undefined;
}

class FolderTokenizer implements Tokenizer {
  readonly padTokenId: number;
  readonly specialTokenIds: ReadonlySet<number>;
  readonly modelMaxLength: number;
  readonly #inner: HfTokenizer;
  readonly template: Template;
  readonly #align: Aligner | undefined;

  constructor(json: TokenizerJson, config: TokenizerConfigJson) {
    this.#inner = new HfTokenizerClass(json, config);
    this.template = templateOf(json.post_processor);
    const added = [...this.#inner.get_added_tokens_decoder().values()];
    this.specialTokenIds = new Set(added.filter((token) => token.special).map((token) => token.id));
    this.#align = alignerFor(json, new Set(added.map((token) => token.content)));
    const pad = tokenContent(config.pad_token);
    const padId = pad === undefined ? undefined : this.#inner.token_to_id(pad);
    // Models without a pad token (GPT-2 style) conventionally pad with 0 and mask it out.
    this.padTokenId = padId ?? 0;
    // transformers writes a huge sentinel (1e30) when there is no limit; keep it as "none".
    const max = config.model_max_length;
    this.modelMaxLength = typeof max === 'number' && max < Number.MAX_SAFE_INTEGER ? max : Number.POSITIVE_INFINITY;
  }

  #segment(text: string): Segment {
    const encoded = this.#inner.encode(text, { add_special_tokens: false });
    return { ids: encoded.ids, offsets: this.#align?.(text, encoded.tokens) };
  }

  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    const addSpecial = options.addSpecialTokens ?? true;
    const a = this.#segment(text);
    const b = pair === undefined ? undefined : this.#segment(pair);
    const layout = pair === undefined ? this.template.single : this.template.pair;
    const strategy = options.truncation ?? (options.maxLength === undefined ? false : 'longest_first');
    let [keptA, keptB] = [a, b];
    if (strategy !== false) {
      const limit = options.maxLength ?? this.modelMaxLength;
      const budget = limit - (addSpecial ? specialCount(layout) : 0);
      const [dropA, dropB] = truncationPlan(a.ids.length, b?.ids.length, budget, strategy);
      keptA = keep(a, a.ids.length - dropA);
      keptB = b === undefined ? undefined : keep(b, b.ids.length - dropB);
    }
    const assembled = addSpecial
      ? assemble(layout, keptA, keptB)
      : assemble(pair === undefined ? [{ sequence: 'A', typeId: 0 }] : [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }], keptA, keptB);
    const encoding: Encoding = { ids: assembled.ids, attentionMask: assembled.ids.map(() => 1), typeIds: assembled.typeIds };
    return assembled.offsets === undefined ? encoding : { ...encoding, offsets: assembled.offsets };
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return this.#inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }
}

function keep(segment: Segment, count: number): Segment {
  return { ids: segment.ids.slice(0, count), offsets: segment.offsets?.slice(0, count) };
}

/** A tokenizer from a model folder: tokenizer.json when present, else converted from vocab.txt or vocab.json + merges.txt. */
export async function loadTokenizer(folder: string): Promise<Tokenizer> {
  const config = JSON.parse(await readFile(path.join(folder, 'tokenizer_config.json'), 'utf8')) as TokenizerConfigJson;
  // Marian has no fast tokenizer, so its folders never carry a tokenizer.json.
  const hasFile = (name: string): Promise<boolean> => access(path.join(folder, name)).then(() => true, () => false);
  if (!(await hasFile('tokenizer.json')) && (await hasFile('source.spm'))) return loadMarianTokenizer(folder, config);
  const json = await readTokenizerJson(folder, config);
  return new FolderTokenizer(json, config);
}
