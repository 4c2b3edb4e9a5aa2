/**
 * A model repository's files as a local folder, the way transformers' from_pretrained fetches
 * them: the configs and tokenizer files, and one weight format (safetensors when the repo has it,
 * else pytorch_model.bin), never the TF/Flax/ONNX/Rust copies many repos also carry.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { HubError } from './errors.js';
import type { DownloadOptions, Hub } from './hub.js';
import type { RepoRef } from './repo.js';

const SIDE_FILES = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|vocab\.(txt|json)|merges\.txt|[^/]*\.spm|spiece\.model|sentencepiece\.bpe\.model)$/;
const WEIGHT_FORMATS: readonly { readonly single: string; readonly index: string; readonly shard: RegExp }[] = [
  { single: 'model.safetensors', index: 'model.safetensors.index.json', shard: /^model-\d+-of-\d+\.safetensors$/ },
  { single: 'pytorch_model.bin', index: 'pytorch_model.bin.index.json', shard: /^pytorch_model-\d+-of-\d+\.bin$/ },
];

export interface ModelFolderOptions extends DownloadOptions {
  /** Called before each file that is not yet cached, with its name and size. */
  readonly onFile?: (file: string, size: number) => void;
}

/** True when `name` is a folder holding a config.json (a user's local model, as transformers accepts). */
export async function isLocalModel(name: string): Promise<boolean> {
  if (!(name.startsWith('/') || name.startsWith('.') || name.startsWith('~'))) return false;
  return stat(path.join(name, 'config.json')).then((s) => s.isFile(), () => false);
}

/** The files transformers would load for a model, out of a repository's file list. */
export function modelFilesToFetch(files: readonly string[]): string[] {
  const top = files.filter((f) => !f.includes('/'));
  const side = top.filter((f) => SIDE_FILES.test(f));
  for (const format of WEIGHT_FORMATS) {
    if (top.includes(format.single)) return [...side, format.single];
    if (top.includes(format.index)) return [...side, format.index, ...top.filter((f) => format.shard.test(f))];
  }
  return side;
}

/** Downloads (or finds in the cache) what the model needs; returns the snapshot folder. */
export async function modelFolder(hub: Hub, repo: RepoRef, options: ModelFolderOptions = {}): Promise<string> {
  // One commit for every file (a branch moving mid-download cannot mix two versions), and files
  // already cached for it are found without asking the hub again.
  const { sha } = await hub.resolveRevision(repo, options.signal);
  const pinned: RepoRef = { ...repo, revision: sha };
  const listed = await hub.listFiles(pinned, '', options.signal);
  const sizes = new Map(listed.map((f) => [f.path, f.size]));
  const wanted = modelFilesToFetch(listed.map((f) => f.path));
  const missing = (file: string): HubError =>
    HubError.entryNotFound({ repo, path: file, endpoint: hub.options.endpoint, cacheDir: hub.options.cacheDir, hadToken: hub.options.token !== null });
  if (!wanted.includes('config.json')) throw missing('config.json');
  if (!wanted.some((f) => WEIGHT_FORMATS.some((w) => f === w.single || f === w.index))) throw missing('model.safetensors (or pytorch_model.bin)');
  const folders = new Set<string>();
  for (const file of wanted) {
    options.onFile?.(file, sizes.get(file) ?? 0);
    folders.add(path.dirname(await hub.download(pinned, file, options)));
  }
  const [folder] = folders;
  if (folder === undefined || folders.size !== 1) throw new Error(`${repo.id}: the model's files are not in one cache snapshot`);
  return folder;
}
