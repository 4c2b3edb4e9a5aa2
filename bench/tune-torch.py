"""PyTorch baseline for bench/tune.ts: the training pgml.tune runs, in plain torch.

The model is bench/engine-torch.py's DistilBertLike (the Hugging Face DistilBERT layout written out
in torch.nn, since transformers is not installed), trained as transformers' Trainer would with the
bench's hyperparams: AdamW (lr 5e-5, weight decay 0.01), linear decay to 0 over the steps, gradient
norm clipped at 1, dropout on. Each step is one batch of `--batch` full-length random sequences, in
one pass: torch has no 4 GiB heap to split it for. Per-step times on stderr as they come, one JSON
object on stdout. Run by bench/tune.ts with OPENBLAS_CORETYPE=SkylakeX (tfjs-engine.md section 0).
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


def distilbert_like():
    # engine-torch.py has a hyphen in its name, so it is loaded by path rather than imported.
    spec = importlib.util.spec_from_file_location('engine_torch', Path(__file__).with_name('engine-torch.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DistilBertLike


def main():
    parser = argparse.ArgumentParser()
    for name, default in (('steps', 3), ('batch', 16), ('seq', 128), ('layers', 6), ('seed', 42)):
        parser.add_argument(f'--{name}', type=int, default=default)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    model = distilbert_like()(args.layers)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    # transformers' linear schedule without warm-up: lr × (1 − step / steps).
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / args.steps))
    attention_mask = torch.ones(args.batch, args.seq, dtype=torch.long)
    step_ms, cpu_ms, losses = [], [], []
    for step in range(args.steps):
        # A new batch every step, as the tuner reads new rows; ids avoid the special tokens 0–4.
        ids = torch.randint(5, 30522, (args.batch, args.seq))
        labels = torch.arange(args.batch) % 2
        start, cpu_start = time.perf_counter(), time.process_time()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, attention_mask), labels)
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
        'parameters': sum(p.numel() for p in model.parameters()),
        'step_ms': step_ms,
        'cpu_ms': cpu_ms,
        'losses': losses,
        # ru_maxrss is in kB on Linux.
        'rss_peak': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == '__main__':
    main()
