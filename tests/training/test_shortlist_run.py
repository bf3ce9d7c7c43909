"""train.py end to end with model.shortlist on the scaled synthetic data (XC LIBSVM files)."""
import json

import numpy as np
import pytest

from lamp_pyg.io.libsvm import read_libsvm_dataset
from lamp_pyg.io.scaled_synthetic import ScaledSpec, make_scaled_synthetic, write_xc_files
from tests.training.helpers import config_dict, run_train_py, write_config


@pytest.fixture(scope="module")
def xc_files(tmp_path_factory):
    raw = make_scaled_synthetic(ScaledSpec.for_labels(100, noise_vocab=50), num_train=200,
                                num_test=60, seed=0)
    return raw, write_xc_files(raw, tmp_path_factory.mktemp("xc"))


def test_xc_files_read_back_equal(xc_files):
    raw, files = xc_files
    back = read_libsvm_dataset("scaled", {k: str(v) for k, v in files.items()})
    for split in ("train", "test"):
        assert back.splits[split].labels == raw.splits[split].labels
        for (a, va), (b, vb) in zip(back.splits[split].inputs, raw.splits[split].inputs):
            assert np.array_equal(a, b) and np.allclose(va, vb)


def test_train_py_runs_a_shortlist_config(xc_files, tmp_path):
    _, files = xc_files
    cfg = config_dict({"name": "scaled", "format": "libsvm", "train": str(files["train"]),
                       "test": str(files["test"])}, tmp_path / "cache",
                      model={"shortlist": 10, "ranker_rank": 8}, train={"epochs": 1})
    path = write_config(tmp_path / "shortlist.yaml", cfg)
    proc = run_train_py(["--config", str(path), "--run-dir", str(tmp_path / "run")])
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert 0.0 <= results["headline"]["ebF1"]["test"] <= 1.0  # scored on the test split
    from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint
    from lamp_pyg.models.shortlist import ShortlistLaMP
    model = model_from_checkpoint(load_checkpoint(tmp_path / "run" / "best.pt"))
    assert isinstance(model, ShortlistLaMP) and model.config.shortlist == 10


def test_shortlist_run_resumes_exactly(xc_files, tmp_path):
    """Its two optimisers (SparseAdam rows, Adam rest) are checkpointed: 1 epoch then
    resume to 2 equals 2 straight (mirrors the epoch-boundary resume test of test_loop)."""
    from lamp_pyg.training import train
    from lamp_pyg.training.config import load_config
    from tests.training.helpers import assert_close_nested, read_metrics, read_results
    _, files = xc_files
    data = {"name": "scaled", "format": "libsvm", "train": str(files["train"]),
            "test": str(files["test"])}

    def run(epochs, name, resume=False):
        cfg = config_dict(data, tmp_path / "cache", model={"shortlist": 10, "ranker_rank": 8},
                          train={"epochs": epochs, "warmup_steps": 60})
        cfg = load_config(write_config(tmp_path / f"{name}-{epochs}.yaml", cfg))
        train(cfg, tmp_path / name, resume=resume, log=lambda *a: None)

    run(2, "straight")
    run(1, "resumed")
    run(2, "resumed", resume=True)
    assert [r["epoch"] for r in read_metrics(tmp_path / "resumed")] == [1, 2]
    for read in (read_metrics, read_results):
        assert_close_nested(read(tmp_path / "resumed"), read(tmp_path / "straight"), 1e-6,
                            read.__name__)
