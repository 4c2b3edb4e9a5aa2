/**
 * engine/hub/model-files: from a repository's listing, the files transformers' from_pretrained
 * would fetch — configs and tokenizer files, and one weight format in its order of preference
 * (model.safetensors, its sharded index, pytorch_model.bin, its sharded index).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelFilesToFetch } from '../../engine/hub/model-files.js';

/** Order does not matter to the caller (each file is downloaded on its own). */
function fetched(files: readonly string[]): string[] {
  return [...modelFilesToFetch(files)].sort();
}

describe('modelFilesToFetch', () => {
  it('distilbert-base-uncased: safetensors and the tokenizer, none of the other frameworks copies', () => {
    const listing = [
      '.gitattributes', 'LICENSE', 'README.md', 'config.json', 'flax_model.msgpack', 'model.safetensors',
      'onnx/config.json', 'onnx/model.onnx', 'onnx/special_tokens_map.json', 'onnx/tokenizer.json', 'onnx/tokenizer_config.json', 'onnx/vocab.txt',
      'pytorch_model.bin', 'rust_model.ot', 'tf_model.h5', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt',
    ];
    assert.deepEqual(fetched(listing), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  });

  it('a sharded safetensors repo: the index and every shard, not the .bin shards it also carries', () => {
    const listing = [
      'README.md', 'config.json', 'generation_config.json',
      'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json',
      'pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin', 'pytorch_model.bin.index.json',
      'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'merges.txt', 'vocab.json',
    ];
    assert.deepEqual(fetched(listing), [
      'config.json', 'generation_config.json', 'merges.txt',
      'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json',
      'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json',
    ]);
  });

  it('a pytorch-only repo (bert-base-cased as first uploaded): pytorch_model.bin', () => {
    const listing = ['.gitattributes', 'README.md', 'config.json', 'pytorch_model.bin', 'tf_model.h5', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'];
    assert.deepEqual(fetched(listing), ['config.json', 'pytorch_model.bin', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  });

  it('a sharded pytorch repo: the .bin index and its shards', () => {
    const listing = ['config.json', 'pytorch_model-00001-of-00003.bin', 'pytorch_model-00002-of-00003.bin', 'pytorch_model-00003-of-00003.bin', 'pytorch_model.bin.index.json', 'tokenizer.json', 'tf_model.h5'];
    assert.deepEqual(fetched(listing), [
      'config.json', 'pytorch_model-00001-of-00003.bin', 'pytorch_model-00002-of-00003.bin', 'pytorch_model-00003-of-00003.bin', 'pytorch_model.bin.index.json', 'tokenizer.json',
    ]);
  });

  it('Marian (Helsinki-NLP/opus-mt-en-de): both SentencePiece models and vocab.json', () => {
    const listing = [
      '.gitattributes', 'README.md', 'config.json', 'generation_config.json', 'metadata.json', 'pytorch_model.bin', 'rust_model.ot',
      'source.spm', 'target.spm', 'tf_model.h5', 'tokenizer_config.json', 'vocab.json',
    ];
    assert.deepEqual(fetched(listing), ['config.json', 'generation_config.json', 'pytorch_model.bin', 'source.spm', 'target.spm', 'tokenizer_config.json', 'vocab.json']);
  });

  it('SentencePiece models under their other names, and added tokens', () => {
    const listing = ['config.json', 'model.safetensors', 'sentencepiece.bpe.model', 'spiece.model', 'added_tokens.json', 'special_tokens_map.json'];
    assert.deepEqual(fetched(listing), ['added_tokens.json', 'config.json', 'model.safetensors', 'sentencepiece.bpe.model', 'special_tokens_map.json', 'spiece.model']);
  });

  it('ignores look-alikes: files in folders, other weight files, and near-miss names', () => {
    const listing = [
      'config.json', 'model.safetensors', 'checkpoint-500/model.safetensors', 'checkpoint-500/config.json', 'training_args.bin',
      'optimizer.pt', 'model.safetensors.bak', 'my-config.json', 'vocab.txt.orig', 'onnx/model.spm',
    ];
    assert.deepEqual(fetched(listing), ['config.json', 'model.safetensors']);
  });

  it('without a weight file gives only the side files, which modelFolder then rejects', () => {
    assert.deepEqual(fetched(['config.json', 'tf_model.h5', 'flax_model.msgpack', 'tokenizer.json']), ['config.json', 'tokenizer.json']);
    assert.deepEqual(fetched([]), []);
  });
});
