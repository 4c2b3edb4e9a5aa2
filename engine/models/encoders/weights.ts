/**
 * The weight names and shapes a config implies, so loading is a checked mapping (nanoGPT's
 * from_pretrained asserts key sets and shapes): a missing or mis-shaped weight fails at load
 * time with its name, not as a shape error deep in the forward pass.
 */
import type { Params } from '../params.js';
import type { EncoderConfig } from './config.js';
import { FAMILIES } from './families.js';

type Shapes = Map<string, readonly number[]>;

function addLinear(shapes: Shapes, stem: string, out: number, inp: number): void {
  shapes.set(`${stem}.weight`, [out, inp]); // torch nn.Linear stores [out, in]
  shapes.set(`${stem}.bias`, [out]);
}

function addNorm(shapes: Shapes, stem: string, size: number): void {
  shapes.set(`${stem}.weight`, [size]);
  shapes.set(`${stem}.bias`, [size]);
}

function addHead(shapes: Shapes, config: EncoderConfig): void {
  const h = config.hiddenSize;
  if (config.head === 'question-answering') {
    addLinear(shapes, 'qa_outputs', 2, h);
    return;
  }
  switch (config.family) {
    case 'distilbert':
      addLinear(shapes, 'pre_classifier', h, h);
      addLinear(shapes, 'classifier', config.numLabels, h);
      return;
    case 'bert':
      addLinear(shapes, 'bert.pooler.dense', h, h);
      addLinear(shapes, 'classifier', config.numLabels, h);
      return;
    case 'roberta':
      addLinear(shapes, 'classifier.dense', h, h);
      addLinear(shapes, 'classifier.out_proj', config.numLabels, h);
      return;
    default: {
      const never: never = config.family;
      throw new Error(`unknown encoder family ${String(never)}`);
    }
  }
}

/** Every weight `forward` reads for this config, with its expected shape. */
export function expectedWeights(config: EncoderConfig): Shapes {
  const spec = FAMILIES[config.family];
  const h = config.hiddenSize;
  const shapes: Shapes = new Map();
  const e = `${spec.prefix}.embeddings`;
  shapes.set(`${e}.word_embeddings.weight`, [config.vocabSize, h]);
  shapes.set(`${e}.position_embeddings.weight`, [config.maxPositionEmbeddings, h]);
  if (spec.tokenTypes) shapes.set(`${e}.token_type_embeddings.weight`, [config.typeVocabSize, h]);
  addNorm(shapes, `${e}.LayerNorm`, h);
  for (let layer = 0; layer < config.numLayers; layer += 1) {
    const n = spec.block(layer);
    for (const stem of [n.query, n.key, n.value, n.attentionOut]) addLinear(shapes, stem, h, h);
    addNorm(shapes, n.attentionNorm, h);
    addLinear(shapes, n.ffnIn, config.intermediateSize, h);
    addLinear(shapes, n.ffnOut, h, config.intermediateSize);
    addNorm(shapes, n.ffnNorm, h);
  }
  addHead(shapes, config);
  return shapes;
}

/**
 * Throws naming every missing or mis-shaped weight; returns the checkpoint names the model does
 * not use (transformers only warns about those, e.g. a pooler under a QA head).
 */
export function checkEncoderWeights(params: Params, config: EncoderConfig): string[] {
  const expected = expectedWeights(config);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    if (!params.has(name)) problems.push(`${name} is missing`);
    else {
      const actual = params.get(name).shape;
      if (actual.join('x') !== shape.join('x')) problems.push(`${name} is [${actual.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  if (problems.length > 0) throw new Error(`${config.family} ${config.head} checkpoint: ${problems.join('; ')}`);
  return params.names().filter((name) => !expected.has(name));
}
