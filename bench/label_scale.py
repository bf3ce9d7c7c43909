#!/usr/bin/env python
"""Training speed, peak memory and P@k at 1k / 10k / 100k labels: full LaMP, the shortlist
model and a linear one-vs-rest ranker alone, on the scaled synthetic data.

    python bench/label_scale.py --labels 1000,10000,100000 --seconds 60 \
        --out records/bench/label-scale-$(date +%F).md

Each arm runs in a fresh process (its own peak RSS, ``ru_maxrss``), with
``--threads`` torch threads, on the same data (``make_scaled_synthetic``, seed 0,
``--train`` / ``--test`` rows; features as tokens, as the dataset step encodes a sparse
source). Arms:

- ``full``: :class:`~lamp_pyg.models.LaMP` over all L labels (label graph: the data's
  known group cliques), activation checkpointing from 10k labels;
- ``shortlist``: :class:`~lamp_pyg.models.shortlist.ShortlistLaMP`, ``K = --k``, the
  rank-``--rank`` linear ranker, the same LaMP sizes;
- ``linear``: that low-rank linear ranker alone (its own BCE);
- ``wide``: the full-rank one-vs-rest linear path (``model.wide: linear``) alone (1k only:
  its ``V x L`` weights are 0.7 GB at 10k labels, 16 GB at 100k).

Training: Adam (lr 2e-3; the shortlist arm: the training loop's
:class:`~lamp_pyg.training.setup.SparseDenseAdam`, SparseAdam on the per-label and
per-feature rows, unless ``--dense-adam``), batches of ``--batch`` in a seeded random order, steps until
``--seconds`` of training time (reported: steps, samples/s over those steps). Then the
test split is scored batch by batch into top-20 label ids + probabilities (no ``[N, L]``
matrix) and evaluated with :mod:`lamp_pyg.evaluation.topk`: P@1/3/5, nDCG@1/3/5, ebF1 at
0.5, and ebF1 of the derived labels only (the labels that are a function of other
labels; true and predicted sets restricted to them).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_core import loadavg, machine_info, write_report  # noqa: E402

ARMS = ("full", "shortlist", "linear", "wide")
TOP = 20


def _data(args):
    from lamp_pyg.io.scaled_synthetic import ScaledSpec, make_scaled_synthetic
    spec = ScaledSpec.for_labels(args.L)
    return spec, make_scaled_synthetic(spec, num_train=args.train, num_test=args.test, seed=0)


def _build(args, spec):
    import torch
    from lamp_pyg.models import LaMP, LaMPConfig
    from lamp_pyg.models.shortlist import LowRankRanker, ShortlistLaMP
    from lamp_pyg.models.wide import WidePath
    V, L = spec.num_features + 4, spec.num_labels
    sizes = dict(num_labels=L, vocab_size=V, d_model=64, d_ff=128, heads=4, n_layers_enc=1,
                 n_layers_dec=2, dropout=0.1)
    edges = torch.as_tensor(spec.label_edges())
    if args.arm == "full":
        return LaMP(LaMPConfig(**sizes, checkpoint_activations=L >= 10_000), edges)
    if args.arm == "shortlist":
        return ShortlistLaMP(LaMPConfig(**sizes, shortlist=args.k, ranker_rank=args.rank), edges)
    if args.arm == "linear":
        return LowRankRanker(L, V, args.rank)
    return WidePath("linear", L, V, 0, 1, 0.0)


def _scores(args, model, inputs, targets=None):
    """Training: the loss; scoring: (top ids, probabilities, candidates or None)."""
    import torch
    from lamp_pyg.models import LaMPInputs
    from lamp_pyg.models.losses import multilabel_loss
    from lamp_pyg.nn import CompleteBipartite
    L = args.L
    if args.arm == "shortlist":
        out = model(inputs, targets)
        if targets is not None:
            return model.loss(out, targets)
        top = out.logits.topk(TOP, dim=1)
        return out.candidates.gather(1, top.indices), torch.sigmoid(top.values), out.candidates
    B = inputs.num_graphs
    if args.arm == "full":
        f2l = CompleteBipartite.from_batch(inputs.tok_batch, torch.arange(B).repeat_interleave(L), B)
        logits = model(LaMPInputs(inputs.x, None, None, None, None, f2l, B)).logits
    else:
        logits = model(inputs.x, inputs.bag_weights, inputs.bag_offsets, None)
    if targets is not None:
        y = torch.zeros(B, L)
        for row, labs in enumerate(targets):
            y[row, labs] = 1.0
        return multilabel_loss(logits, y)
    top = logits.topk(TOP, dim=1)
    return top.indices, torch.sigmoid(top.values), None


def _evaluate(args, model, spec, split):
    import numpy as np
    import torch
    from lamp_pyg.evaluation.topk import example_f1_sets, hits, predicted_at_threshold, topk_metrics
    from lamp_pyg.models.shortlist import sparse_inputs
    model.eval()
    ids, probs, recall = [], [], []
    size = args.batch if args.arm == "full" else 256  # full: B x L label states
    with torch.no_grad():
        for s in range(0, len(split), size):
            i, p, cand = _scores(args, model, sparse_inputs(split.inputs[s:s + size]))
            ids.append(i.numpy())
            probs.append(p.numpy())
            if cand is not None:
                labs = split.labels[s:s + size]
                recall.append(hits(labs, cand.numpy()).sum() / max(sum(map(len, labs)), 1))
    ids, probs = np.concatenate(ids), np.concatenate(probs)
    out = topk_metrics(split.labels, ids, probs, 0.5)
    (indptr, pred), _ = predicted_at_threshold(ids, probs, 0.5)
    pred_lists = [pred[a:b] for a, b in zip(indptr[:-1], indptr[1:])]
    only = lambda labs: [l for l in labs if spec.is_derived(l)]  # noqa: E731
    out["derived_ebF1"] = example_f1_sets([only(l) for l in split.labels],
                                          [only(l) for l in pred_lists], len(ids))
    if recall:
        out["candidate_recall"] = float(np.mean(recall))
    return out


def child(args) -> dict:
    import numpy as np
    import torch
    from lamp_pyg.models.shortlist import sparse_inputs
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec, raw = _data(args)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model = _build(args, spec)
    if args.arm == "shortlist" and not args.dense_adam:  # the training loop's optimiser
        from lamp_pyg.training import SparseDenseAdam
        opt = SparseDenseAdam(model, lr=2e-3)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    train = raw.splits["train"]
    order = np.random.default_rng(0).permutation(len(train))
    steps, spent, start = 0, 0.0, 0
    model.train()
    while spent < args.seconds and steps < args.max_steps:
        if start + args.batch > len(order):
            order, start = np.random.default_rng(steps).permutation(len(train)), 0
        rows = order[start:start + args.batch]
        start += args.batch
        inputs = sparse_inputs([train.inputs[r] for r in rows])
        labels = [train.labels[r] for r in rows]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = _scores(args, model, inputs, labels)
        loss.backward()
        opt.step()
        spent += time.perf_counter() - t0
        steps += 1
    t0 = time.perf_counter()
    metrics = _evaluate(args, model, spec, raw.splits["test"])
    return {"arm": args.arm, "labels": args.L, "steps": steps, "train_seconds": spent,
            "samples_per_s": steps * args.batch / spent, "last_loss": float(loss),
            "score_seconds": time.perf_counter() - t0,
            "parameters": sum(p.numel() for p in model.parameters()),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "rss_after_data_bytes": rss_data, "metrics": metrics, "loadavg": loadavg()}


def _row(r: dict) -> str:
    if "error" in r:
        return f"| {r['labels']:,} | {r['arm']} | failed: {r['error'][-200:]} |"
    m = r["metrics"]
    f = lambda k: "-" if k not in m else f"{m[k]:.3f}"  # noqa: E731
    return (f"| {r['labels']:,} | {r['arm']} | {r['steps']} | {r['samples_per_s']:.0f} | "
            f"{r['peak_rss_bytes'] / 2 ** 30:.2f} | {f('P@1')} | {f('P@3')} | {f('P@5')} | "
            f"{f('nDCG@5')} | {f('ebF1')} | {f('derived_ebF1')} | {f('candidate_recall')} |")


def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(l for l in f if l.startswith("flags")).split(":", 1)[1].split()
    except (OSError, StopIteration):
        return "unknown"
    keep = [x for x in flags if x.startswith(("avx", "fma", "sse4", "amx")) or x == "f16c"]
    return " ".join(keep)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", default="1000,10000,100000")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--seconds", type=float, default=60.0, help="training time per arm")
    ap.add_argument("--max-steps", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--k", type=int, default=100, help="shortlist size K")
    ap.add_argument("--rank", type=int, default=64, help="rank of the linear ranker")
    ap.add_argument("--train", type=int, default=20_000)
    ap.add_argument("--test", type=int, default=1_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip", default="full@100000,wide@10000,wide@100000",
                    help="arm@labels pairs not run (see the docstring for why)")
    ap.add_argument("--dense-adam", action="store_true",
                    help="shortlist arm: plain Adam on every parameter (the earlier record)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--arm", help=argparse.SUPPRESS)
    ap.add_argument("--L", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return
    common = [f"--{k}={getattr(args, k.replace('-', '_'))}" for k in
              ("seconds", "max-steps", "batch", "k", "rank", "train", "test", "threads")]
    common += ["--dense-adam"] if args.dense_adam else []
    skip = set(args.skip.split(",")) if args.skip else set()
    results = []
    for L in (int(x) for x in args.labels.split(",")):
        for arm in args.arms.split(","):
            if f"{arm}@{L}" in skip:
                continue
            cmd = [sys.executable, __file__, "--child", f"--arm={arm}", f"--L={L}"] + common
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
            r = (json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else
                 {"arm": arm, "labels": L, "error": f"exit {p.returncode}: {p.stderr[-1500:]}"})
            print(_row(r), file=sys.stderr, flush=True)
            results.append(r)
    cmd = "python bench/label_scale.py " + " ".join(sys.argv[1:] if argv is None else argv)
    info = machine_info()
    head = [f"# Label scale: full LaMP vs shortlist vs linear ranker\n",
            f"- command: `{cmd}`",
            f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- machine: {info['cpu']}, {info['usable_cores']} usable cores, flags: "
            f"{_cpu_flags()}; {args.threads} torch thread(s); torch {info['torch']}, "
            f"PyG {info['torch_geometric']}; shared machine (load average per row in the .json)",
            f"- data: scaled synthetic, {args.train:,} train / {args.test:,} test rows, seed 0; "
            f"batch {args.batch}, Adam lr 2e-3 (shortlist: "
            f"{'dense Adam' if args.dense_adam else 'SparseAdam on its per-label/feature rows'}), about {args.seconds:.0f} s of training per arm; "
            f"shortlist K = {args.k}, ranker rank {args.rank}; d_model 64, d_ff 128, 4 heads, "
            f"1 + 2 layers, dropout 0.1",
            f"- not run: {', '.join(sorted(skip)) or 'none'}\n",
            "| labels | arm | steps | samples/s | peak RSS GiB | P@1 | P@3 | P@5 | nDCG@5 | "
            "ebF1@0.5 | derived ebF1 | candidate recall |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    text = "\n".join(head + [_row(r) for r in results]) + "\n"
    report = {"command": cmd, "machine": info, "cpu_flags": _cpu_flags(), "results": results}
    if args.out:
        write_report(args.out, text, report)
    print(text)


if __name__ == "__main__":
    main()
