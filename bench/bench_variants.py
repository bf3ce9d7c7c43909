#!/usr/bin/env python
"""Seconds per training step and per scored sample of one config's variants, side by side.

    python bench/bench_variants.py --config configs/own_data.yaml --data-root ../shared/data \
        --set data.name=delicious ... \
        --variant "graph.kind=prior" --variant "graph.kind=knn" \
        --variant "graph.kind=knn model.n_layers_dec=1" --out records/bench/variants-X.md

What it answers: which settings of a recipe a user can afford on their data (the label
graph kind, the precision, the depth), before training for hours. Every variant is the
config plus ``--set`` overrides plus its own overrides; the data section must be the same
for all (the datasets are built once). In one process, the variants take turns on the same
training batches (``train.bucket_by_length`` order, as training draws them), each step =
zero_grad + forward (under the variant's precision) + loss + backward + Adam; medians after
the warm-up steps. Scoring: ``predict_scores`` on the first ``--eval-samples`` validation
samples with the variant's ``train.eval_batch_size``; the per-epoch estimate is steps per
epoch x s/step and the scoring estimate covers valid + test.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Dict, List

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_core import loadavg, machine_info, write_report  # noqa: E402
from bench.records import portable_path, record_command  # noqa: E402


def build_variants(config: str, common: List[str], variants: List[List[str]]):
    """``[(name, cfg, model, optimizer)]`` plus the shared datasets."""
    import torch
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.setup import (build_label_graph, load_datasets, make_optimizer,
                                         model_config)
    from lamp_pyg.models import LaMP
    cfgs = [load_config(config, common + v) for v in variants]
    if len({json.dumps(str(c.data)) for c in cfgs}) != 1:
        raise ValueError("the variants must share the data section (it is built once)")
    ds = load_datasets(cfgs[0])
    out = []
    for v, cfg in zip(variants, cfgs):
        torch.manual_seed(cfg.train.seed)
        graph = build_label_graph(cfg, ds["train"])
        model = LaMP(model_config(cfg, ds["train"]), graph.edge_index)
        out.append((" ".join(v) or "(config as is)", cfg, model,
                    make_optimizer(model, cfg.train, torch.device("cpu")),
                    int(graph.edge_index.size(1))))
    return ds, out


def measure(ds, arms, steps: int, warmup: int, eval_samples: int) -> Dict[str, dict]:
    import torch
    from torch_geometric.loader import DataLoader
    from lamp_pyg.training.batches import bucketed_order, predict_scores
    from lamp_pyg.training.setup import autocast
    cpu = torch.device("cpu")
    train, B = ds["train"], arms[0][1].train.batch_size
    order = bucketed_order(train.input_sizes(), B, seed=1, epoch=0)
    times: Dict[str, List[float]] = {a[0]: [] for a in arms}
    # train.compile: as the training loop, the training forward pass is compiled
    net = {name: torch.compile(model, dynamic=True) if cfg.train.compile else model
           for name, cfg, model, _, _ in arms}
    for i in range(warmup + steps):
        batch = next(iter(DataLoader(train[torch.tensor(order[i * B:(i + 1) * B])],
                                     batch_size=B)))
        for name, cfg, model, opt, _ in arms:
            model.train()
            t = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            with autocast(cfg.train.precision, cpu):
                out = net[name](batch)
            model.loss(out, batch["label"].y).backward()
            opt.step()
            if i >= warmup:
                times[name].append(time.perf_counter() - t)
    sub = ds["valid"][torch.arange(min(eval_samples, len(ds["valid"])))]
    res, n_score = {}, len(ds["valid"]) + len(ds["test"])
    for name, cfg, model, _, edges in arms:
        t = time.perf_counter()
        predict_scores(model.eval(), sub, cpu, cfg.train.precision, cfg.train.eval_batch_size)
        per_sample = (time.perf_counter() - t) / len(sub)
        s = median(times[name])
        res[name] = {"s_per_step": s, "steps": times[name], "label_edges": edges,
                     "epoch_min": s * -(-len(train) // B) / 60,
                     "eval_ms_per_sample": 1000 * per_sample,
                     "valid_test_min": per_sample * n_score / 60,
                     "precision": cfg.train.precision}
    return res


def render(r) -> str:
    m = r["machine"]
    lines = [f"# Variants of `{r['config']}`, side by side", "",
             f"- command: `{r['command']}`",
             f"- date: {r['date']}; machine: {m['cpu']}, {m['usable_cores']} usable cores, "
             f"torch threads {r['threads']}; torch {m['torch']}, PyG {m['torch_geometric']}; "
             f"load average {r['loadavg'][0]:.2f} -> {r['loadavg'][1]:.2f}",
             f"- data: {r['train_samples']} training samples, {r['num_labels']} labels; "
             f"{r['steps']} timed steps per variant after {r['warmup']} warm-up, interleaved",
             "", "| variant | precision | label edges | s/step (median) | training epoch (est.) "
             "| scoring ms/sample | valid + test scoring (est.) |", "|---|---|---|---|---|---|---|"]
    for name, v in r["variants"].items():
        lines.append(f"| `{name}` | {v['precision']} | {v['label_edges']:,} | "
                     f"{v['s_per_step']:.3f} | {v['epoch_min']:.1f} min | "
                     f"{v['eval_ms_per_sample']:.1f} | {v['valid_test_min']:.1f} min |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    import torch
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True)
    p.add_argument("--data-root", default=None, help="data.root for every variant")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override for every variant (repeatable)")
    p.add_argument("--variant", action="append", required=True,
                   help="space-separated KEY=VALUE overrides of one variant (repeatable)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--eval-samples", type=int, default=256)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--out", help="markdown report (a .json twin is written)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    common = a.set + ([f"data.root={a.data_root}"] if a.data_root else [])
    load0 = loadavg()
    ds, arms = build_variants(a.config, common, [shlex.split(v) for v in a.variant])
    res = measure(ds, arms, a.steps, a.warmup, a.eval_samples)
    r = {"config": portable_path(a.config),
         "command": record_command("bench/bench_variants.py", argv or sys.argv[1:]),
         "date": datetime.now().strftime("%Y-%m-%d %H:%M"), "machine": machine_info(),
         "threads": torch.get_num_threads(), "loadavg": [load0, loadavg()],
         "train_samples": len(ds["train"]), "num_labels": ds["train"].num_labels,
         "steps": a.steps, "warmup": a.warmup, "variants": res}
    text = render(r)
    print(text)
    if a.out:
        write_report(a.out, text, r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
