// Builds the tokenizer.json that transformers' convert_slow_tokenizer.py (BertConverter,
// RobertaConverter) would produce from the older vocab files, so one code path loads both.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tokenContent, type AddedTokenJson, type TokenizerConfigJson, type TokenizerJson } from './types.js';

export class TokenizerFormatError extends Error {
  override readonly name = 'TokenizerFormatError';
}

/** added_tokens in id order, from tokenizer_config's added_tokens_decoder (what save_pretrained writes). */
function addedTokens(config: TokenizerConfigJson, vocab: ReadonlyMap<string, number>): AddedTokenJson[] {
  const decoder = config.added_tokens_decoder;
  if (decoder !== undefined) {
    return Object.entries(decoder)
      .map(([id, token]) => ({ ...token, id: Number(id) }))
      .sort((a, b) => a.id - b.id);
  }
  // Older configs have no added_tokens_decoder: the special tokens named in the config are it.
  const names = [config.pad_token, config.unk_token, config.cls_token, config.sep_token, config.bos_token, config.eos_token, config.mask_token];
  const seen = new Map<number, AddedTokenJson>();
  for (const name of names) {
    const content = tokenContent(name);
    const id = content === undefined ? undefined : vocab.get(content);
    if (content === undefined || id === undefined) continue;
    seen.set(id, { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

function requireToken(config: TokenizerConfigJson, key: keyof TokenizerConfigJson, fallback: string, vocab: ReadonlyMap<string, number>): [string, number] {
  const content = tokenContent(config[key] as string | { content: string } | null | undefined) ?? fallback;
  const id = vocab.get(content);
  if (id === undefined) throw new TokenizerFormatError(`${String(key)} ${JSON.stringify(content)} is not in the vocabulary`);
  return [content, id];
}

/** vocab.txt: one token a line, the line number is the id (BertTokenizer.load_vocab). */
export function wordPieceTokenizerJson(vocabTxt: string, config: TokenizerConfigJson): TokenizerJson {
  const vocab = new Map<string, number>();
  const lines = vocabTxt.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => vocab.set(line.replace(/\r$/, ''), index));
  const [cls, clsId] = requireToken(config, 'cls_token', '[CLS]', vocab);
  const [sep, sepId] = requireToken(config, 'sep_token', '[SEP]', vocab);
  const [unk] = requireToken(config, 'unk_token', '[UNK]', vocab);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(config, vocab),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: { [cls]: { id: cls, ids: [clsId], tokens: [cls] }, [sep]: { id: sep, ids: [sepId], tokens: [sep] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
}

/** vocab.json + merges.txt: GPT-2 style byte-level BPE (RobertaTokenizer, BartTokenizer). */
export function byteLevelBpeTokenizerJson(vocabJson: string, mergesTxt: string, config: TokenizerConfigJson): TokenizerJson {
  const vocabObject = JSON.parse(vocabJson) as Record<string, number>;
  const vocab = new Map(Object.entries(vocabObject));
  const merges = mergesTxt
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#version'))
    .map((line) => {
      const pair = line.split(' ');
      if (pair.length !== 2) throw new TokenizerFormatError(`bad merges.txt line ${JSON.stringify(line)}`);
      return pair;
    });
  const addPrefixSpace = config.add_prefix_space ?? false;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(config, vocab),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: requireToken(config, 'sep_token', '</s>', vocab),
      cls: requireToken(config, 'cls_token', '<s>', vocab),
      trim_offsets: true,
      add_prefix_space: addPrefixSpace,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: vocabObject,
      merges,
    },
  };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** tokenizer.json from the folder, or converted from the slow tokenizer's files. */
export async function readTokenizerJson(folder: string, config: TokenizerConfigJson): Promise<TokenizerJson> {
  const json = await readOptional(path.join(folder, 'tokenizer.json'));
  if (json !== undefined) return JSON.parse(json) as TokenizerJson;
  const vocabTxt = await readOptional(path.join(folder, 'vocab.txt'));
  if (vocabTxt !== undefined) return wordPieceTokenizerJson(vocabTxt, config);
  const vocabJson = await readOptional(path.join(folder, 'vocab.json'));
  const merges = await readOptional(path.join(folder, 'merges.txt'));
  if (vocabJson !== undefined && merges !== undefined) return byteLevelBpeTokenizerJson(vocabJson, merges, config);
  throw new TokenizerFormatError(`${folder}: no tokenizer.json, vocab.txt or vocab.json + merges.txt`);
}
