/**
 * The model folders bench/tune.ts fine-tunes: random weights in the Hugging Face layout of a
 * real base checkpoint, with a generated vocabulary of the real size, so the engine loads them
 * exactly as it loads the hub's files (config.json, model.safetensors under transformers' names,
 * and the tokenizer's older files, which the engine converts to a tokenizer.json).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expectedWeights, readEncoderConfig } from '../engine/models/encoders/index.js';
import { Params } from '../engine/models/params.js';
import { seq2seqConfigFrom } from '../engine/models/seq2seq/index.js';
import { seq2seqShape } from '../engine/text2text/fine-tune.js';
import { fixedTrainBytes, microBatchFor, seq2seqTrainBytesPerExample, WASM_HEAP_BUDGET } from '../engine/train/memory.js';
import { Rng } from '../engine/train/rng.js';
import { encodeSafetensors, type WeightTensor } from '../engine/weights/index.js';

/** What a folder's tokenizer makes of its words: each one token after a space. */
export interface ModelFolder {
  readonly words: string[];
}

/** What the engine's memory planner makes of a seq2seq step, printed beside the split the tune reports. */
export interface Seq2SeqPlan {
  readonly budget: number;
  readonly fixedBytes: number;
  readonly bytesPerExample: number;
  readonly microBatch: number;
}

const DISTILBERT_VOCAB = 30522;
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const BART_VOCAB = 50265;

/** Random weights drawn as transformers initialises them: biases 0, LayerNorm weights 1, the rest N(0, 0.02). */
class RandomWeights {
  readonly list: WeightTensor[] = [];
  readonly #rng: Rng;

  constructor(seed: number) {
    this.#rng = new Rng(seed);
  }

  add(name: string, shape: readonly number[], fill?: number): void {
    const size = shape.reduce((a, b) => a * b, 1);
    const constant = fill ?? (name.endsWith('.bias') ? 0 : shape.length === 1 ? 1 : undefined);
    const data = constant === undefined ? normal(this.#rng, size, 0.02) : new Float32Array(size).fill(constant);
    this.list.push({ name, shape: [...shape], data, dtype: 'float32' });
  }

  /** Floats of every tensor but those named: what the tuner trains. */
  count(except: (name: string) => boolean): number {
    return this.list.reduce((n, w) => n + (except(w.name) ? 0 : w.data.length), 0);
  }
}

/**
 * distilbert-base-uncased's layout: its config.json, a model.safetensors with the backbone and MLM
 * head under transformers' names (no classifier: the tuner must initialise one, as for the real
 * base checkpoint), and a WordPiece vocab.txt + tokenizer_config.json without tokenizer.json.
 */
export async function writeDistilBertFolder(dir: string, layers: number): Promise<ModelFolder> {
  await mkdir(dir);
  const config = {
    activation: 'gelu', architectures: ['DistilBertForMaskedLM'], attention_dropout: 0.1, dim: 768, dropout: 0.1, hidden_dim: 3072,
    initializer_range: 0.02, max_position_embeddings: 512, model_type: 'distilbert', n_heads: 12, n_layers: layers, pad_token_id: 0,
    qa_dropout: 0.1, seq_classif_dropout: 0.2, sinusoidal_pos_embds: false, tie_weights_: true, transformers_version: '4.44.2', vocab_size: DISTILBERT_VOCAB,
  };
  await writeJson(dir, 'config.json', config);
  const weights = new RandomWeights(20240606);
  for (const [name, shape] of expectedWeights(readEncoderConfig(config, 'sequence-classification'))) {
    if (name.startsWith('distilbert.')) weights.add(name, shape);
  }
  // The MLM head the real checkpoint has; the classifier leaves it out (reported as unused).
  weights.add('vocab_transform.weight', [768, 768]);
  weights.add('vocab_transform.bias', [768]);
  weights.add('vocab_layer_norm.weight', [768]);
  weights.add('vocab_layer_norm.bias', [768]);
  weights.add('vocab_projector.bias', [DISTILBERT_VOCAB]); // its weight is tied to the word embeddings
  await writeFile(path.join(dir, 'model.safetensors'), encodeSafetensors(weights.list, { format: 'pt' }));

  const { entries, words } = wordPieceVocabulary();
  await writeFile(path.join(dir, 'vocab.txt'), `${entries.join('\n')}\n`);
  await writeJson(dir, 'tokenizer_config.json', {
    do_lower_case: true, model_max_length: 512, tokenizer_class: 'DistilBertTokenizer', strip_accents: null, tokenize_chinese_chars: true,
    unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]',
  });
  return { words };
}

