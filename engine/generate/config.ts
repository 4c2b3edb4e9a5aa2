/**
 * The generation settings in effect, resolved as transformers 4.44 does: generation_config.json
 * (or, without one, config.json) over the library defaults, then the call's options on top.
 */
export interface GenerationConfig {
  readonly maxLength: number;
  readonly minLength: number;
  readonly numBeams: number;
  readonly lengthPenalty: number;
  /** `true` stops a batch row once it has num_beams finished hypotheses; `false` uses the heuristic. */
  readonly earlyStopping: boolean;
  readonly noRepeatNgramSize: number;
  readonly badWordsIds: readonly (readonly number[])[];
  readonly forcedBosTokenId: number | null;
  readonly forcedEosTokenId: number | null;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly decoderStartTokenId: number;
}

/** What a caller may override, in camelCase; `maxNewTokens` wins over `maxLength`, as in transformers. */
export interface GenerationOptions {
  readonly maxLength?: number;
  readonly maxNewTokens?: number;
  readonly minLength?: number;
  readonly minNewTokens?: number;
  readonly numBeams?: number;
  readonly lengthPenalty?: number;
  readonly earlyStopping?: boolean;
  readonly noRepeatNgramSize?: number;
  readonly badWordsIds?: readonly (readonly number[])[];
}

type Json = Readonly<Record<string, unknown>>;

function num(json: Json, key: string): number | undefined {
  const value = json[key];
  return typeof value === 'number' ? value : undefined;
}

function firstId(json: Json, key: string): number | undefined {
  const value = json[key];
  if (Array.isArray(value) && typeof value[0] === 'number') return value[0]; // eos may be a list
  return num(json, key);
}

function badWords(json: Json): number[][] {
  const value = json.bad_words_ids;
  if (!Array.isArray(value)) return [];
  return value.filter((row): row is number[] => Array.isArray(row) && row.every((id) => typeof id === 'number'));
}

/**
 * `modelConfig` is config.json, `generationJson` generation_config.json ({} when absent). The
 * decoder prompt is the start token alone, so max_new_tokens n means max_length n + 1.
 */
export function resolveGeneration(modelConfig: Json, generationJson: Json, options: GenerationOptions = {}): GenerationConfig {
  const source = Object.keys(generationJson).length > 0 ? generationJson : modelConfig;
  const pick = (key: string): number | undefined => num(source, key) ?? num(modelConfig, key);
  const pad = pick('pad_token_id');
  const eos = firstId(source, 'eos_token_id') ?? firstId(modelConfig, 'eos_token_id');
  if (pad === undefined || eos === undefined) throw new Error('generation needs pad_token_id and eos_token_id');
  const promptLength = 1;
  const maxLength = options.maxNewTokens !== undefined ? options.maxNewTokens + promptLength
    : options.maxLength ?? num(source, 'max_length') ?? 20;
  const minLength = options.minNewTokens !== undefined ? options.minNewTokens + promptLength
    : options.minLength ?? num(source, 'min_length') ?? 0;
  return {
    maxLength,
    minLength,
    numBeams: options.numBeams ?? num(source, 'num_beams') ?? 1,
    lengthPenalty: options.lengthPenalty ?? num(source, 'length_penalty') ?? 1,
    earlyStopping: options.earlyStopping ?? source.early_stopping === true,
    noRepeatNgramSize: options.noRepeatNgramSize ?? num(source, 'no_repeat_ngram_size') ?? 0,
    badWordsIds: options.badWordsIds ?? badWords(source),
    forcedBosTokenId: pick('forced_bos_token_id') ?? null,
    forcedEosTokenId: pick('forced_eos_token_id') ?? null,
    eosTokenId: eos,
    padTokenId: pad,
    decoderStartTokenId: pick('decoder_start_token_id') ?? pad,
  };
}
