/**
 * pgml.generate's `config` (and pgml.transform's `args`): transformers' generation keywords, in
 * snake_case as users write them, over the model's own generation_config.json. A key that is not
 * a generation setting is an error naming it, rather than silently ignored.
 */
import type { GenerationOptions } from '../../engine/generate/index.js';
import { ProxyError } from '../../proxy/errors.js';
import type { JsonValue } from '../../proxy/protocol/pg-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NUMBERS: Readonly<Record<string, keyof GenerationOptions>> = {
  max_length: 'maxLength',
  max_new_tokens: 'maxNewTokens',
  min_length: 'minLength',
  min_new_tokens: 'minNewTokens',
  num_beams: 'numBeams',
  length_penalty: 'lengthPenalty',
  no_repeat_ngram_size: 'noRepeatNgramSize',
};
/** Real generation settings this engine does not implement yet: refused, not ignored. */
const UNSUPPORTED = new Set(['do_sample', 'temperature', 'top_k', 'top_p', 'typical_p', 'num_return_sequences', 'repetition_penalty', 'penalty_alpha']);
const WHOLE = new Set(['max_length', 'max_new_tokens', 'min_length', 'min_new_tokens', 'num_beams', 'no_repeat_ngram_size']);

export function generationOptions(config: JsonValue, caller: string): GenerationOptions {
  if (config === null) return {};
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: `${caller}: the generation config must be a JSON object, not ${JSON.stringify(config)}` });
  }
  const options: Mutable<GenerationOptions> = {};
  for (const [key, value] of Object.entries(config)) {
    const field = NUMBERS[key];
    if (field !== undefined) {
      if (typeof value !== 'number' || !(value >= 0) || (WHOLE.has(key) && !Number.isInteger(value)) || (key === 'num_beams' && value < 1)) {
        throw new ProxyError({ severity: 'ERROR', code: '22023', message: `${caller}: ${key} must be a ${WHOLE.has(key) ? 'whole ' : ''}number${key === 'num_beams' ? ' ≥ 1' : ' ≥ 0'}, not ${JSON.stringify(value)}` });
      }
      (options as Record<string, number>)[field] = value;
    } else if (key === 'early_stopping') {
      if (typeof value !== 'boolean') throw new ProxyError({ severity: 'ERROR', code: '22023', message: `${caller}: early_stopping must be true or false` });
      options.earlyStopping = value;
    } else if (UNSUPPORTED.has(key)) {
      throw new ProxyError({ severity: 'ERROR', code: '0A000', message: `${caller}: ${key} is not supported by pgml-proxy's generation (greedy and beam search)`, hint: 'Use num_beams, max_new_tokens, min_new_tokens, length_penalty, no_repeat_ngram_size or early_stopping.' });
    } else {
      throw new ProxyError({
        severity: 'ERROR',
        code: '22023',
        message: `${caller}: "${key}" is not a generation setting`,
        hint: `Generation settings: ${[...Object.keys(NUMBERS), 'early_stopping'].join(', ')}.`,
      });
    }
  }
  return options;
}
