"""The built-in dataset's promise, through the real training loop (slow: ~6 runs of a
minute each on 2 idle cores). Run with: python -m pytest -m slow tests/training/test_synthetic_gap.py

Issue requirement: over 3 seeds, the prior variant's test subset accuracy (headline
protocol) beats edgeless by at least 0.03 on average.
"""
import numpy as np
import pytest

from lamp_pyg.training.config import load_config
from lamp_pyg.training.loop import train
from tests.conftest import REPO


@pytest.mark.slow
def test_prior_beats_edgeless_on_synthetic(tmp_path):
    acc = {}
    for kind in ("prior", "edgeless"):
        for seed in (0, 1, 2):
            cfg = load_config(REPO / "configs" / "default.yaml",
                              [f"graph.kind={kind}", f"train.seed={seed}",
                               f"data.cache={tmp_path / 'cache'}", "train.progress=false",
                               "eval.plots=false"])
            report = train(cfg, tmp_path / f"{kind}-{seed}", log=lambda *a: None)
            acc.setdefault(kind, []).append(report["headline"]["ACC"]["test"])
    print(acc)
    assert np.mean(acc["prior"]) - np.mean(acc["edgeless"]) >= 0.03, acc
