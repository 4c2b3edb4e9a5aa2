/** Greedy decoding as transformers' `_sample` with do_sample=False. */
import type { GenerationConfig } from './config.js';
import { processScores } from './processors.js';
import { step, type StepInput } from './step.js';
import { disposeCache, type DecoderCache } from '../models/seq2seq/index.js';

/** Index of the first maximum, as torch.argmax returns. */
function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] ?? -Infinity) > (row[best] ?? -Infinity)) best = i;
  return best;
}

/** Returns the sequences with their start token; rows that finished early are right-padded with pad. */
export function greedySearch(input: StepInput, batch: number, config: GenerationConfig): { sequences: number[][]; cache: DecoderCache | undefined } {
  const sequences = Array.from({ length: batch }, () => [config.decoderStartTokenId]);
  const finished = new Array<boolean>(batch).fill(false);
  let cache: DecoderCache | undefined;
  try {
    while (finished.includes(false) && (sequences[0]?.length ?? 0) < config.maxLength) {
      const out = step(input, sequences.map((s) => s[s.length - 1] ?? config.padTokenId), cache, false);
      cache = out.cache;
      sequences.forEach((tokens, r) => {
        const row = out.rows[r] ?? new Float32Array();
        processScores(row, tokens, config);
        const token = finished[r] === true ? config.padTokenId : argmax(row);
        tokens.push(token);
        if (token === config.eosTokenId) finished[r] = true;
      });
    }
  } catch (error) {
    if (cache !== undefined) disposeCache(cache); // the caller never sees a cache to dispose
    throw error;
  }
  return { sequences, cache };
}
