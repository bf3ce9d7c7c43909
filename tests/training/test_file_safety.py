"""Checkpoints from elsewhere cannot run code: every entry point that reads one refuses a
file holding a payload (an object whose unpickling calls a function), says so naming
the file, and the payload never runs. Genuine checkpoints of this version and of the
previous one (tests/fixtures/run_5165163) still predict and resume."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch

from lamp_pyg.training.checkpoint import CheckpointError, load_checkpoint
from lamp_pyg.training.config import load_config
from lamp_pyg.training.predict import Predictor
from tests.io.test_safe_load import OpenPayload, SystemPayload
from tests.training.helpers import (DENSE_FEATURES, REPO, copy_run, main_in_process,
                                    write_config, write_dense_data)

PREVIOUS = REPO / "tests" / "fixtures" / "run_5165163"
DENSE_INPUT = ",".join(["10.5"] * DENSE_FEATURES)


def plant(path: Path, marker: Path, payload=SystemPayload) -> None:
    """A genuine checkpoint with one payload object added."""
    ck = torch.load(path, weights_only=True)
    ck["notes"] = payload(marker)
    torch.save(ck, path)


@pytest.fixture
def bad_run(dense_run, tmp_path):
    """A copy of a genuine finished run whose best.pt and last.pt carry a payload."""
    run = copy_run(dense_run, tmp_path / "run")
    marker = tmp_path / "marker"
    for name in ("best.pt", "last.pt"):
        plant(run / name, marker, SystemPayload if name == "best.pt" else OpenPayload)
    return run, marker


def test_predict_refuses_a_payload_checkpoint(bad_run, capsys):
    run, marker = bad_run
    rc, out, err = main_in_process(["--predict", run, "--input", DENSE_INPUT], capsys)
    assert rc == 2 and f"checkpoint {run / 'best.pt'} refused" in err
    assert "GLOBAL posix.system" in err and "--trust-checkpoint" in err and out == ""
    assert not marker.exists()
    # the payload is real: the documented opt-in loads it, and it runs
    rc, out, err = main_in_process(["--predict", run, "--input", DENSE_INPUT,
                                    "--trust-checkpoint"], capsys)
    assert rc == 0 and marker.exists()


def test_predictor_load_refuses_a_payload_checkpoint(bad_run):
    run, marker = bad_run
    for path in (run, run / "best.pt", run / "last.pt"):
        with pytest.raises(CheckpointError, match="refused: it holds a Python object"):
            Predictor.load(path)
    assert not marker.exists()


def test_resume_refuses_a_payload_checkpoint(bad_run, dense_run, capsys):
    run, marker = bad_run
    rc, _, err = main_in_process(["--config", dense_run["config"], "--run-dir", run,
                                  "--resume", "--set", "train.epochs=3"], capsys)
    assert rc == 2 and f"checkpoint {run / 'last.pt'} refused" in err
    assert not marker.exists()


def test_an_ensemble_directory_with_a_payload_member_is_refused(tmp_path, dense_cfg, capsys):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(train={"epochs": 1, "ensemble": 2},
                                                      eval={"plots": False}))
    run, marker = tmp_path / "ens", tmp_path / "marker"
    assert main_in_process(["--config", cfg, "--run-dir", run], capsys)[0] == 0
    assert Predictor.load(run).predict([DENSE_INPUT])  # genuine: loads and predicts
    plant(run / "seed1" / "best.pt", marker)
    rc, _, err = main_in_process(["--predict", run, "--input", DENSE_INPUT], capsys)
    assert rc == 2 and f"checkpoint {run / 'seed1' / 'best.pt'} refused" in err
    (run / "ensemble.json").write_text('{"members": ["../../elsewhere"], "select_metric": "ebF1"}')
    with pytest.raises(ValueError, match="ensemble.json: 'members' must be"):
        Predictor.load(run)
    assert not marker.exists()


def test_rescore_refuses_a_payload_checkpoint(bad_run, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("rescore", REPO / "experiments" / "rescore.py")
    rescore = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rescore)
    run, marker = bad_run
    assert rescore.main([str(run), "--data-root", str(tmp_path)]) == 2
    assert f"checkpoint {run / 'best.pt'} refused" in capsys.readouterr().err
    assert not marker.exists()


def test_corrupt_checkpoints_are_named(dense_run, tmp_path):
    run = copy_run(dense_run, tmp_path / "run")
    (run / "best.pt").write_bytes((run / "best.pt").read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=f"checkpoint {run / 'best.pt'} cannot be read: "
                                              "it is truncated"):
        Predictor.load(run)
    torch.save({"model": {}}, run / "last.pt")  # plain, but not a checkpoint
    with pytest.raises(CheckpointError, match="not a checkpoint of lamp-pyg"):
        load_checkpoint(run / "last.pt")


@pytest.mark.parametrize("edit", ["settings", "weights"])
def test_plain_checkpoints_that_do_not_build_the_model_are_named(dense_run, tmp_path, capsys,
                                                                 edit):
    run = copy_run(dense_run, tmp_path / "run")
    ck = torch.load(run / "best.pt", weights_only=True)
    if edit == "settings":
        ck["model_config"]["no_such_setting"] = 1
    else:
        ck["model"] = {k: v[..., :1] for k, v in ck["model"].items()}
    torch.save(ck, run / "best.pt")
    rc, _, err = main_in_process(["--predict", run, "--input", DENSE_INPUT], capsys)
    assert rc == 2 and f"checkpoint {run / 'best.pt'} does not hold a model" in err


# --------------------------------------------------------------------------- earlier versions

@pytest.fixture
def previous_run(tmp_path):
    """The run written by the previous version, and its data rewritten (same SHA-256)."""
    run = tmp_path / "run"
    shutil.copytree(PREVIOUS, run)
    folder, X, _ = write_dense_data(tmp_path / "data" / "emotions")
    return run, folder, X


def test_a_checkpoint_of_the_previous_version_predicts(previous_run, capsys):
    run, _, X = previous_run
    pred = Predictor.load(run)
    P = pred.predict_proba([",".join(map(str, x)) for x in X[:5]])
    assert P.shape == (5, 3) and ((P >= 0) & (P <= 1)).all()
    rc, out, _ = main_in_process(["--predict", run, "--input", DENSE_INPUT], capsys)
    assert rc == 0 and "features known" in out


def test_a_checkpoint_of_the_previous_version_resumes(previous_run, tmp_path, capsys):
    run, folder, _ = previous_run
    assert load_config(run / "config.yaml").train.epochs == 2
    rc, out, err = main_in_process(
        ["--config", run / "config.yaml", "--run-dir", run, "--resume",
         "--set", f"data.path={folder}", "--set", f"data.cache={tmp_path / 'cache'}",
         "--set", "train.epochs=3"], capsys)
    assert rc == 0, err
    assert f"resumed from {run / 'last.pt'}: epoch 3" in out and "epoch 3:" in out
    assert load_checkpoint(run / "last.pt")["train_state"]["epoch"] == 3
