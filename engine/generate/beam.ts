/**
 * Beam search as transformers 4.44's `_beam_search` with `BeamSearchScorer`: 2·num_beams
 * candidates per row, finished hypotheses scored by sum_logprobs / generated_len^length_penalty,
 * and the EOS token left off stored hypotheses and appended again at finalisation.
 */
import type { GenerationConfig } from './config.js';
import { processScores } from './processors.js';
import { reorderCache, step, type StepInput } from './step.js';
import { disposeCache, type DecoderCache } from '../models/seq2seq/index.js';

interface Hypothesis {
  readonly score: number;
  readonly tokens: readonly number[];
}

/** BeamHypotheses: the num_beams best finished sequences of one batch row. */
class Hypotheses {
  readonly beams: Hypothesis[] = [];
  private worst = 1e9;
  constructor(private readonly config: GenerationConfig) {}

  add(tokens: readonly number[], sumLogProbs: number, generatedLength: number): void {
    const score = sumLogProbs / generatedLength ** this.config.lengthPenalty;
    if (this.beams.length < this.config.numBeams || score > this.worst) {
      this.beams.push({ score, tokens });
      if (this.beams.length > this.config.numBeams) {
        const ranked = this.beams.map((b, i) => ({ s: b.score, i })).sort((a, b) => a.s - b.s);
        this.beams.splice(ranked[0]?.i ?? 0, 1);
        this.worst = ranked[1]?.s ?? score;
      } else {
        this.worst = Math.min(score, this.worst);
      }
    }
  }

  isDone(bestSumLogProbs: number, generatedLength: number): boolean {
    if (this.beams.length < this.config.numBeams) return false;
    if (this.config.earlyStopping) return true;
    return this.worst >= bestSumLogProbs / generatedLength ** this.config.lengthPenalty;
  }

  /** The best hypothesis; on equal scores the later one, as Python's stable sort then pop() gives. */
  best(): Hypothesis | undefined {
    return [...this.beams].sort((a, b) => a.score - b.score).pop();
  }
}

interface Candidate {
  readonly score: number;
  readonly token: number;
  readonly beam: number;
}

/**
 * The k best (score, token, beam) over all beams of one batch row, best first, kept by insertion
 * so a large vocabulary is scanned once. -inf candidates stay in, as torch.topk keeps them; equal
 * scores keep flat (beam-major) index order.
 */
function topCandidates(rows: readonly Float32Array[], first: number, beams: number, k: number): Candidate[] {
  const top: Candidate[] = [];
  for (let beam = 0; beam < beams; beam++) {
    const row = rows[first + beam] ?? new Float32Array();
    for (let token = 0; token < row.length; token++) {
      const score = row[token] ?? -Infinity;
      if (top.length === k && !(score > (top[k - 1]?.score ?? -Infinity))) continue;
      let at = top.length;
      while (at > 0 && score > (top[at - 1]?.score ?? -Infinity)) at--;
      top.splice(at, 0, { score, token, beam });
      if (top.length > k) top.pop();
    }
  }
  return top;
}

export function beamSearch(input: StepInput, batch: number, config: GenerationConfig): { sequences: number[][]; cache: DecoderCache | undefined } {
  const K = config.numBeams;
  let sequences = Array.from({ length: batch * K }, () => [config.decoderStartTokenId]);
  // Only the first beam of a row is live at the start, so the K beams do not pick the same tokens.
  let beamScores: number[] = Array.from({ length: batch * K }, (_, i) => (i % K === 0 ? 0 : -1e9));
  const hyps = Array.from({ length: batch }, () => new Hypotheses(config));
  const done = new Array<boolean>(batch).fill(false);
  let cache: DecoderCache | undefined;
  try {
    for (;;) {
      const length = sequences[0]?.length ?? 0;
      const out = step(input, sequences.map((s) => s[s.length - 1] ?? config.padTokenId), cache, true);
      cache = out.cache;
      out.rows.forEach((row, r) => {
        processScores(row, sequences[r] ?? [], config);
        const base = beamScores[r] ?? 0;
        // torch adds the beam score in float32.
        for (let t = 0; t < row.length; t++) row[t] = Math.fround((row[t] ?? 0) + base);
      });
      // HF cur_len counts the new token; minus the one-token decoder prompt that is the current length.
      const generated = length;
      const nextScores: number[] = [];
      const nextTokens: number[] = [];
      const nextOrigins: number[] = [];
      for (let b = 0; b < batch; b++) {
        if (done[b] === true) {
          for (let k = 0; k < K; k++) { nextScores.push(0); nextTokens.push(config.padTokenId); nextOrigins.push(b * K); }
          continue;
        }
        const candidates = topCandidates(out.rows, b * K, K, 2 * K);
        let kept = 0;
        for (const [rank, c] of candidates.entries()) {
          const origin = b * K + c.beam;
          if (c.token === config.eosTokenId) {
            if (rank < K) hyps[b]?.add(sequences[origin] ?? [], c.score, generated);
          } else {
            nextScores.push(c.score); nextTokens.push(c.token); nextOrigins.push(origin);
            kept += 1;
          }
          if (kept === K) break;
        }
        if (kept < K) throw new Error('beam search ran out of non-EOS candidates');
        done[b] = hyps[b]?.isDone(candidates[0]?.score ?? -Infinity, generated) ?? true;
      }
      beamScores = nextScores;
      sequences = nextOrigins.map((origin, i) => [...(sequences[origin] ?? []), nextTokens[i] ?? config.padTokenId]);
      cache = reorderCache(cache, nextOrigins);
      if (!done.includes(false) || (sequences[0]?.length ?? 0) >= config.maxLength) break;
    }
  } catch (error) {
    if (cache !== undefined) disposeCache(cache); // the caller never sees a cache to dispose
    throw error;
  }
  return { sequences: finalize(sequences, beamScores, hyps, done, config), cache };
}

/** BeamSearchScorer.finalize: add the live beams of unfinished rows, pick the best, re-append EOS. */
function finalize(
  sequences: number[][], beamScores: readonly number[], hyps: readonly Hypotheses[], done: readonly boolean[], config: GenerationConfig,
): number[][] {
  const K = config.numBeams;
  const best = hyps.map((h, b) => {
    if (done[b] !== true) {
      for (let k = 0; k < K; k++) {
        const tokens = sequences[b * K + k] ?? [];
        h.add(tokens, beamScores[b * K + k] ?? 0, tokens.length - 1);
      }
    }
    return h.best()?.tokens ?? [];
  });
  const width = Math.min(Math.max(...best.map((t) => t.length)) + 1, config.maxLength);
  return best.map((tokens) => {
    const row = [...tokens];
    if (row.length < width) row.push(config.eosTokenId);
    while (row.length < width) row.push(config.padTokenId);
    return row;
  });
}
