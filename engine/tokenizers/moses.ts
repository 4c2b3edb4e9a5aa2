// MarianTokenizer runs sacremoses' MosesPunctNormalizer(lang) (penn=True, quote commas and
// numbers on) before SentencePiece. These are its substitution tables, in its order.

type Rule = readonly [RegExp, string];
const rule = (pattern: string, replacement: string): Rule => [new RegExp(pattern, 'gu'), replacement];

const EXTRA_WHITESPACE: Rule[] = [
  rule('\\r', ''),
  rule('\\(', ' ('),
  rule('\\)', ') '),
  rule(' +', ' '),
  rule('\\) ([.!:?;,])', ')$1'),
  rule(' ([.!:?;,])', '$1'),
  rule('\\( ', '('),
  rule(' \\)', ')'),
  rule('(\\p{Nd}) %', '$1%'),
  rule(' :', ':'),
  rule(' ;', ';'),
];
const PENN: Rule[] = [rule('`', "'"), rule("''", ' " ')];
const NORMALIZE_UNICODE: Rule[] = [
  rule('„', '"'),
  rule('“', '"'),
  rule('”', '"'),
  rule('–', '-'),
  rule('—', ' - '),
  rule(' +', ' '),
  rule('´', "'"),
  rule('([a-zA-Z])‘([a-zA-Z])', "$1'$2"),
  rule('([a-zA-Z])’([a-zA-Z])', "$1'$2"),
  rule('‘', "'"),
  rule('‚', "'"),
  rule('’', "'"),
  rule("''", '"'),
  rule('´´', '"'),
  rule('…', '...'),
];
const FRENCH_QUOTES: Rule[] = [
  rule('\u00a0«\u00a0', '"'),
  rule('«\u00a0', '"'),
  rule('«', '"'),
  rule('\u00a0»\u00a0', '"'),
  rule('\u00a0»', '"'),
  rule('»', '"'),
];
const PSEUDO_SPACES: Rule[] = [
  rule('\u00a0%', '%'),
  rule('nº\u00a0', 'nº '),
  rule('\u00a0:', ':'),
  rule('\u00a0ºC', ' ºC'),
  rule('\u00a0cm', ' cm'),
  rule('\u00a0\\?', '?'),
  rule('\u00a0!', '!'),
  rule('\u00a0;', ';'),
  rule(',\u00a0', ', '),
  rule(' +', ' '),
];
const EN_QUOTE_COMMA: Rule[] = [rule('"([,.]+)', '$1"')];
const DE_ES_FR_QUOTE_COMMA: Rule[] = [rule(',"', '",'), rule('(\\.+)"(\\s*[^<])', '"$1$2')];
const COMMA_DECIMALS: Rule[] = [rule('(\\p{Nd})\u00a0(\\p{Nd})', '$1,$2')];
const POINT_DECIMALS: Rule[] = [rule('(\\p{Nd})\u00a0(\\p{Nd})', '$1.$2')];

export function mosesPunctNormalizer(lang: string): (text: string) => string {
  const rules = [
    ...EXTRA_WHITESPACE,
    ...PENN,
    ...NORMALIZE_UNICODE,
    ...FRENCH_QUOTES,
    ...PSEUDO_SPACES,
    ...(lang === 'en' ? EN_QUOTE_COMMA : ['de', 'es', 'fr'].includes(lang) ? DE_ES_FR_QUOTE_COMMA : []),
    ...(['de', 'es', 'cz', 'cs', 'fr'].includes(lang) ? COMMA_DECIMALS : POINT_DECIMALS),
  ];
  // Python's str.strip() strips Unicode whitespace, as String.prototype.trim does.
  return (text) => rules.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text).trim();
}
