"""Seed ensembles (train.ensemble): one command trains N seeds and scores their mean."""
from __future__ import annotations

import json
import shutil

from pathlib import Path

import numpy as np
import pytest
import torch

from lamp_pyg.evaluation import headline_report
from lamp_pyg.training.batches import predict_scores
from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint
from lamp_pyg.training.config import load_config
from lamp_pyg.training.predict import Predictor
from lamp_pyg.training.setup import load_datasets
from tests.training.helpers import main_in_process as main
from tests.training.helpers import write_config

REPO = Path(__file__).resolve().parents[2]


def test_ensemble_trains_each_seed_and_scores_the_mean(tmp_path, dense_cfg, capsys):
    cfg_path = write_config(tmp_path / "c.yaml", dense_cfg(train={"epochs": 1, "ensemble": 2,
                                                                  "seed": 5},
                                                           eval={"plots": False,
                                                                 "at_least_one": True}))
    run = tmp_path / "run"
    rc, out, err = main(["--config", cfg_path, "--run-dir", run], capsys)
    assert rc == 0, err
    members = [run / "seed5", run / "seed6"]
    assert all((m / "results.json").is_file() for m in members)
    assert [json.loads((m / "results.json").read_text())["seed"] for m in members] == [5, 6]
    rep = json.loads((run / "results.json").read_text())
    # the headline of the mean probability, thresholds tuned on validation
    cfg = load_config(cfg_path)
    ds = load_datasets(cfg)
    cpu = torch.device("cpu")
    scored = [[predict_scores(model_from_checkpoint(load_checkpoint(m / "best.pt")), ds[s], cpu)
               for s in ("valid", "test")] for m in members]
    Sv = np.mean([v[0] for v, _ in scored], 0)
    St = np.mean([t[0] for _, t in scored], 0)
    expected = headline_report(scored[0][0][1], Sv, scored[0][1][1], St, at_least_one=True)
    for metric in ("ebF1", "miF1", "maF1"):
        assert rep["headline"][metric]["test"] == expected[metric]["test"]
        assert rep["headline"][metric]["threshold"] == expected[metric]["threshold"]
        assert rep["headline"][metric]["chosen"] == expected[metric]["chosen"]
    # the predictor of the run directory decodes as chosen on validation, or as forced
    chosen = expected["ebF1"]["chosen"]
    pred = Predictor.load(run)
    assert len(pred.models) == 2
    assert (pred.threshold, pred.at_least_one) == (chosen["threshold"], chosen["rule"] == "at_least_one")
    forced = Predictor.load(run, at_least_one=True)
    assert (forced.threshold, forced.at_least_one) == (expected["ebF1"]["at_least_one"]["threshold"], True)
    assert "ensemble of 2 seeds" in (run / "results.txt").read_text()

    # prediction from the run directory averages the members
    line = "0.1,0.2,0.3,0.4,0.5,0.6"
    rc, out, err = main(["--predict", run, "--input", line], capsys)
    assert rc == 0 and "6 of 6 features known" in out, err

    # resuming skips the finished members
    rc, out, err = main(["--config", cfg_path, "--run-dir", run, "--resume"], capsys)
    assert rc == 0 and out.count("finished") == 2 and "epoch 1:" not in out


def _train_auto(tmp_path, dense_cfg, capsys, *extra, **train):
    """One ``train.ensemble: auto`` command on the 72 training samples: (run dir, stdout)."""
    cfg_path = write_config(tmp_path / "c.yaml", dense_cfg(
        train={"epochs": 1, "ensemble": "auto", **train}, eval={"plots": False}))
    run = tmp_path / "run"
    rc, out, err = main(["--config", cfg_path, "--run-dir", run, *extra], capsys)
    assert rc == 0, err
    return run, out


def test_auto_ensemble_averages_three_seeds_on_small_data(tmp_path, dense_cfg, capsys):
    """72 training samples (< SMALL_DATA): auto -> 3 members, recorded as 3."""
    run, out = _train_auto(tmp_path, dense_cfg, capsys)
    assert "train.ensemble: auto -> 3 (72 training samples)" in out
    assert [m.name for m in sorted(run.glob("seed*"))] == ["seed0", "seed1", "seed2"]
    assert len(json.loads((run / "results.json").read_text())["members_test_ebF1"]) == 3
    assert load_config(run / "config.yaml").train.ensemble == 3
    assert load_config(run / "seed1" / "config.yaml").train.ensemble == 1


def test_an_ensemble_records_the_graph_kind_auto_resolved_to(tmp_path, dense_cfg, capsys,
                                                              monkeypatch):
    monkeypatch.setattr("lamp_pyg.training.config.DENSE_GRAPH_EDGES", 0)  # -> knn
    cfg_path = write_config(tmp_path / "c.yaml", dense_cfg(
        graph={"kind": "auto"}, train={"epochs": 1, "ensemble": 2}, eval={"plots": False}))
    rc, out, err = main(["--config", cfg_path, "--run-dir", tmp_path / "run"], capsys)
    assert rc == 0, err
    assert out.count("graph.kind: auto -> knn") == 2  # once per member
    assert json.loads((tmp_path / "run" / "results.json").read_text())["graph"] == "knn"
    assert load_config(tmp_path / "run" / "seed1" / "config.yaml").graph.kind == "knn"


