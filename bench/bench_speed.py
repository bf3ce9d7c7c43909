#!/usr/bin/env python
"""Training and evaluation throughput on real data: lamp_pyg against the dense
padded fp32 reference of the released code (``bench/reference.py``), side by side.

    python bench/bench_speed.py --data-root ../shared/data \
        --out records/bench/speed-$(date +%F).md               # ~30 min on 2 idle cores
    python bench/bench_speed.py --data-root ../shared/data --datasets bibtex --rounds 3

For each dataset (its config in ``configs/``, paper settings, prior label graph):

- **train**: the same real training batches (batch 32, drawn at random from the
  training split) go through one optimizer step of each arm, interleaved
  (reference, lamp_pyg, reference, lamp_pyg, ...); medians of wall time per step.
  Arm ``lamp_pyg+bucket`` takes batches from ``bucketed_order`` (inputs of similar
  length, ``train.bucket_by_length``), so its batches differ; its samples/s is
  comparable, its loss is not. Every arm starts from the same weights.
- **eval**: one random subset of valid + test is scored by each arm: the reference
  in batches of 32 in dataset order, padded (as the original scores), lamp_pyg
  through ``predict_scores`` (batches of 128 sorted by length). Samples/s.
- **memory**: peak RSS of a fresh process running a few training steps of one arm.
- **bf16**: matmul rates in fp32 and bf16 (``bench_core.matmul_rates``: 2048 x 2048,
  bf16 only at 256 x 256 where the CPU has no fast bf16, each bounded to ~2 s), to show
  whether this CPU has fast bf16 (AMX / AVX512-BF16); the bf16 training arm runs only
  where it does, or with ``--bf16``.

Ratios are measured in one process, so machine noise hits both arms alike; the
load average is recorded.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Dict, List

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_core import (loadavg, machine_info, matmul_line, matmul_rates,  # noqa: E402
                              proc_status, write_report)
from bench.records import record_command  # noqa: E402

# Measured with the released QData/LaMP code on a machine of this kind, paper settings,
# 2 threads (issue 5; the method in docs/lamp-notes.md): seconds per training batch and per
# training epoch. Shown next to our numbers; not measured by this script.
ORIGINAL = {"bibtex": {"s_per_batch": 1.49, "epoch_s": 204},
            "reuters": {"epoch_s": 345}, "delicious": {"epoch_s": 6119}}
ARMS = ("reference", "lamp_pyg", "lamp_pyg+bucket")


def load_run(name: str, data_root: str):
    """Datasets, label graph and a lamp_pyg model built from ``configs/<name>.yaml``."""
    import torch
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training import build
    cfg = load_config(REPO / "configs" / f"{name}.yaml", [f"data.root={data_root}"])
    torch.manual_seed(0)
    ds, graph, model = build(cfg)
    return cfg, ds, graph, model


def reference_for(model, graph):
    from bench.reference import ReferenceLaMP, copy_from_lamp
    c = model.config
    ref = ReferenceLaMP(c.num_labels, c.vocab_size, graph.edge_index, d_model=c.d_model,
                        d_ff=c.d_ff, heads=c.heads, n_layers_enc=c.n_layers_enc,
                        n_layers_dec=c.n_layers_dec, dropout=c.dropout,
                        positional=c.positional, max_positions=c.max_positions)
    return copy_from_lamp(ref, model)


def padded(batch):
    """``Long[B, S]`` token ids padded with 0, as the original's data loader gives them."""
    from torch_geometric.utils import to_dense_batch
    tok = batch["token"]
    x, _ = to_dense_batch(tok.x, tok.batch, fill_value=0, batch_size=batch.num_graphs)
    return x


def adam(model, t):
    """Plain (not fused) Adam with the ``train`` section's settings, as the released code."""
    import torch
    from lamp_pyg.training.setup import adam_settings
    return torch.optim.Adam(model.parameters(), **adam_settings(t))


