/**
 * A seeded, imdb-like data set for the load_dataset benchmark: `text` (a movie review of about
 * 1,000–1,500 characters) and `label` (0/1), written as Parquet and as the same rows in CSV.
 *
 * The text deliberately holds everything a loader has to escape or transcode: commas and double
 * quotes (CSV), tabs, newlines, carriage returns and backslashes (COPY text), and non-ASCII in
 * one-, two-, three- and four-byte UTF-8 (four-byte ones are surrogate pairs in JavaScript).
 */
import { open } from 'node:fs/promises';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';

/** What was written, for the caller's checks and for scale. */
export interface Written {
  readonly rows: number;
  /** Sum of the labels: a second check, next to the row count, that every row arrived. */
  readonly labelSum: number;
  /** Total characters of `text`, in Unicode code points (PostgreSQL's length()). */
  readonly textChars: number;
}

/** Rows per Parquet row group and per batch held in memory while writing. */
export const ROW_GROUP = 10_000;

const OPENERS = [
  'I watched this last night',
  'My friends talked me into seeing this',
  'Having read the novel first',
  'I went in expecting very little',
  'After all the hype at the festival',
  'Saw it on a rainy Sunday afternoon',
  'As a long-time fan of the director',
  'I rented this on a whim',
];
const SUBJECTS = ['the plot', 'the lead actress', 'the score', 'the script', 'the cinematography', 'the supporting cast', 'the editing', 'the ending', 'the villain', 'the dialogue'];
const GOOD = ['wonderful', 'moving', 'brilliant', 'gripping', 'beautifully shot', 'genuinely funny', 'understated', 'a revelation', 'superb', 'heartfelt'];
const BAD = ['dull', 'clumsy', 'predictable', 'painfully slow', 'wooden', 'a mess', 'forgettable', 'overwrought', 'lazy', 'incoherent'];
const FILLERS = [
  'to be honest',
  'for what it is worth',
  'at least in the first act',
  'which surprised me',
  'if you can believe it',
  'more or less',
  'despite the budget',
  'as far as I can tell',
];
// Names and phrases that make the text non-ASCII the way real reviews are (accents, CJK, emoji).
const FOREIGN = [
  'Amélie',
  'Björk',
  'Almodóvar',
  'Truffaut’s “Les Quatre Cents Coups”',
  'Kurosawa (黒澤明)',
  '七人の侍',
  'Лев Толстой',
  'naïve',
  'déjà vu',
  'façade',
  '10/10 🍿',
  '★★★½',
  '😀',
  '— honestly —',
  '…',
  'Zoë',
];
const QUOTES = ['"I have nothing to lose"', '"You talking to me?"', '"Not again, not like this"', '"We\'ll always have Paris"', '"Why so serious?"'];
// Stray markup, paths and emoticons with backslashes, as scraped reviews contain.
const ODDITIES = ['<br /><br />', 'C:\\Movies\\rips', '¯\\_(ツ)_/¯', ':-\\', '\\o/', 'a\\b', '\\N'];

/** mulberry32: a tiny seeded PRNG, so the same flags always produce the same files. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Glue for the free-running clauses; the rest of their words come from a made-up vocabulary.
const COMMON = ['the', 'a', 'of', 'and', 'to', 'in', 'it', 'was', 'that', 'this', 'but', 'with', 'for', 'on', 'not', 'his', 'her', 'they', 'just', 'so'];
const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tor', 'vas', 'el', 'qui', 'dra', 'no', 'sep', 'ul', 'bri', 'fen', 'go', 'hal', 'it', 'jun', 'mar', 'pe', 'stra', 'on', 'wy', 'zel'];
const VOCABULARY = 4000;

/**
 * A vocabulary of made-up words of one to four syllables. Drawn by a Zipf-like law, they make
 * the text about as compressible as real English (Snappy roughly halves it), so the Parquet
 * file is a realistic size for its rows rather than a few repeated phrases.
 */
function vocabulary(next: () => number): string[] {
  const words = new Set<string>();
  while (words.size < VOCABULARY) {
    let word = '';
    const syllables = 1 + Math.floor(next() * 4);
    for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(next() * SYLLABLES.length)] ?? '';
    words.add(word);
  }
  return [...words];
}

