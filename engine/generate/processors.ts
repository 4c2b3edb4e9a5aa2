/**
 * transformers' logits processors, applied in place to one row of next-token scores given the
 * tokens generated so far (decoder start token included). Order follows `_get_logits_processor`:
 * the masks first, the forced BOS/EOS last because they overwrite the whole row.
 */
import type { GenerationConfig } from './config.js';

/** Tokens that would repeat an n-gram already in `tokens` (NoRepeatNGramLogitsProcessor). */
export function bannedNgramTokens(tokens: readonly number[], n: number): number[] {
  if (n <= 0 || tokens.length + 1 < n) return [];
  const prefix = tokens.slice(tokens.length - n + 1);
  const banned: number[] = [];
  for (let start = 0; start + n <= tokens.length; start++) {
    if (prefix.every((id, k) => tokens[start + k] === id)) banned.push(tokens[start + n - 1] ?? -1);
  }
  return banned;
}

/** Last tokens of bad-word sequences whose prefix ends `tokens` (NoBadWordsLogitsProcessor). */
function bannedBadWords(tokens: readonly number[], badWordsIds: GenerationConfig['badWordsIds']): number[] {
  const banned: number[] = [];
  for (const words of badWordsIds) {
    const last = words[words.length - 1];
    if (last === undefined) continue;
    const prefix = words.slice(0, -1);
    const tail = tokens.slice(tokens.length - prefix.length);
    if (prefix.length <= tokens.length && prefix.every((id, k) => tail[k] === id)) banned.push(last);
  }
  return banned;
}

function force(scores: Float32Array, token: number): void {
  scores.fill(-Infinity);
  scores[token] = 0;
}

export function processScores(scores: Float32Array, tokens: readonly number[], config: GenerationConfig): void {
  const length = tokens.length;
  for (const id of bannedNgramTokens(tokens, config.noRepeatNgramSize)) scores[id] = -Infinity;
  for (const id of bannedBadWords(tokens, config.badWordsIds)) scores[id] = -Infinity;
  if (length < config.minLength) scores[config.eosTokenId] = -Infinity;
  if (config.forcedBosTokenId !== null && length === 1) force(scores, config.forcedBosTokenId);
  if (config.forcedEosTokenId !== null && length === config.maxLength - 1) force(scores, config.forcedEosTokenId);
}
