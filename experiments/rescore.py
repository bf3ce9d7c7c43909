#!/usr/bin/env python
"""Re-score finished runs with per-label thresholds and the "at least one label" rule.

    python experiments/rescore.py --data-root ../shared/data ../runs/bibtex-prior-fast-seed* \\
        --out records/experiments/per-label-bibtex.md

For each run directory, the best checkpoint (``best.pt``) scores validation and test.
The headline protocol is applied twice: one global threshold per metric tuned on
validation (what ``results.json`` holds), and one threshold per label, each tuned on
validation for that label's F1 (labels without validation positives keep the global
threshold); and the global threshold again, tuned under the "at least one label"
rule (a sample with no label above the threshold gets its top-scoring label); and the
rule (plain or "at least one") that scores higher on validation. Test numbers of all
four are printed side by side; nothing in the run directory is
changed. Per-label thresholds favour maF1 (each label's F1 is what they tune); ebF1
and miF1 may fall. Both are options beyond the LaMP paper.

``--ensemble`` adds one more row: the runs' probabilities averaged (every run must have
scored the same validation and test samples, i.e. the same dataset and split), with
thresholds tuned on validation exactly as for a single run. Also beyond the paper.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
METRICS = ("ebF1", "miF1", "maF1")


def scores(run: Path, data_root: str):
    """``(Sv, Yv, St, Yt)``: the best checkpoint's probabilities and the targets on
    validation and test, in dataset order."""
    sys.path.insert(0, str(REPO))
    import torch

    from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training import load_datasets, predict_scores
    model = model_from_checkpoint(load_checkpoint(run / "best.pt"))  # refused before any work
    cfg = load_config(run / "config.yaml", [f"data.root={data_root}"])
    torch.set_num_threads(cfg.train.num_threads or torch.get_num_threads())
    ds = load_datasets(cfg)
    dev = torch.device("cpu")
    Sv, Yv = predict_scores(model, ds["valid"], dev, cfg.train.precision, cfg.train.eval_batch_size)
    St, Yt = predict_scores(model, ds["test"], dev, cfg.train.precision, cfg.train.eval_batch_size)
    return Sv, Yv, St, Yt


def report(Sv, Yv, St, Yt) -> dict:
    """``{metric: {'global': test, 'per_label': test, 'at_least_one': test, 'chosen': test,
    'rule': 'plain' | 'at_least_one'}}`` (chosen: the better rule on validation)."""
    sys.path.insert(0, str(REPO))
    from lamp_pyg.evaluation import headline_report
    rep = headline_report(Yv, Sv, Yt, St, per_label=True, at_least_one=True)
    return {m: {"global": rep[m]["test"], "per_label": rep[m]["per_label"]["test"],
                "at_least_one": rep[m]["at_least_one"]["test"],
                "chosen": rep[m]["chosen"]["test"], "rule": rep[m]["chosen"]["rule"]}
            for m in METRICS}


def rescore(run: Path, data_root: str) -> dict:
    """:func:`report` of one run's best checkpoint."""
    return report(*scores(run, data_root))


def ensemble(scored) -> dict:
    """:func:`report` of the mean probabilities of several runs, given as
    ``[(name, (Sv, Yv, St, Yt)), ...]``; the runs must share their samples."""
    import numpy as np
    (first, (_, Yv, _, Yt)), n = scored[0], len(scored)
    for name, (Sv_, Yv_, St_, Yt_) in scored[1:]:
        if Yv_.shape != Yv.shape or Yt_.shape != Yt.shape or not (
                np.array_equal(Yv_, Yv) and np.array_equal(Yt_, Yt)):
            raise ValueError(f"{name} scored other samples than {first} (another dataset or "
                             "split): runs of an ensemble must share validation and test")
    Sv = sum(s[0] for _, s in scored) / n
    St = sum(s[2] for _, s in scored) / n
    return report(Sv, Yv, St, Yt)


VARIANTS = (("global", "global"), ("per_label", "per-label"), ("at_least_one", ">=1 label"),
            ("chosen", "rule chosen on valid"))
RULE = {"plain": "", "at_least_one": " (>=1)"}


def render(rows) -> str:
    lines = ["| run | " + " | ".join(f"{m} {title}" for m in METRICS for _, title in VARIANTS) + " |",
             "|---|" + "---|" * (len(METRICS) * len(VARIANTS))]
    for name, r in rows:
        lines.append(f"| {name} | " + " | ".join(
            f"{r[m][v]:.4f}" + (RULE[r[m]["rule"]] if v == "chosen" else "")
            for m in METRICS for v, _ in VARIANTS) + " |")
    if len(rows) > 1:
        def ms(vals):
            return f"{statistics.fmean(vals):.4f} ± {statistics.stdev(vals):.4f}"
        lines.append("| mean ± std | " + " | ".join(
            ms([r[m][v] for _, r in rows]) for m in METRICS for v, _ in VARIANTS) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="run directories with best.pt")
    p.add_argument("--data-root", required=True)
    p.add_argument("--out", type=Path, help="also write the table here (markdown)")
    p.add_argument("--ensemble", action="store_true",
                   help="add a row for the runs' averaged probabilities")
    a = p.parse_args(argv)
    missing = [str(r) for r in a.runs if not (r / "best.pt").is_file()]
    if missing:
        p.error(f"no best.pt in: {', '.join(missing)}")
    sys.path.insert(0, str(REPO))
    from lamp_pyg.training.checkpoint import CheckpointError
    try:
        scored = [(r.name, scores(r, a.data_root)) for r in a.runs]
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rows = [(name, report(*s)) for name, s in scored]
    if a.ensemble:
        try:
            combined = ensemble(scored)
        except ValueError as e:
            p.error(str(e))
    sys.path.insert(0, str(REPO))
    from bench.records import record_command
    text = (f"Test scores of the best checkpoint: one global threshold, per-label thresholds, "
            f"the global threshold with the 'at least one label' rule (all tuned on validation), "
            f"and whichever of the first and third is better on validation ((>=1): the rule).\n\n`{record_command('experiments/rescore.py', argv or sys.argv[1:])}`\n\n"
            + render(rows))
    if a.ensemble:
        text += ("\nEnsemble (probabilities averaged over the runs above, thresholds tuned on "
                 "validation):\n\n" + render([(f"ensemble of {len(rows)}", combined)]))
    print(text)
    if a.out:
        a.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
