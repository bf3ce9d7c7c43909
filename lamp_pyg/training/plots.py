"""PNG plots of a run: learning curves and metric versus threshold on validation."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import numpy as np


def plot_run(history: List[Dict[str, Any]], Yv: np.ndarray, Sv: np.ndarray, run_dir: Path) -> List[Path]:
    """Writes ``learning_curves.png`` and ``threshold_curves.png``; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lamp_pyg.evaluation import PAPER_GRID, metric_vs_threshold

    run_dir = Path(run_dir)
    epochs = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(epochs, [h["train_loss"] for h in history], marker="o")
    a1.set(xlabel="epoch", ylabel="train loss (BCE)", title="training loss")
    splits = (("valid", "-"), ("test", "--"))
    if any(h["record"]["test"] is None for h in history):  # eval.test_every_epoch: false
        splits = splits[:1]
    for split, style in splits:
        for m in ("ebF1", "miF1", "maF1"):
            best = [float(np.nanmax(h["record"][split][m])) for h in history]
            a2.plot(epochs, best, style, label=f"{split} {m} (best threshold)")
    a2.set(xlabel="epoch", ylabel="score", title="validation / test metrics")
    a2.legend(fontsize=7)
    fig.tight_layout()
    p1 = run_dir / "learning_curves.png"
    fig.savefig(p1, dpi=110)
    plt.close(fig)

    table = metric_vs_threshold(Yv, Sv, grid=PAPER_GRID)
    fig, ax = plt.subplots(figsize=(6, 4))
    for m, v in table.items():
        if m != "threshold":
            ax.plot(table["threshold"], v, marker=".", label=m)
    ax.set(xlabel="threshold", ylabel="score", title="best checkpoint: metric vs threshold (valid)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    p2 = run_dir / "threshold_curves.png"
    fig.savefig(p2, dpi=110)
    plt.close(fig)
    return [p1, p2]
