import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readSafetensors } from './safetensors.js';
import { readPytorchBin } from './torch.js';
import type { WeightTensor, Weights } from './types.js';

/**
 * Read a sharded checkpoint from its `*.index.json` (`{"weight_map": {name: shard}}`).
 * Works for both `model.safetensors.index.json` and `pytorch_model.bin.index.json`.
 */
export async function readSafetensorsIndex(indexPath: string): Promise<Weights> {
  return readShardedIndex(indexPath, readSafetensors);
}

export async function readPytorchBinIndex(indexPath: string): Promise<Weights> {
  return readShardedIndex(indexPath, readPytorchBin);
}

async function readShardedIndex(indexPath: string, readShard: (file: string) => Promise<Weights>): Promise<Weights> {
  let index: unknown;
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (error) {
    throw new Error(`${indexPath}: cannot read checkpoint index`, { cause: error });
  }
  const weightMap = typeof index === 'object' && index !== null && 'weight_map' in index ? index.weight_map : undefined;
  if (typeof weightMap !== 'object' || weightMap === null) throw new Error(`${indexPath}: index has no weight_map object`);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap)) {
    // Shards sit next to the index; a path would let a hostile index read other files.
    if (typeof shard !== 'string' || shard !== path.basename(shard) || shard === '..' || shard === '.') {
      throw new Error(`${indexPath}: weight_map entry ${name} names an invalid shard`);
    }
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const weights = new Map<string, WeightTensor>();
  for (const [shard, names] of byShard) {
    const file = path.join(path.dirname(indexPath), shard);
    const tensors = await readShard(file);
    for (const name of names) {
      const tensor = tensors.get(name);
      if (tensor === undefined) throw new Error(`${indexPath}: ${name} is mapped to ${shard}, which does not contain it`);
      weights.set(name, tensor);
    }
  }
  return weights;
}

// Same preference order as transformers' from_pretrained: safetensors first, sharded after single.
const CANDIDATES: readonly (readonly [string, (file: string) => Promise<Weights>])[] = [
  ['model.safetensors', readSafetensors],
  ['model.safetensors.index.json', readSafetensorsIndex],
  ['pytorch_model.bin', readPytorchBin],
  ['pytorch_model.bin.index.json', readPytorchBinIndex],
];

/** Read the weights of a Hugging Face model folder, whichever format it was saved in. */
export async function readCheckpoint(folder: string): Promise<Weights> {
  for (const [file, read] of CANDIDATES) {
    const candidate = path.join(folder, file);
    if (await exists(candidate)) return read(candidate);
  }
  throw new Error(`${folder}: no checkpoint found (looked for ${CANDIDATES.map(([file]) => file).join(', ')})`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
