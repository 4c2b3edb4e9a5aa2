"""PyTorch baseline for bench/tune.ts: the training pgml.tune runs, in plain torch.

transformers is not installed, so the models are written out in torch.nn:
  --task classification: bench/engine-torch.py's DistilBertLike (the Hugging Face DistilBERT layout),
      AdamW weight decay 0.01, a batch of `--batch` full-length random sequences and labels;
  --task seq2seq: BartLike below (BartForConditionalGeneration's layout: shared embeddings tied to
      the LM head, learned positions with BART's offset of 2, embedding LayerNorm, post-LN layers,
      the decoder's causal self-attention and cross-attention), teacher-forced on `--batch` random
      inputs of `--seq` tokens and targets of `--target-seq` (decoder inputs shifted right from
      decoder_start_token_id 2), AdamW weight decay 0 (transformers' default, as the bench's tune).
Both train as transformers' Trainer would: AdamW lr 5e-5, linear decay to 0 over the steps,
gradient norm clipped at 1, dropout on. Each step is one batch in one pass: torch has no 4 GiB heap
to split it for. Per-step times on stderr as they come, one JSON object on stdout. Run by
bench/tune.ts with OPENBLAS_CORETYPE=SkylakeX (tfjs-engine.md section 0).
"""
import argparse
import importlib.util
import json
import os
import resource
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

BART_VOCAB, BART_PAD, BART_START, BART_EOS = 50265, 1, 2, 2