function reviews(seed: number): () => { text: string; label: number } {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const words = vocabulary(next);
  // Rank r drawn with probability ~ 1/r: inverse of the continuous law's CDF, ln-spaced.
  const zipf = (): string => words[Math.floor(Math.exp(next() * Math.log(words.length))) - 1] ?? '';
  const clause = (): string => {
    const length = 6 + Math.floor(next() * 9);
    const parts: string[] = [];
    for (let i = 0; i < length; i++) parts.push(next() < 0.35 ? pick(COMMON) : zipf());
    return parts.join(' ');
  };
  return () => {
    const label = next() < 0.5 ? 0 : 1;
    // A few reviews lean the other way, as real ones do ("the score was great, but ...").
    const tone = (): readonly string[] => (next() < 0.8 ? (label === 1 ? GOOD : BAD) : label === 1 ? BAD : GOOD);
    const target = 1000 + Math.floor(next() * 500);
    let text = `${pick(OPENERS)}, and ${pick(SUBJECTS)} was ${pick(tone())}.`;
    while (text.length < target) {
      const r = next();
      let sentence =
        next() < 0.4
          ? `${capitalise(pick(SUBJECTS))} was ${pick(tone())}, ${pick(FILLERS)}, and ${pick(SUBJECTS)} felt ${pick(tone())}`
          : `${capitalise(clause())}, ${clause()}`;
      if (r < 0.15) sentence += ` (think ${pick(FOREIGN)})`;
      else if (r < 0.25) sentence += `; as the poster says, ${pick(QUOTES)}`;
      else if (r < 0.3) sentence += ` ${pick(ODDITIES)}`;
      sentence += pick(['.', '.', '.', '!', '?', '...']);
      // Whitespace a loader must escape: paragraph breaks, a Windows line end, a pasted tab.
      const gap = next();
      text += gap < 0.05 ? '\n\n' : gap < 0.07 ? '\r\n' : gap < 0.09 ? '\t' : ' ';
      text += sentence;
    }
    return { text, label };
  };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** RFC 4180: every text field quoted, its quotes doubled; newlines stay inside the quotes. */
function csvField(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate and its low surrogate are one code point.
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/**
 * Writes `rows` reviews to `parquetPath` (row groups of ROW_GROUP rows; text STRING, label INT64)
 * and the same rows to `csvPath` (header line, RFC 4180). One row group at a time: the bench's own
 * memory stays flat however many rows are asked for.
 */
export async function writeImdbLike(parquetPath: string, csvPath: string, rows: number, seed: number): Promise<Written> {
  const review = reviews(seed);
  // Types declared, not guessed from the first batch: text STRING (UTF8), label INT64.
  const schema = schemaFromColumnData({
    columnData: [
      { name: 'text', data: [], type: 'STRING' },
      { name: 'label', data: new BigInt64Array(0), type: 'INT64' },
    ],
  });
  const parquet = new ParquetWriter({ writer: fileWriter(parquetPath), schema });
  const csv = await open(csvPath, 'w');
  let labelSum = 0;
  let textChars = 0;
  try {
    await csv.write('text,label\n');
    for (let start = 0; start < rows; start += ROW_GROUP) {
      const size = Math.min(ROW_GROUP, rows - start);
      const texts: string[] = new Array<string>(size);
      const labels = new BigInt64Array(size);
      let lines = '';
      for (let i = 0; i < size; i++) {
        const { text, label } = review();
        texts[i] = text;
        labels[i] = BigInt(label);
        labelSum += label;
        textChars += codePoints(text);
        lines += `${csvField(text)},${label}\n`;
      }
      const columnData: ColumnSource[] = [
        { name: 'text', data: texts },
        { name: 'label', data: labels },
      ];
      await parquet.write({ columnData, rowGroupSize: ROW_GROUP });
      await csv.write(lines);
    }
    await parquet.finish();
  } finally {
    await csv.close();
  }
  return { rows, labelSum, textChars };
}
