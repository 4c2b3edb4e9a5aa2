// Special tokens and truncation are done here rather than by tokenizers.js, which has neither
// truncation nor offsets: segments are encoded bare, truncated, then wrapped per the post_processor.
import type { Offsets } from './offsets.js';
import type { ClsSepProcessingJson, PostProcessorJson, Template, TemplatePiece, TemplatePlacement as Placed, TemplateProcessingJson } from './types.js';

export type { Template };

export interface Segment {
  readonly ids: readonly number[];
  readonly offsets: Offsets | undefined;
}

function fromTemplatePieces(pieces: readonly TemplatePiece[], specials: Readonly<Record<string, { readonly ids: readonly number[] }>>): Placed[] {
  return pieces.map((piece) => {
    if ('Sequence' in piece) return { sequence: piece.Sequence.id, typeId: piece.Sequence.type_id };
    const ids = specials[piece.SpecialToken.id]?.ids;
    if (ids === undefined) throw new Error(`post_processor names unknown special token ${piece.SpecialToken.id}`);
    return { special: ids, typeId: piece.SpecialToken.type_id };
  });
}

export function templateOf(processor: PostProcessorJson | null | undefined): Template {
  if (processor === null || processor === undefined) {
    return { single: [{ sequence: 'A', typeId: 0 }], pair: [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }] };
  }
  if (processor.type === 'TemplateProcessing') {
    const template = processor as TemplateProcessingJson;
    return { single: fromTemplatePieces(template.single, template.special_tokens), pair: fromTemplatePieces(template.pair, template.special_tokens) };
  }
  if (processor.type === 'RobertaProcessing' || processor.type === 'BertProcessing') {
    const clsSep = processor as ClsSepProcessingJson;
    const cls = [clsSep.cls[1]];
    const sep = [clsSep.sep[1]];
    const single: Placed[] = [{ special: cls, typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: sep, typeId: 0 }];
    // RoBERTa: <s> A </s></s> B </s>, all type 0; BERT: [CLS] A [SEP] B [SEP] with B as type 1.
    if (processor.type === 'RobertaProcessing') {
      return { single, pair: [...single, { special: sep, typeId: 0 }, { sequence: 'B', typeId: 0 }, { special: sep, typeId: 0 }] };
    }
    return { single, pair: [...single, { sequence: 'B', typeId: 1 }, { special: sep, typeId: 1 }] };
  }
  throw new Error(`unsupported post_processor ${processor.type}`);
}

export function specialCount(layout: readonly Placed[]): number {
  return layout.reduce((sum, piece) => sum + (piece.special?.length ?? 0), 0);
}

/** How many tokens to drop from each segment; longest_first splits as transformers' truncate_sequences does. */
export function truncationPlan(lengthA: number, lengthB: number | undefined, budget: number, strategy: 'longest_first' | 'only_second'): [number, number] {
  const excess = lengthA + (lengthB ?? 0) - Math.max(budget, 0);
  if (excess <= 0) return [0, 0];
  if (lengthB === undefined) {
    if (strategy === 'only_second') throw new RangeError('only_second truncation needs a text pair');
    return [Math.min(excess, lengthA), 0];
  }
  if (strategy === 'only_second') {
    if (excess > lengthB) throw new RangeError(`the second sequence has ${lengthB} tokens, ${excess} would need removing`);
    return [0, excess];
  }
  // Even out the two lengths first, then take the rest half and half; the odd one from the second.
  const first = Math.min(Math.abs(lengthA - lengthB), excess);
  const second = excess - first;
  const half = Math.floor(second / 2);
  return lengthA > lengthB ? [first + half, second - half] : [half, first + second - half];
}

export interface Assembled {
  readonly ids: number[];
  readonly typeIds: number[];
  readonly offsets: Offsets | undefined;
}

export function assemble(layout: readonly Placed[], a: Segment, b: Segment | undefined): Assembled {
  const ids: number[] = [];
  const typeIds: number[] = [];
  const offsets: Offsets = [];
  let offsetsKnown = true;
  for (const piece of layout) {
    if (piece.special !== undefined) {
      for (const id of piece.special) {
        ids.push(id);
        typeIds.push(piece.typeId);
        offsets.push([0, 0]);
      }
      continue;
    }
    const segment = piece.sequence === 'A' ? a : b;
    if (segment === undefined) continue;
    ids.push(...segment.ids);
    for (let k = 0; k < segment.ids.length; k++) typeIds.push(piece.typeId);
    if (segment.offsets === undefined) offsetsKnown = false;
    else offsets.push(...segment.offsets);
  }
  return { ids, typeIds, offsets: offsetsKnown ? offsets : undefined };
}
