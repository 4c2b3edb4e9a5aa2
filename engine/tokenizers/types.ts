/** One encoded input (a text or a text pair), as the models consume it. */
export interface Encoding {
  readonly ids: number[];
  readonly attentionMask: number[];
  /** UTF-16 offsets into the text each token came from ([0, 0] for special tokens). */
  readonly offsets?: [number, number][];
  readonly typeIds?: number[];
}

export interface EncodeOptions {
  readonly maxLength?: number;
  readonly truncation?: 'longest_first' | 'only_second' | false;
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  readonly skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  encode(text: string, pair?: string, options?: EncodeOptions): Encoding;
  decode(ids: readonly number[], options?: DecodeOptions): string;
  readonly padTokenId: number;
  readonly specialTokenIds: ReadonlySet<number>;
  readonly modelMaxLength: number;
  /** Set when targets (text_target) tokenize differently, as Marian's target.spm does; else use this one. */
  readonly target?: Tokenizer;
  /** The post_processor's layouts, for callers that wrap bare segments themselves (QA's overflow windows). */
  readonly template?: Template;
}

/** One piece of a post_processor layout: special token ids, or where text A or B goes; with its type id. */
export interface TemplatePlacement {
  readonly special?: readonly number[];
  readonly sequence?: 'A' | 'B';
  readonly typeId: number;
}

/** The single and pair layouts of a post_processor, as one list of pieces each. */
export interface Template {
  readonly single: readonly TemplatePlacement[];
  readonly pair: readonly TemplatePlacement[];
}

/** The subset of tokenizer.json that this module reads or writes. */
export interface TokenizerJson {
  readonly added_tokens?: readonly AddedTokenJson[];
  readonly normalizer?: unknown;
  readonly pre_tokenizer?: { readonly type: string; readonly [key: string]: unknown } | null;
  readonly post_processor?: PostProcessorJson | null;
  readonly decoder?: unknown;
  readonly model: { readonly type: string } & Record<string, unknown>;
  readonly [key: string]: unknown;
}

export interface AddedTokenJson {
  readonly id: number;
  readonly content: string;
  readonly single_word: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly normalized: boolean;
  readonly special: boolean;
}

export type TemplatePiece =
  | { readonly SpecialToken: { readonly id: string; readonly type_id: number } }
  | { readonly Sequence: { readonly id: 'A' | 'B'; readonly type_id: number } };

export interface TemplateProcessingJson {
  readonly type: 'TemplateProcessing';
  readonly single: readonly TemplatePiece[];
  readonly pair: readonly TemplatePiece[];
  readonly special_tokens: Readonly<Record<string, { readonly ids: readonly number[]; readonly [key: string]: unknown }>>;
  readonly [key: string]: unknown;
}

export interface ClsSepProcessingJson {
  readonly type: 'RobertaProcessing' | 'BertProcessing';
  readonly cls: readonly [string, number];
  readonly sep: readonly [string, number];
  readonly [key: string]: unknown;
}

export type PostProcessorJson = TemplateProcessingJson | ClsSepProcessingJson | { readonly type: string; readonly [key: string]: unknown };

/** tokenizer_config.json: only the keys this module reads. */
export interface TokenizerConfigJson {
  readonly model_max_length?: number;
  readonly do_lower_case?: boolean;
  readonly strip_accents?: boolean | null;
  readonly tokenize_chinese_chars?: boolean;
  readonly add_prefix_space?: boolean;
  readonly pad_token?: string | { readonly content: string } | null;
  readonly unk_token?: string | { readonly content: string } | null;
  readonly cls_token?: string | { readonly content: string } | null;
  readonly sep_token?: string | { readonly content: string } | null;
  readonly bos_token?: string | { readonly content: string } | null;
  readonly eos_token?: string | { readonly content: string } | null;
  readonly mask_token?: string | { readonly content: string } | null;
  readonly added_tokens_decoder?: Readonly<Record<string, Omit<AddedTokenJson, 'id'>>>;
  readonly [key: string]: unknown;
}

export function tokenContent(token: string | { readonly content: string } | null | undefined): string | undefined {
  if (token === null || token === undefined) return undefined;
  return typeof token === 'string' ? token : token.content;
}