def engine_torch():
    # engine-torch.py has a hyphen in its name, so it is loaded by path rather than imported.
    spec = importlib.util.spec_from_file_location('engine_torch', Path(__file__).with_name('engine-torch.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BartAttention(nn.Module):
    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x, memory, mask):
        b, t, d = x.shape
        split = lambda y: y.view(b, y.shape[1], self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        # BartAttention scales the queries by head_dim ** -0.5 before the product.
        q, k, v = split(self.q_proj(x) * (d // self.heads) ** -0.5), split(self.k_proj(memory)), split(self.v_proj(memory))
        probs = F.dropout((q @ k.transpose(-1, -2) + mask).softmax(-1), self.dropout, self.training)
        return self.out_proj((probs @ v).transpose(1, 2).reshape(b, t, d))


class BartLayer(nn.Module):
    """BartEncoderLayer, or with `cross` BartDecoderLayer: post-LN, dropout 0.1 everywhere as in bart-base."""

    def __init__(self, dim, heads, ffn, cross, dropout=0.1):
        super().__init__()
        self.dropout = dropout
        self.self_attn = BartAttention(dim, heads, dropout)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        if cross:
            self.encoder_attn = BartAttention(dim, heads, dropout)
            self.encoder_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, ffn), nn.Linear(ffn, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, x, self_mask, memory=None, cross_mask=None):
        drop = lambda y: F.dropout(y, self.dropout, self.training)  # noqa: E731
        x = self.self_attn_layer_norm(x + drop(self.self_attn(x, x, self_mask)))
        if memory is not None:
            x = self.encoder_attn_layer_norm(x + drop(self.encoder_attn(x, memory, cross_mask)))
        return self.final_layer_norm(x + drop(self.fc2(drop(F.gelu(self.fc1(x))))))


class BartLike(nn.Module):
    def __init__(self, layers, dim=768, heads=12, ffn=3072, vocab=BART_VOCAB, positions=1024):
        super().__init__()
        self.shared = nn.Embedding(vocab, dim, padding_idx=BART_PAD)
        self.encoder_positions, self.decoder_positions = (nn.Embedding(positions + 2, dim) for _ in range(2))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)  # layernorm_embedding
        self.encoder = nn.ModuleList(BartLayer(dim, heads, ffn, cross=False) for _ in range(layers))
        self.decoder = nn.ModuleList(BartLayer(dim, heads, ffn, cross=True) for _ in range(layers))
        self.register_buffer('final_logits_bias', torch.zeros(1, vocab))
        # BartPreTrainedModel._init_weights (init_std 0.02): torch's N(0, 1) embeddings would start the loss near 500.
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)
        with torch.no_grad():
            self.shared.weight[BART_PAD].zero_()

    def embed(self, ids, positions, norm):
        x = self.shared(ids) + positions(torch.arange(ids.shape[1]) + 2)
        return F.dropout(norm(x), 0.1, self.training)

    def forward(self, ids, attention_mask, decoder_ids):
        low = torch.finfo(torch.float32).min
        source_mask = (1.0 - attention_mask[:, None, None, :].float()) * low
        x = self.embed(ids, self.encoder_positions, self.encoder_norm)
        for layer in self.encoder:
            x = layer(x, source_mask)
        t = decoder_ids.shape[1]
        causal = torch.full((t, t), low).triu(1)
        y = self.embed(decoder_ids, self.decoder_positions, self.decoder_norm)
        for layer in self.decoder:
            y = layer(y, causal, x, source_mask)
        return F.linear(y, self.shared.weight) + self.final_logits_bias  # the LM head is the shared table


def classification(args):
    """The model, its AdamW weight decay, and a step's loss on a new random batch."""
    model = engine_torch().DistilBertLike(args.layers)
    attention_mask = torch.ones(args.batch, args.seq, dtype=torch.long)

    def loss():
        # A new batch every step, as the tuner reads new rows; ids avoid the special tokens 0–4.
        ids = torch.randint(5, 30522, (args.batch, args.seq))
        return F.cross_entropy(model(ids, attention_mask), torch.arange(args.batch) % 2)
    return model, 0.01, loss


def seq2seq(args):
    model = BartLike(args.layers)
    attention_mask = torch.ones(args.batch, args.seq, dtype=torch.long)

    def loss():
        # As the tokenizer leaves them after truncation: <s> … </s> (ids 4 and up are ordinary tokens).
        ids = torch.randint(4, BART_VOCAB - 1, (args.batch, args.seq))
        ids[:, 0], ids[:, -1] = 0, BART_EOS
        labels = torch.randint(4, BART_VOCAB - 1, (args.batch, args.target_seq))
        labels[:, 0], labels[:, -1] = 0, BART_EOS
        # shift_tokens_right: the decoder reads the start token, then the labels but the last.
        decoder_ids = torch.cat([torch.full((args.batch, 1), BART_START), labels[:, :-1]], dim=1)
        logits = model(ids, attention_mask, decoder_ids)
        return F.cross_entropy(logits.reshape(-1, BART_VOCAB), labels.reshape(-1), ignore_index=-100)
    return model, 0.0, loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--task', choices=('classification', 'seq2seq'), default='classification')
    for name, default in (('steps', 3), ('batch', 16), ('seq', 128), ('target-seq', 32), ('layers', 6), ('seed', 42)):
        parser.add_argument(f'--{name}', type=int, default=default)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    model, weight_decay, batch_loss = (seq2seq if args.task == 'seq2seq' else classification)(args)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=weight_decay)
    # transformers' linear schedule without warm-up: lr × (1 − step / steps).
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / args.steps))
    step_ms, cpu_ms, losses = [], [], []
    for step in range(args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        optimizer.zero_grad(set_to_none=True)
        loss = batch_loss()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        step_ms.append((time.perf_counter() - start) * 1000)
        # CPU time of every thread: less sensitive than wall time to other jobs on the machine.
        cpu_ms.append((time.process_time() - cpu_start) * 1000)
        print(f'  PyTorch step {step + 1}/{args.steps}: {step_ms[-1]:.0f} ms ({cpu_ms[-1]:.0f} ms CPU), loss {losses[-1]:.4f}', file=sys.stderr, flush=True)
    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': engine_torch().loaded_blas(),
        'parameters': sum(p.numel() for p in model.parameters()),
        'step_ms': step_ms,
        'cpu_ms': cpu_ms,
        'losses': losses,
        # ru_maxrss is in kB on Linux.
        'rss_peak': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == '__main__':
    main()
