"""The run directory: one training at a time, resume only what can be resumed exactly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from lamp_pyg.training.checkpoint import RESUME_MAY_CHANGE, resume_differences
from lamp_pyg.training.run_dir import RunDirError, RunLock
from tests.training.helpers import REPO, copy_run, main_in_process as main, one_line_error
from tests.training.helpers import write_config

HOLD = ("import sys, time; sys.path.insert(0, {repo!r}); "
        "from lamp_pyg.training.run_dir import RunLock; "
        "lock = RunLock({run!r}).__enter__(); print('held', flush=True); time.sleep(60)")


def test_a_second_training_in_the_same_run_dir_is_refused(tmp_path, dense_cfg, capsys):
    run_dir = tmp_path / "run"
    with RunLock(run_dir):
        cfg = write_config(tmp_path / "c.yaml", dense_cfg(train={"epochs": 1}))
        rc, _, err = main(["--config", cfg, "--run-dir", run_dir], capsys)
        assert rc == 2
        msg = one_line_error(err)
        assert "in use by another training" in msg and f"pid {os.getpid()}" in msg
        assert not (run_dir / "last.pt").exists() and not (run_dir / "metrics.jsonl").exists()


def test_the_lock_dies_with_its_process(tmp_path):
    """A kill -9 leaves no stale lock: the OS releases the flock."""
    run_dir = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-c", HOLD.format(repo=str(REPO), run=str(run_dir))],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        with pytest.raises(RunDirError, match=f"pid {p.pid}"):
            RunLock(run_dir).__enter__()
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
    with RunLock(run_dir):  # free again
        pass


def test_run_dir_that_is_a_file_exits_2(tmp_path, dense_cfg, capsys):
    f = tmp_path / "taken"
    f.write_text("x")
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(train={"epochs": 1}))
    rc, _, err = main(["--config", cfg, "--run-dir", f], capsys)
    assert rc == 2 and f"run directory {f} is a file" in one_line_error(err)


def test_a_run_that_fails_before_training_leaves_no_run_dir(tmp_path, dense_cfg, capsys):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, _, err = main(["--config", cfg, "--run-dir", tmp_path / "run",
                       "--set", f"data.path={tmp_path / 'nowhere'}"], capsys)
    assert rc == 2 and "does not exist" in one_line_error(err)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("override, key", [
    ("train.batch_size=4", "train.batch_size"),
    ("train.lr=0.002", "train.lr"),
    ("data.max_len=3", "data.max_len"),
    ("train.bucket_by_length=true", "train.bucket_by_length"),
    ("train.ema_decay=0.9", "train.ema_decay"),
])
def test_resume_refuses_a_change_of_trajectory_naming_the_keys(tmp_path, dense_cfg, dense_run,
                                                                capsys, override, key):
    run_dir = copy_run(dense_run, tmp_path / "run")
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    before = (run_dir / "last.pt").read_bytes()
    rc, _, err = main(["--config", cfg, "--run-dir", run_dir, "--resume", "--set", override],
                      capsys)
    assert rc == 2
    msg = one_line_error(err)
    assert f"differs in {key}" in msg and "train.epochs" in msg  # what may change is listed
    assert (run_dir / "last.pt").read_bytes() == before


def test_resume_may_change_how_long_and_how_fast(tmp_path, dense_cfg, dense_run, capsys):
    run_dir = copy_run(dense_run, tmp_path / "run")
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, out, err = main(["--config", cfg, "--run-dir", run_dir, "--resume",
                         "--set", "train.epochs=3", "--set", "train.num_threads=2",
                         "--set", "eval.plots=false"], capsys)
    assert rc == 0, err
    assert "resumed from" in out and "epoch 3:" in out and "epoch 2:" not in out


def test_resume_refuses_changed_data(tmp_path, dense_cfg, dense_data, capsys):
    import shutil
    folder = tmp_path / "emotions"
    shutil.copytree(dense_data[0], folder)
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(train={"epochs": 1}))
    args = ["--config", cfg, "--run-dir", tmp_path / "run", "--set", f"data.path={folder}"]
    assert main(args, capsys)[0] == 0
    arff = folder / "emotions-train.arff"
    arff.write_text(arff.read_text().replace("\n", "\n% edited\n", 1))
    rc, _, err = main(args + ["--resume", "--set", "train.epochs=2"], capsys)
    assert rc == 2 and "data files' content differs" in one_line_error(err)


def test_resume_differences_ignore_only_the_listed_keys():
    old = {"train": {"epochs": 2, "lr": 1.0, "betas": (0.9, 0.98)}, "eval": {"plots": True}}
    new = {"train": {"epochs": 5, "lr": 1.0, "betas": [0.9, 0.98]}, "eval": {"plots": False}}
    assert resume_differences(old, new) == []
    new["train"]["betas"] = [0.9, 0.99]
    assert resume_differences(old, new) == ["train.betas"]
    assert "train.epochs" in RESUME_MAY_CHANGE and "train.seed" not in RESUME_MAY_CHANGE


def test_resume_accepts_a_checkpoint_made_before_a_setting_existed():
    """An older version's checkpoint lacks newer keys: at their defaults they are no
    difference; set to anything else they are."""
    defaults = {"train": {"lr": 1.0, "compile": False}, "eval": {"test_every_epoch": True}}
    old = {"train": {"lr": 1.0}}
    new = {"train": {"lr": 1.0, "compile": False}, "eval": {"test_every_epoch": True}}
    assert resume_differences(old, new, defaults) == []
    assert resume_differences(old, new) == ["eval.test_every_epoch", "train.compile"]
    new["train"]["compile"] = True
    assert resume_differences(old, new, defaults) == ["train.compile"]
    new["train"]["compile"], new["train"]["lr"] = False, 2.0
    assert resume_differences(old, new, defaults) == ["train.lr"]


def test_a_run_from_before_a_setting_existed_resumes(tmp_path, dense_cfg, capsys):
    """A checkpoint whose config predates eval.test_every_epoch and train.compile (as
    written by an earlier version) resumes under today's defaults."""
    import torch
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(train={"epochs": 1}, eval={"plots": False}))
    run = tmp_path / "run"
    assert main(["--config", cfg, "--run-dir", run], capsys)[0] == 0
    ck = torch.load(run / "last.pt", weights_only=False)
    del ck["config"]["eval"]["test_every_epoch"], ck["config"]["train"]["compile"]
    torch.save(ck, run / "last.pt")
    rc, out, err = main(["--config", cfg, "--run-dir", run, "--resume", "--set", "train.epochs=2"],
                        capsys)
    assert rc == 0, err
    assert "epoch 2:" in out
    rc, out, err = main(["--config", cfg, "--run-dir", tmp_path / "run", "--resume",
                         "--set", "train.epochs=3", "--set", "train.compile=true"], capsys)
    assert rc != 0 and "train.compile" in err