def train_steps(name: str, data_root: str, rounds: int, warmup: int, arms=ARMS) -> dict:
    import copy

    import numpy as np
    import torch
    from torch_geometric.loader import DataLoader

    from lamp_pyg.training.batches import bucketed_order
    from lamp_pyg.training.setup import make_optimizer
    cfg, ds, graph, model = load_run(name, data_root)
    ref = reference_for(model, graph)
    B = cfg.train.batch_size
    train = ds["train"]
    n = len(train)
    g = torch.Generator().manual_seed(1)
    order = torch.randperm(n, generator=g).tolist()
    plain = [order[i * B:(i + 1) * B] for i in range(warmup + rounds)]
    lengths = train.input_sizes()
    bucketed = bucketed_order(lengths, B, seed=1, epoch=0)
    buck = [bucketed[i * B:(i + 1) * B] for i in range(warmup + rounds)]

    def batch_of(idx):
        return next(iter(DataLoader(train[torch.tensor(idx)], batch_size=len(idx))))

    lamp_b = copy.deepcopy(model)
    models = {"reference": ref, "lamp_pyg": model, "lamp_pyg+bucket": lamp_b}
    opts = {"reference": adam(ref, cfg.train), "lamp_pyg": make_optimizer(model, cfg.train, torch.device("cpu")),
            "lamp_pyg+bucket": make_optimizer(lamp_b, cfg.train, torch.device("cpu"))}
    for m in models.values():
        m.train()

    def step(arm, batch):
        m, opt = models[arm], opts[arm]
        y = batch["label"].y
        opt.zero_grad(set_to_none=True)
        if arm == "reference":
            loss = m.loss(m(padded(batch)), y)
        else:
            loss = m.loss(m(batch), y)
        loss.backward()
        opt.step()

    times: Dict[str, List[float]] = {a: [] for a in arms}
    pads: Dict[str, List[int]] = {a: [] for a in arms}
    loads = [loadavg()]
    for i in range(warmup + rounds):
        for arm in arms:
            batch = batch_of(buck[i] if arm == "lamp_pyg+bucket" else plain[i])
            t = time.perf_counter()
            step(arm, batch)
            if i >= warmup:
                times[arm].append(time.perf_counter() - t)
                pads[arm].append(int(torch.bincount(batch["token"].batch).max()))
    loads.append(loadavg())
    tokens = float(np.mean(lengths))
    return {"times": times, "longest": pads, "loadavg": loads, "batch_size": B,
            "train_samples": n, "steps_per_epoch": -(-n // B), "mean_tokens": tokens,
            "label_edges": int(graph.edge_index.size(1)), "num_labels": graph.num_labels}


def eval_speed(name: str, data_root: str, samples: int) -> dict:
    import torch
    from torch_geometric.loader import DataLoader

    from lamp_pyg.training import predict_scores
    cfg, ds, graph, model = load_run(name, data_root)
    ref = reference_for(model, graph).eval()
    out = {}
    for split in ("valid", "test"):
        d = ds[split]
        k = min(samples // 2, len(d))
        idx = torch.randperm(len(d), generator=torch.Generator().manual_seed(2))[:k]
        sub = d[idx]
        t = time.perf_counter()
        predict_scores(model, sub, torch.device("cpu"), "fp32", cfg.train.eval_batch_size)
        t_lamp = time.perf_counter() - t
        t = time.perf_counter()
        with torch.no_grad():
            for batch in DataLoader(sub, batch_size=cfg.train.batch_size):
                torch.sigmoid(ref(padded(batch)))
        t_ref = time.perf_counter() - t
        out[split] = {"samples": k, "split_size": len(d), "lamp_pyg_s": t_lamp,
                      "reference_s": t_ref}
    out["loadavg"] = loadavg()
    return out


def memory(name: str, data_root: str, arm: str, steps: int) -> dict:
    import torch
    import torch_geometric.loader  # noqa: F401
    import bench.reference  # noqa: F401
    rss0 = proc_status()["VmRSS"]
    res = train_steps(name, data_root, rounds=steps, warmup=0, arms=(arm,))
    return {"rss_start": rss0, "peak": proc_status()["VmHWM"], "times": res["times"][arm]}


def child(argv) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what")
    p.add_argument("--name")
    p.add_argument("--data-root")
    p.add_argument("--arm")
    p.add_argument("--steps", type=int, default=3)
    a = p.parse_args(argv)
    if a.what == "memory":
        print(json.dumps(memory(a.name, a.data_root, a.arm, a.steps)))


def run_child(argv, timeout=7200) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child"] + argv
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-2000:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(argv[1:])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=os.environ.get("LAMP_PYG_DATA"),
                   help="folder holding mulan/, reuters21578/ (default: $LAMP_PYG_DATA)")
    p.add_argument("--datasets", default="bibtex,reuters,delicious")
    p.add_argument("--rounds", type=int, default=0,
                   help="timed training steps per arm (default: 12, delicious 3)")
    p.add_argument("--eval-samples", type=int, default=0,
                   help="valid + test samples scored (default: 1024, delicious 256)")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--out", help="markdown report (a .json twin is written too)")
    a = p.parse_args(argv)
    if not a.data_root:
        p.error("--data-root (or $LAMP_PYG_DATA) is required: the real benchmark data")
    import torch
    report = {"command": record_command("bench/bench_speed.py", argv),
              "date": datetime.now().isoformat(timespec="seconds"),
              "machine": machine_info(), "matmul_gflops": matmul_rates(), "datasets": {}}
    from lamp_pyg.training.setup import fast_bf16
    report["fast_bf16"] = fast_bf16(torch.device("cpu"))
    t0 = time.time()
    for name in a.datasets.split(","):
        heavy = name == "delicious"
        rounds = a.rounds or (3 if heavy else 12)
        print(f"[{name}] training steps x {rounds}", file=sys.stderr)
        row = {"train": train_steps(name, a.data_root, rounds, warmup=1)}
        print(f"[{name}] evaluation", file=sys.stderr)
        row["eval"] = eval_speed(name, a.data_root, a.eval_samples or (256 if heavy else 1024))
        if not a.no_memory:
            row["memory"] = {}
            for arm in ("reference", "lamp_pyg"):
                print(f"[{name}] memory {arm}", file=sys.stderr)
                row["memory"][arm] = run_child(["memory", "--name", name, "--data-root",
                                                a.data_root, "--arm", arm,
                                                "--steps", "2" if heavy else "4"])
        report["datasets"][name] = row
    report["elapsed_s"] = time.time() - t0
    text = render(report)
    print(text)
    if a.out:
        write_report(a.out, text, report)
    return 0


def render(r) -> str:
    m = r["machine"]
    g = r["matmul_gflops"]
    lines = [
        "# lamp_pyg training and evaluation speed on real data",
        "",
        f"- command: `{r['command']}`",
        f"- date: {r['date']} (elapsed {r['elapsed_s']:.0f} s)",
        f"- machine: {m['cpu']}, {m['usable_cores']} usable cores, torch threads "
        f"{m['torch_threads']}; torch {m['torch']}, PyG {m['torch_geometric']}, "
        f"torch_scatter {m['torch_scatter']}",
        f"- {matmul_line(g)}; "
        f"fast bf16 (AMX / AVX512-BF16) detected: {r['fast_bf16']}. "
        + ("bf16 is slower than fp32 here, so `precision: auto` runs fp32 and no bf16 arm ran."
           if not r["fast_bf16"] else ""),
        "- arms: **reference** = `bench/reference.py` (the released code's computation: "
        "padded batches, discarded encoder attention, Conv1d FFN, fp32); **lamp_pyg** = "
        "`LaMP` with the config's settings (fp32, cheap-mask dropout, shared first-layer "
        "label queries, fused Adam); **lamp_pyg+bucket** = the same with "
        "`train.bucket_by_length: true`.",
        "",
        "## Training (paper settings, prior graph, batch 32; median s/step over interleaved steps)",
        "",
        "| dataset | L | train samples | mean tokens | reference s/step | lamp_pyg s/step | "
        "lamp_pyg+bucket s/step | speed-up | speed-up with bucketing | lamp_pyg samples/s | "
        "epoch: reference / lamp_pyg / +bucket (est.) | original epoch (measured elsewhere) | "
        "load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in r["datasets"].items():
        t = row["train"]
        med = {a: median(v) for a, v in t["times"].items()}
        spe = t["steps_per_epoch"]
        orig = ORIGINAL.get(name, {}).get("epoch_s")
        lines.append(
            f"| {name} | {t['num_labels']} | {t['train_samples']} | {t['mean_tokens']:.1f} | "
            f"{med['reference']:.3f} | {med['lamp_pyg']:.3f} | {med['lamp_pyg+bucket']:.3f} | "
            f"{med['reference'] / med['lamp_pyg']:.2f}x | "
            f"{med['reference'] / med['lamp_pyg+bucket']:.2f}x | "
            f"{t['batch_size'] / med['lamp_pyg']:.1f} | "
            f"{_dur(spe * med['reference'])} / {_dur(spe * med['lamp_pyg'])} / "
            f"{_dur(spe * med['lamp_pyg+bucket'])} | {_dur(orig) if orig else '-'} | "
            f"{t['loadavg'][0]:.1f} -> {t['loadavg'][1]:.1f} |")
    lines += ["", "Longest input per timed batch (tokens; the reference pads to it): "]
    for name, row in r["datasets"].items():
        t = row["train"]
        lines.append(f"- {name}: plain batches median {median(t['longest']['reference']):.0f}, "
                     f"bucketed batches median {median(t['longest']['lamp_pyg+bucket']):.0f}; "
                     f"{len(t['times']['reference'])} timed steps per arm")
    lines += ["", "## Evaluation (valid + test subsets, forward only)", "",
              "| dataset | samples scored | reference samples/s | lamp_pyg samples/s | speed-up | "
              "full valid+test: reference / lamp_pyg (est.) |", "|---|---|---|---|---|---|"]
    for name, row in r["datasets"].items():
        e = row["eval"]
        n = sum(e[s]["samples"] for s in ("valid", "test"))
        full = sum(e[s]["split_size"] for s in ("valid", "test"))
        tr = sum(e[s]["reference_s"] for s in ("valid", "test"))
        tl = sum(e[s]["lamp_pyg_s"] for s in ("valid", "test"))
        lines.append(f"| {name} | {n} | {n / tr:.1f} | {n / tl:.1f} | {tr / tl:.2f}x | "
                     f"{_dur(full * tr / n)} / {_dur(full * tl / n)} |")
    if any("memory" in row for row in r["datasets"].values()):
        lines += ["", "## Peak memory (fresh process per arm, a few training steps)", "",
                  "| dataset | reference peak MB | lamp_pyg peak MB | ratio |", "|---|---|---|---|"]
        for name, row in r["datasets"].items():
            mem = row.get("memory")
            if not mem:
                continue
            if any("error" in v for v in mem.values()):
                lines.append(f"| {name} | error | error | {mem} |")
                continue
            a, b = mem["reference"]["peak"] / 2 ** 20, mem["lamp_pyg"]["peak"] / 2 ** 20
            lines.append(f"| {name} | {a:,.0f} | {b:,.0f} | {b / a:.2f} |")
    lines += ["", "Raw numbers: the JSON twin of this file."]
    return "\n".join(lines) + "\n"


def _dur(s: float) -> str:
    return f"{s / 3600:.2f} h" if s >= 3600 else f"{s / 60:.1f} min" if s >= 60 else f"{s:.0f} s"


if __name__ == "__main__":
    sys.exit(main())