def test_auto_ensemble_is_one_run_on_large_data(tmp_path, dense_cfg, capsys, monkeypatch):
    monkeypatch.setattr("lamp_pyg.training.config.SMALL_DATA", 50)  # 72 samples is "large"
    run, out = _train_auto(tmp_path, dense_cfg, capsys)
    assert "train.ensemble: auto -> 1 (72 training samples)" in out
    assert (run / "best.pt").is_file() and not list(run.glob("seed*"))
    assert load_config(run / "config.yaml").train.ensemble == 1


def test_auto_ensemble_rule(tmp_path):
    from lamp_pyg.training.config import SMALL_DATA
    own = REPO / "configs" / "own_data.yaml"
    t = load_config(own, ["train.ensemble=auto"]).train
    assert [t.ensemble_for(n) for n in (290, SMALL_DATA - 1, SMALL_DATA, 11621)] == [3, 3, 1, 1]
    assert load_config(own, ["train.ensemble=2"]).train.ensemble_for(100) == 2  # kept
    for bad in ("0", "autos"):
        with pytest.raises(ValueError, match="ensemble"):
            load_config(own, [f"train.ensemble={bad}"])


def test_auto_ensemble_records_the_members_epochs(tmp_path, dense_cfg, capsys):
    """train.epochs: auto (lr ~ 0 and patience 1 stop each member at epoch 2): the
    ensemble's config.yaml records the number its members resolved, 40."""
    run, _ = _train_auto(tmp_path, dense_cfg, capsys, epochs="auto", patience=1, lr=1e-12)
    assert load_config(run / "config.yaml").train.epochs == 40
    assert load_config(run / "seed0" / "config.yaml").train.epochs == 40


def test_resume_keeps_what_the_run_directory_holds(tmp_path, dense_cfg, capsys):
    """auto on resume: a directory holding a single run stays one (an earlier run of the
    same config with ensemble 1); an interrupted ensemble finishes as an ensemble."""
    single = write_config(tmp_path / "s.yaml", dense_cfg(train={"epochs": 1},
                                                          eval={"plots": False}))
    run = tmp_path / "run"
    assert main(["--config", single, "--run-dir", run], capsys)[0] == 0
    rc, out, err = main(["--config", single, "--run-dir", run, "--resume", "--set",
                         "train.ensemble=auto", "--set", "train.epochs=2"], capsys)
    assert rc == 0, err
    assert f"train.ensemble: auto -> 1 (what {run} holds)" in out and "epoch 2:" in out
    assert not list(run.glob("seed*"))
    for k in (2, 3):  # a number that contradicts the directory is refused
        rc, out, err = main(["--config", single, "--run-dir", run, "--resume", "--set",
                             f"train.ensemble={k}"], capsys)
        assert rc == 2 and "holds a single run" in err and "another --run-dir" in err

    ens, _ = _train_auto(tmp_path / "e", dense_cfg, capsys)
    for f in ("ensemble.json", "results.json"):  # as if killed while training seed2
        (ens / f).unlink()
    shutil.rmtree(ens / "seed2")
    rc, out, err = main(["--config", tmp_path / "e" / "c.yaml", "--run-dir", ens, "--resume"],
                        capsys)
    assert rc == 0, err
    assert f"train.ensemble: auto -> 3 (what {ens} holds)" in out
    assert out.count("finished") == 2 and (ens / "seed2" / "results.json").is_file()
    assert (ens / "ensemble.json").is_file()
    rc, out, err = main(["--config", single, "--run-dir", ens, "--resume"], capsys)
    assert rc == 2 and "holds an ensemble of 3" in err


def test_predict_takes_any_run_directory(tmp_path, dense_cfg, capsys, monkeypatch):
    monkeypatch.setattr("lamp_pyg.training.config.SMALL_DATA", 50)  # auto -> one run
    run, _ = _train_auto(tmp_path, dense_cfg, capsys)
    line = "0.1,0.2,0.3,0.4,0.5,0.6"
    rc, out, err = main(["--predict", run, "--input", line], capsys)
    assert rc == 0 and "6 of 6 features known" in out, err
    (run / "best.pt").unlink()
    rc, out, err = main(["--predict", run, "--input", line], capsys)
    assert rc == 2 and "holds no best.pt and no ensemble.json" in err


def test_train_refuses_an_ensemble_setting(tmp_path, dense_cfg):
    from lamp_pyg.training.loop import train
    cfg = load_config(write_config(tmp_path / "c.yaml", dense_cfg(train={"ensemble": "auto"})))
    with pytest.raises(ValueError, match="train_ensemble"):
        train(cfg, tmp_path / "run")
