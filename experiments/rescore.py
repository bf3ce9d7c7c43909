#!/usr/bin/env python
"""Re-score finished runs with per-label thresholds (an option beyond the paper).

    python experiments/rescore.py --data-root ../shared/data /work/runs/bibtex-prior-fast-seed* \\
        --out experiments/results/per-label-bibtex.md

For each run directory, the best checkpoint (``best.pt``) scores validation and test.
The headline protocol is applied twice: one global threshold per metric tuned on
validation (what ``results.json`` holds), and one threshold per label, each tuned on
validation for that label's F1 (labels without validation positives keep the global
threshold). Test numbers of both are printed side by side; nothing in the run
directory is changed. Per-label thresholds favour maF1 (each label's F1 is what they
tune); ebF1 and miF1 may fall.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
METRICS = ("ebF1", "miF1", "maF1")


def rescore(run: Path, data_root: str) -> dict:
    """``{metric: {'global': test, 'per_label': test}}`` for one run."""
    sys.path.insert(0, str(REPO))
    import torch

    from lamp_pyg.evaluation import headline_report
    from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.loop import load_datasets, predict_scores
    cfg = load_config(run / "config.yaml", [f"data.root={data_root}"])
    torch.set_num_threads(cfg.train.num_threads or torch.get_num_threads())
    ds = load_datasets(cfg)
    model = model_from_checkpoint(load_checkpoint(run / "best.pt"))
    dev = torch.device("cpu")
    Sv, Yv = predict_scores(model, ds["valid"], dev, cfg.train.precision, cfg.train.eval_batch_size)
    St, Yt = predict_scores(model, ds["test"], dev, cfg.train.precision, cfg.train.eval_batch_size)
    rep = headline_report(Yv, Sv, Yt, St, per_label=True)
    return {m: {"global": rep[m]["test"], "per_label": rep[m]["per_label"]["test"]}
            for m in METRICS}


def render(rows) -> str:
    lines = ["| run | " + " | ".join(f"{m} global | {m} per-label" for m in METRICS) + " |",
             "|---|" + "---|---|" * len(METRICS)]
    for name, r in rows:
        lines.append(f"| {name} | " + " | ".join(
            f"{r[m]['global']:.4f} | {r[m]['per_label']:.4f}" for m in METRICS) + " |")
    if len(rows) > 1:
        def ms(vals):
            return f"{statistics.fmean(vals):.4f} ± {statistics.stdev(vals):.4f}"
        lines.append("| mean ± std | " + " | ".join(
            f"{ms([r[m]['global'] for _, r in rows])} | {ms([r[m]['per_label'] for _, r in rows])}"
            for m in METRICS) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="run directories with best.pt")
    p.add_argument("--data-root", required=True)
    p.add_argument("--out", type=Path, help="also write the table here (markdown)")
    a = p.parse_args(argv)
    missing = [str(r) for r in a.runs if not (r / "best.pt").is_file()]
    if missing:
        p.error(f"no best.pt in: {', '.join(missing)}")
    rows = [(r.name, rescore(r, a.data_root)) for r in a.runs]
    text = (f"Test scores of the best checkpoint, global vs per-label thresholds (both tuned on "
            f"validation).\n\n`python experiments/rescore.py {' '.join(argv or sys.argv[1:])}`\n\n"
            + render(rows))
    print(text)
    if a.out:
        a.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
