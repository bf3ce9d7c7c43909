"""torchrun + DistributedDataParallel on CPU (gloo), 2 processes, tiny data.

The launcher runs as a real subprocess (``python -m torch.distributed.run --standalone``),
as a user would run it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from lamp_pyg.training.batches import epoch_batches
from lamp_pyg.training.distributed import World
from tests.training.helpers import REPO, read_metrics, subprocess_env, write_config

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


def torchrun(args, timeout=300, **kw):
    return subprocess.run(TORCHRUN + [str(REPO / "train.py")] + [str(a) for a in args],
                          cwd=REPO, env=subprocess_env(), capture_output=True, text=True,
                          timeout=timeout, **kw)


def test_each_process_gets_its_share_and_the_weights_make_the_global_mean():
    order = list(range(11))
    one = epoch_batches(order, 4, World())
    assert one == [([0, 1, 2, 3], 1.0), ([4, 5, 6, 7], 1.0), ([8, 9, 10], 1.0)]
    two = [epoch_batches(order, 4, World(rank=r, size=2)) for r in (0, 1)]
    assert [b for b, _ in two[0]] == [[0, 1], [4, 5], [8, 9]]
    assert [b for b, _ in two[1]] == [[2, 3], [6, 7], [10]]
    # DDP averages over 2 processes: weights 2 * share / batch give the batch's mean
    assert [w for _, w in two[0]] == [1.0, 1.0, 2 * 2 / 3] and two[1][2][1] == 2 * 1 / 3
    # a batch smaller than the world: the empty share runs one sample with weight 0
    three = [epoch_batches([0, 1], 4, World(rank=r, size=3)) for r in range(3)]
    assert [t[0] for t in three] == [([0], 1.5), ([1], 1.5), ([0], 0.0)]


def _compare(run1, run2, tol=1e-5):
    a = torch.load(run1 / "last.pt", weights_only=False)
    b = torch.load(run2 / "last.pt", weights_only=False)
    diff = max((a["model"][k].float() - b["model"][k].float()).abs().max().item()
               for k in a["model"])
    assert diff < tol, diff
    ra, rb = (json.loads((r / "results.json").read_text())["headline"] for r in (run1, run2))
    for m in ("ebF1", "miF1", "maF1", "ACC", "mAP"):
        assert ra[m]["test"] == pytest.approx(rb[m]["test"], abs=1e-6), m
        assert ra[m]["valid"] == pytest.approx(rb[m]["valid"], abs=1e-6), m


def test_two_processes_with_half_batches_equal_one_process(tmp_path, dense_cfg, capsys):
    """Dropout 0: two processes with batch B/2 each end with the parameters of one
    process with batch B, and their sharded scoring gives its metrics."""
    from tests.training.helpers import main_in_process as main
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(model={"dropout": 0.0},
                                                      train={"epochs": 2, "batch_size": 8},
                                                      eval={"plots": False}))
    rc, _, err = main(["--config", cfg, "--run-dir", tmp_path / "one"], capsys)
    assert rc == 0, err
    r = torchrun(["--config", cfg, "--run-dir", tmp_path / "two"])
    assert r.returncode == 0, r.stderr[-3000:]
    _compare(tmp_path / "one", tmp_path / "two")
    rep = json.loads((tmp_path / "two" / "results.json").read_text())
    assert rep["machine"]["processes"] == 2
    assert r.stdout.count("# run directory") == 1  # rank 0 speaks for both
    assert [m["epoch"] for m in read_metrics(tmp_path / "two")] == [1, 2]


def test_global_batch_must_divide_among_the_processes(tmp_path, dense_cfg):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(train={"epochs": 1, "batch_size": 7}))
    r = torchrun(["--config", cfg, "--run-dir", tmp_path / "run"])
    assert r.returncode != 0
    assert "train.batch_size (7) is the global batch" in r.stderr


def test_kill_9_of_one_rank_stops_the_other_and_resume_finishes(tmp_path, dense_cfg):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(
        train={"epochs": 60, "batch_size": 2, "checkpoint_minutes": 0.0}, eval={"plots": False}))
    run = tmp_path / "run"
    p = subprocess.Popen(TORCHRUN + [str(REPO / "train.py"), "--config", str(cfg), "--run-dir",
                                     str(run)], cwd=REPO, env=subprocess_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 240
        while not (run / "metrics.jsonl").is_file() or not (run / "metrics.jsonl").read_text():
            assert time.time() < deadline and p.poll() is None, "training did not start"
            time.sleep(0.5)
        workers = [int(x) for x in subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                                                  text=True).stdout.split()]
        assert len(workers) == 2, workers
        os.kill(workers[1], signal.SIGKILL)
        p.wait(timeout=120)  # the launcher stops the other rank instead of hanging
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode != 0
    done = len(read_metrics(run))
    assert 1 <= done < 60
    r = torchrun(["--config", cfg, "--run-dir", run, "--resume", "--set", "train.epochs=" +
                  str(done + 2)])
    assert r.returncode == 0, r.stderr[-3000:]
    assert [m["epoch"] for m in read_metrics(run)] == list(range(1, done + 3))


def test_resume_after_a_mid_epoch_kill_is_exact_under_ddp(tmp_path, dense_cfg):
    """Checkpoints at every step (each rank's RNG state included): a run killed in the
    middle of an epoch and resumed ends with exactly the uninterrupted run's weights."""
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(
        model={"dropout": 0.2}, train={"epochs": 3, "batch_size": 2, "checkpoint_minutes": 1e-9},
        eval={"plots": False}))
    r = torchrun(["--config", cfg, "--run-dir", tmp_path / "straight"])
    assert r.returncode == 0, r.stderr[-3000:]
    run = tmp_path / "killed"
    p = subprocess.Popen(TORCHRUN + [str(REPO / "train.py"), "--config", str(cfg), "--run-dir",
                                     str(run)], cwd=REPO, env=subprocess_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while True:
            assert time.time() < deadline and p.poll() is None, "no mid-epoch checkpoint"
            try:
                state = torch.load(run / "last.pt", weights_only=False)["train_state"]
            except Exception:  # not written yet
                state = None
            if state and state["epoch"] >= 1 and state["step"] > 0:
                break
            time.sleep(0.2)
        os.kill(p.pid, signal.SIGKILL)  # the launcher and ...
        for w in subprocess.run(["pgrep", "-f", "--", f"--run-dir {run}"], capture_output=True,
                                text=True).stdout.split():
            os.kill(int(w), signal.SIGKILL)  # ... every worker, as a crash would
    finally:
        p.wait(timeout=60)
    r = torchrun(["--config", cfg, "--run-dir", run, "--resume"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert "resumed from" in r.stdout and ", step 0" not in r.stdout  # mid-epoch
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=False)["model"]
    b = torch.load(run / "last.pt", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_an_auto_ensemble_under_torchrun_equals_one_process(tmp_path, dense_cfg, capsys):
    """train.ensemble: auto on 72 samples -> 3 members, each trained by both processes
    together; rank 0 scores the average. Dropout 0: as in one process."""
    from tests.training.helpers import main_in_process as main
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(
        model={"dropout": 0.0}, train={"epochs": 1, "batch_size": 8, "ensemble": "auto"},
        eval={"plots": False}))
    rc, _, err = main(["--config", cfg, "--run-dir", tmp_path / "one"], capsys)
    assert rc == 0, err
    r = torchrun(["--config", cfg, "--run-dir", tmp_path / "two"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("train.ensemble: auto -> 3 (72 training samples)") == 1
    for s in ("seed0", "seed1", "seed2"):
        _compare(tmp_path / "one" / s, tmp_path / "two" / s)
    ra, rb = (json.loads((tmp_path / d / "results.json").read_text())["headline"]["ebF1"]
              for d in ("one", "two"))
    assert ra["test"] == pytest.approx(rb["test"], abs=1e-6)