/**
 * facebook/bart-base's layout with `layers` encoder and `layers` decoder layers: config.json,
 * model.safetensors as save_pretrained writes it (the tied embeddings and LM head stored once, as
 * model.shared.weight; learned positions with BART's 2-row offset; final_logits_bias, a buffer of
 * zeros), generation_config.json with greedy decoding of at most 32 tokens (so the evaluation after
 * training stays short), and a byte-level BPE vocab.json + merges.txt of 50265 entries.
 */
export async function writeBartFolder(dir: string, layers: number): Promise<ModelFolder & { readonly plan: (source: number, target: number, batch: number) => Seq2SeqPlan }> {
  await mkdir(dir);
  const d = 768;
  const ffn = 3072;
  const config = {
    activation_dropout: 0.1, activation_function: 'gelu', add_bias_logits: false, add_final_layer_norm: false,
    architectures: ['BartForConditionalGeneration'], attention_dropout: 0.1, bos_token_id: 0, classifier_dropout: 0.0, d_model: d,
    decoder_attention_heads: 12, decoder_ffn_dim: ffn, decoder_layerdrop: 0.0, decoder_layers: layers, decoder_start_token_id: 2, dropout: 0.1,
    encoder_attention_heads: 12, encoder_ffn_dim: ffn, encoder_layerdrop: 0.0, encoder_layers: layers, eos_token_id: 2, forced_bos_token_id: 0,
    forced_eos_token_id: 2, init_std: 0.02, is_encoder_decoder: true, max_position_embeddings: 1024, model_type: 'bart', normalize_before: false,
    num_hidden_layers: layers, pad_token_id: 1, scale_embedding: false, torch_dtype: 'float32', transformers_version: '4.44.2', use_cache: true,
    vocab_size: BART_VOCAB,
  };
  await writeJson(dir, 'config.json', config);
  await writeJson(dir, 'generation_config.json', {
    bos_token_id: 0, decoder_start_token_id: 2, early_stopping: false, eos_token_id: 2, forced_bos_token_id: 0, forced_eos_token_id: 2,
    max_length: 33, no_repeat_ngram_size: 0, num_beams: 1, pad_token_id: 1, transformers_version: '4.44.2',
  });

  const weights = new RandomWeights(20240607);
  weights.add('model.shared.weight', [BART_VOCAB, d]);
  for (const side of ['encoder', 'decoder'] as const) {
    weights.add(`model.${side}.embed_positions.weight`, [1024 + 2, d]); // BartLearnedPositionalEmbedding's offset of 2
    for (let i = 0; i < layers; i += 1) {
      const p = `model.${side}.layers.${i}`;
      for (const attention of side === 'encoder' ? ['self_attn'] : ['self_attn', 'encoder_attn']) {
        for (const projection of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
          weights.add(`${p}.${attention}.${projection}.weight`, [d, d]);
          weights.add(`${p}.${attention}.${projection}.bias`, [d]);
        }
        weights.add(`${p}.${attention}_layer_norm.weight`, [d]);
        weights.add(`${p}.${attention}_layer_norm.bias`, [d]);
      }
      weights.add(`${p}.fc1.weight`, [ffn, d]);
      weights.add(`${p}.fc1.bias`, [ffn]);
      weights.add(`${p}.fc2.weight`, [d, ffn]);
      weights.add(`${p}.fc2.bias`, [d]);
      weights.add(`${p}.final_layer_norm.weight`, [d]);
      weights.add(`${p}.final_layer_norm.bias`, [d]);
    }
    weights.add(`model.${side}.layernorm_embedding.weight`, [d]);
    weights.add(`model.${side}.layernorm_embedding.bias`, [d]);
  }
  weights.add('final_logits_bias', [1, BART_VOCAB], 0);
  await writeFile(path.join(dir, 'model.safetensors'), encodeSafetensors(weights.list, { format: 'pt' }));
  // final_logits_bias is a buffer, not a parameter (engine/train/seq2seq.ts freezes it too).
  const parameters = weights.count((name) => name === 'final_logits_bias');

  const { vocab, merges, words } = byteLevelVocabulary(BART_VOCAB);
  await writeFile(path.join(dir, 'vocab.json'), JSON.stringify(vocab));
  await writeFile(path.join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
  const special = (content: string, lstrip = false): Record<string, unknown> => ({ content, lstrip, normalized: true, rstrip: false, single_word: false, special: true });
  await writeJson(dir, 'tokenizer_config.json', {
    add_prefix_space: false,
    added_tokens_decoder: { 0: special('<s>'), 1: special('<pad>'), 2: special('</s>'), 3: special('<unk>'), [BART_VOCAB - 1]: special('<mask>', true) },
    bos_token: '<s>', clean_up_tokenization_spaces: true, cls_token: '<s>', eos_token: '</s>', errors: 'replace', mask_token: '<mask>',
    model_max_length: 1024, pad_token: '<pad>', sep_token: '</s>', tokenizer_class: 'BartTokenizer', unk_token: '<unk>',
  });

  // The planner's view of this model, as engine/text2text/fine-tune.ts builds it (only the config counts).
  const shape = seq2seqShape({ config: seq2seqConfigFrom(config), params: new Params(new Map()), configJson: config, generationJson: {} }, parameters);
  const plan = (source: number, target: number, batch: number): Seq2SeqPlan => {
    const bytesPerExample = seq2seqTrainBytesPerExample(shape, source, target);
    return { budget: WASM_HEAP_BUDGET, fixedBytes: fixedTrainBytes(shape), bytesPerExample, microBatch: microBatchFor(shape, bytesPerExample, batch, WASM_HEAP_BUDGET) };
  };
  return { words, plan };
}

/**
 * 30522 WordPiece entries: the special tokens, letters, then syllables and words of two and
 * three syllables from 20 consonants × 5 vowels, each also as a `##` continuation piece. The
 * two-syllable words are whole tokens, so a text of N of them is N + 2 tokens before truncation.
 */
function wordPieceVocabulary(): { entries: string[]; words: string[] } {
  const syllables = syllableList();
  const letters = Array.from('abcdefghijklmnopqrstuvwxyz');
  const words = syllables.flatMap((a) => syllables.map((b) => a + b));
  const entries: string[] = [...SPECIAL_TOKENS];
  for (const list of [letters, syllables, words]) entries.push(...list, ...list.map((piece) => `##${piece}`));
  for (let i = 0; entries.length < DISTILBERT_VOCAB; i += 1) {
    entries.push(`${syllables[Math.floor(i / 10_000) % 100] ?? ''}${syllables[Math.floor(i / 100) % 100] ?? ''}${syllables[i % 100] ?? ''}`);
  }
  return { entries, words };
}

/**
 * A GPT-2-style byte-level BPE of `size` entries in BART's order (<s> <pad> </s> <unk>, the 256
 * byte symbols, merged tokens, <mask> last): syllables, then `Ġ` (a leading space) + syllable,
 * words of two syllables with and without the space, and as many three-syllable words with the
 * space as fill the rest. Merge ranks go left to right through a word, so every space-led word
 * of two or three syllables is one token; `words` are those, so texts use ids up to size − 2.
 */
function byteLevelVocabulary(size: number): { vocab: Record<string, number>; merges: string[]; words: string[] } {
  const syllables = syllableList();
  const tokens = ['<s>', '<pad>', '</s>', '<unk>', ...byteSymbols()];
  const merges: string[] = [];
  const words: string[] = [];
  const merge = (a: string, b: string): void => {
    merges.push(`${a} ${b}`);
    tokens.push(a + b);
  };
  for (const s of syllables) merge(s.charAt(0), s.charAt(1));
  for (const s of syllables) merge('Ġ', s);
  // Space-led words rank before bare ones: "Ġba co di" must join from the left ("Ġba co"), not as "co di".
  for (const a of syllables) {
    for (const b of syllables) {
      merge(`Ġ${a}`, b);
      words.push(a + b);
    }
  }
  for (const a of syllables) for (const b of syllables) merge(a, b);
  outer: for (const a of syllables) {
    for (const b of syllables) {
      for (const c of syllables) {
        if (tokens.length >= size - 1) break outer;
        merge(`Ġ${a}${b}`, c);
        words.push(a + b + c);
      }
    }
  }
  tokens.push('<mask>');
  if (tokens.length !== size) throw new Error(`byte-level vocabulary has ${tokens.length} entries, not ${size}`);
  return { vocab: Object.fromEntries(tokens.map((token, id) => [token, id])), merges, words };
}

/** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others for U+0100 onwards (space: Ġ). */
function byteSymbols(): string[] {
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const symbols: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b += 1) symbols.push(String.fromCharCode(printable(b) ? b : 256 + shifted++));
  return symbols;
}

/** 20 consonants × 5 vowels. */
function syllableList(): string[] {
  return Array.from('bcdfghjklmnpqrstvwxz', (c) => Array.from('aeiou', (v) => c + v)).flat();
}

/** N(0, std) by Box–Muller from the seeded generator, both values of each pair used. */
function normal(rng: Rng, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFile(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}
