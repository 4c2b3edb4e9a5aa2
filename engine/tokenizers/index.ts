export type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from './types.js';
export { loadTokenizer } from './load.js';
export { TokenizerFormatError, byteLevelBpeTokenizerJson, wordPieceTokenizerJson } from './convert.js';
