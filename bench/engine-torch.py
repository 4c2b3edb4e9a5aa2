"""PyTorch baseline for bench/engine.ts: the same DistilBERT-shaped model in plain torch.nn.

transformers is not installed, so the model is written out here with the Hugging Face layout
(embeddings + LayerNorm, post-LN blocks of attention and an erf-GELU FFN, pre_classifier with
ReLU, classifier on [CLS]). Random weights, one fixed batch. Prints one JSON object on stdout.
Run by bench/engine.ts with OPENBLAS_CORETYPE=SkylakeX (tfjs-engine.md section 0).
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, dim, heads, ffn, dropout):
        super().__init__()
        self.heads = heads
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(dim, dim) for _ in range(4))
        self.sa_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.lin1, self.lin2 = nn.Linear(dim, ffn), nn.Linear(ffn, dim)
        self.output_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask):
        b, s, d = x.shape
        split = lambda t: t.view(b, s, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q_lin(x)), split(self.k_lin(x)), split(self.v_lin(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + mask
        context = (self.dropout(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, s, d)
        x = self.sa_layer_norm(self.out_lin(context) + x)
        return self.output_layer_norm(self.dropout(self.lin2(F.gelu(self.lin1(x)))) + x)


class DistilBertLike(nn.Module):
    def __init__(self, layers, dim=768, heads=12, ffn=3072, vocab=30522, positions=512, labels=2):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim, padding_idx=0)
        self.position_embeddings = nn.Embedding(positions, dim)
        self.embed_norm = nn.LayerNorm(dim, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.blocks = nn.ModuleList(Block(dim, heads, ffn, 0.1) for _ in range(layers))
        self.pre_classifier = nn.Linear(dim, dim)
        self.classifier = nn.Linear(dim, labels)
        self.head_dropout = nn.Dropout(0.2)  # seq_classif_dropout

    def forward(self, ids, attention_mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.dropout(self.embed_norm(self.word_embeddings(ids) + self.position_embeddings(positions)))
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for block in self.blocks:
            x = block(x, mask)
        return self.classifier(self.head_dropout(F.relu(self.pre_classifier(x[:, 0]))))


def loaded_blas():
    """The BLAS library this process mapped: Debian's torch takes whichever libblas.so.3 the
    alternatives system points at, and without OpenBLAS that is the reference BLAS (~3 GFLOP/s, a
    baseline 30-50x too slow to compare with)."""
    with open('/proc/self/maps') as maps:
        paths = {line.split()[-1] for line in maps if 'blas' in line and '/' in line}
    return ', '.join(sorted(paths)) or 'none'


def vm_hwm_bytes():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) * 1024
    return 0


def timed(step, warmup, rounds):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser()
    for name, default in (('rounds', 3), ('warmup', 1), ('batch', 8), ('seq', 128), ('layers', 6)):
        parser.add_argument(f'--{name}', type=int, default=default)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    model = DistilBertLike(args.layers)
    ids = torch.randint(1, 30522, (args.batch, args.seq))
    attention_mask = torch.ones(args.batch, args.seq, dtype=torch.long)
    labels = torch.randint(0, 2, (args.batch,))

    model.eval()

    def infer():
        with torch.no_grad():
            model(ids, attention_mask)

    forward_ms = timed(infer, args.warmup, args.rounds)
    forward_rss = vm_hwm_bytes()

    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    losses = []

    def train():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, attention_mask), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    train_ms = timed(train, args.warmup, args.rounds)
    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': loaded_blas(),
        'parameters': sum(p.numel() for p in model.parameters()),
        'forward_ms': forward_ms,
        'train_ms': train_ms,
        'losses': losses,
        'rss_peak_forward': forward_rss,
        'rss_peak': vm_hwm_bytes(),
    }))


if __name__ == '__main__':
    main()
