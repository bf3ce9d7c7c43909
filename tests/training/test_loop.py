"""The training loop (lamp_pyg.training.loop): outputs, determinism, checkpoints, resume,
failures. Tiny runs only (see tests/training/helpers.py); the heavier run on the full
built-in synthetic data is marked slow."""
from __future__ import annotations

import json
import math
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.io import sources
from lamp_pyg.evaluation import binarize, example_f1
from lamp_pyg.models import LaMP, LaMPConfig
from lamp_pyg.training import batches, loop, setup
from lamp_pyg.training.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from lamp_pyg.training.config import METRICS, load_config
from lamp_pyg.typed_yaml import to_dict
from lamp_pyg.training import TrainingError, load_datasets, predict_scores, train
from tests.training.helpers import (REPO, assert_close_nested, copy_run, read_metrics,
                                    read_results, run_train_py, subprocess_env, train_cmd,
                                    write_config)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def quiet(*args):
    pass


def run(cfg_dict, tmp_path, name="run", resume=False, **kw):
    cfg = load_config(write_config(tmp_path / f"{name}.yaml", cfg_dict))
    return train(cfg, tmp_path / name, resume=resume, log=kw.pop("log", quiet), **kw)


def assert_same_run(run_dir, ref_dir, tol=1e-6):
    """Per-epoch log and final report equal (timings aside)."""
    assert_close_nested(read_metrics(run_dir), read_metrics(ref_dir), tol, "metrics.jsonl")
    assert_close_nested(read_results(run_dir), read_results(ref_dir), tol, "results.json")


# --------------------------------------------------------------------------- outputs

def test_tiny_run_writes_every_output(text_run):
    d = text_run["run_dir"]
    for name in ("best.pt", "last.pt", "metrics.jsonl", "config.yaml", "results.json",
                 "results.txt", "learning_curves.png", "threshold_curves.png", "label_graph.txt"):
        assert (d / name).is_file() and (d / name).stat().st_size > 0, name
    for png in ("learning_curves.png", "threshold_curves.png"):
        assert (d / png).read_bytes()[:8] == PNG_MAGIC, png
    assert not list(d.glob("*.tmp")), "temporary checkpoint files left behind"

    # config.yaml is the resolved config and loads back to the same thing
    assert to_dict(load_config(d / "config.yaml")) == to_dict(load_config(text_run["config"]))

    rows = read_metrics(d, timing=True)
    assert [r["epoch"] for r in rows] == [1, 2]
    for r in rows:
        assert math.isfinite(r["train_loss"]) and r["train_loss"] > 0
        assert 0.0 <= r["valid_ebF1"] <= 1.0
        assert r["samples_per_second"] > 0

    text = (d / "results.txt").read_text()
    assert "Headline protocol" in text and "Paper protocol" in text


def test_results_json_has_both_protocols(text_run):
    rep = read_results(text_run["run_dir"], timing=True)
    assert rep == json.loads(json.dumps(text_run["report"], default=float))  # returned == written
    assert rep["dataset"] == "tinysyn" and rep["graph"] == "prior" and rep["seed"] == 0
    assert rep["epochs"] == 2 and rep["select_metric"] == "ebF1"
    machine = rep["machine"]  # a run records what its seconds depend on
    assert machine["cpu"] and machine["torch_threads"] == 1 and machine["device"] == "cpu"
    for protocol in ("headline", "paper_protocol"):
        table = rep[protocol]
        assert set(METRICS) <= set(table), protocol
        for m in METRICS:
            for split in ("valid", "test"):
                assert 0.0 <= table[m][split] <= 1.0, (protocol, m, split)
            if m == "mAP":
                assert table[m]["threshold"] is None
            else:
                assert 0.0 < table[m]["threshold"] < 1.0, (protocol, m)
        if protocol == "paper_protocol":
            assert all(1 <= table[m]["epoch"] <= 2 for m in METRICS)
    # the best epoch is the one with the best validation score of the selection metric
    rows = read_metrics(text_run["run_dir"])
    best = max(rows, key=lambda r: (r["valid_ebF1"], -r["epoch"]))
    assert rep["best_epoch"] == best["epoch"]
    assert rep["headline"]["ebF1"]["valid"] == pytest.approx(best["valid_ebF1"], abs=1e-9)
    assert rep["seconds_per_epoch"] > 0 and rep["samples_per_second"] > 0


def test_best_checkpoint_holds_thresholds_and_reproduces_the_headline(text_run):
    d = text_run["run_dir"]
    rep = read_results(d)
    best = load_checkpoint(d / "best.pt")
    thresholds = {m: r["threshold"] for m, r in rep["headline"].items() if r["threshold"] is not None}
    assert best["thresholds"] == thresholds and "ebF1" in thresholds
    assert best["train_state"]["best"]["epoch"] == rep["best_epoch"]
    last = load_checkpoint(d / "last.pt")["train_state"]
    assert (last["epoch"], last["step"]) == (2, 0) and len(last["history"]) == 2

    # the stored weights + stored threshold give the reported test ebF1
    cfg = load_config(d / "config.yaml")
    test = load_datasets(cfg)["test"]
    S, Y = predict_scores(model_from_checkpoint(best), DataLoader(test, batch_size=64), torch.device("cpu"))
    assert example_f1(Y, binarize(S, best["thresholds"]["ebF1"])) == pytest.approx(
        rep["headline"]["ebF1"]["test"], abs=1e-6)


def test_per_label_thresholds_are_reported(tmp_path, dense_cfg):
    rep = run(dense_cfg(train={"epochs": 1}, eval={"per_label_thresholds": True, "plots": False}),
              tmp_path)
    on_disk = read_results(tmp_path / "run")
    per_label = on_disk["headline"]["ebF1"]["per_label"]
    assert len(per_label["thresholds"]) == 3
    assert all(0.0 < t < 1.0 for t in per_label["thresholds"])
    assert 0.0 <= per_label["test"] <= 1.0
    assert rep["headline"]["ebF1"]["threshold"] == on_disk["headline"]["ebF1"]["threshold"]
    assert not (tmp_path / "run" / "learning_curves.png").exists()  # eval.plots: false


def test_test_scored_once_gives_the_same_headline_and_no_paper_protocol(tmp_path, dense_cfg,
                                                                         dense_run):
    """eval.test_every_epoch: false skips test scoring during training (for large data);
    training and the headline (scored at the end from best.pt) are unchanged."""
    run(dense_cfg(eval={"test_every_epoch": False}), tmp_path, "once")
    once, ref = read_results(tmp_path / "once"), read_results(dense_run["run_dir"])
    assert ref["paper_protocol"] is not None and once["paper_protocol"] is None
    assert_close_nested(once["headline"], ref["headline"], 0.0, "headline")
    m_once, m_ref = read_metrics(tmp_path / "once"), read_metrics(dense_run["run_dir"])
    assert [m["train_loss"] for m in m_once] == [m["train_loss"] for m in m_ref]
    raw = [json.loads(line) for line in (tmp_path / "once" / "metrics.jsonl").open()]
    assert all(m["test_seconds"] < 0.01 and "test_ebF1" not in m for m in raw)
    hist = load_checkpoint(tmp_path / "once" / "last.pt")["train_state"]["history"]
    assert all(h["record"]["test"] is None and h["record"]["valid"] for h in hist)
    assert (tmp_path / "once" / "learning_curves.png").read_bytes()[:8] == PNG_MAGIC
    assert "Paper protocol" not in (tmp_path / "once" / "results.txt").read_text()


def test_metrics_log_test_ebF1_at_the_validation_threshold(dense_run):
    """metrics.jsonl's per-epoch test ebF1 (bench/time_to_accuracy.py's curve) is the
    epoch record's, at the threshold tuned on valid; at the best epoch it is the headline."""
    from lamp_pyg.evaluation import tuned_on_valid
    run_dir = dense_run["run_dir"]
    logged = [m["test_ebF1"] for m in read_metrics(run_dir)]
    hist = load_checkpoint(run_dir / "last.pt")["train_state"]["history"]
    assert logged == [tuned_on_valid(h["record"])["test"] for h in hist]
    rep = read_results(run_dir)
    assert logged[rep["best_epoch"] - 1] == pytest.approx(rep["headline"]["ebF1"]["test"], abs=1e-12)


def test_builtin_synthetic_dataset_needs_no_files(tmp_path, monkeypatch):
    """data.name 'synthetic' with no path or root; the registry entry is shrunk (same
    generator, fewer rows) so that this stays fast."""
    from lamp_pyg.io.synthetic import make_synthetic
    from tests.training.helpers import config_dict

    small = sources.Format(lambda name, spec: make_synthetic(num_train=120, num_test=40),
                           (), (), "words")
    monkeypatch.setitem(sources.FORMATS, "synthetic", small)
    cfg = config_dict({"name": "synthetic"}, tmp_path / "cache",
                      train={"epochs": 1, "batch_size": 16}, eval={"plots": False})
    rep = run(cfg, tmp_path)
    assert rep["dataset"] == "synthetic" and rep["epochs"] == 1
    assert (tmp_path / "cache" / "synthetic").is_dir()  # the cache is where the config says


# --------------------------------------------------------------------------- determinism

def test_same_config_same_seed_same_metrics(tmp_path, dense_cfg, dense_run):
    run(dense_cfg(), tmp_path, "again")
    assert_same_run(tmp_path / "again", dense_run["run_dir"], tol=0.0)
    for name in ("best.pt", "last.pt"):
        a = load_checkpoint(tmp_path / "again" / name)["model"]
        b = load_checkpoint(dense_run["run_dir"] / name)["model"]
        assert all(torch.equal(a[k], b[k]) for k in a), name
    # ... and the seed matters (the comparison above is not vacuous)
    run(dense_cfg(train={"seed": 1}), tmp_path, "seed1")
    assert read_metrics(tmp_path / "seed1")[0]["train_loss"] != read_metrics(dense_run["run_dir"])[0]["train_loss"]


# --------------------------------------------------------------------------- resume

def test_resume_after_sigkill_mid_epoch_matches_uninterrupted_run(tmp_path, text_cfg, text_run):
    """A real ``python train.py`` checkpointing after every step is SIGKILLed in the middle
    of an epoch, resumed with --resume, and must end exactly like the uninterrupted run."""
    cfg_path = write_config(tmp_path / "text.yaml", text_cfg())
    run_dir, last = tmp_path / "run", tmp_path / "run" / "last.pt"
    n_train = len(load_datasets(load_config(cfg_path))["train"])
    steps = math.ceil(n_train / 4)
    assert steps >= 40, "need enough steps per epoch to catch the run mid-epoch"
    every_step = ["--set", "train.checkpoint_minutes=0.0001"]
    args = ["--config", str(cfg_path), "--run-dir", str(run_dir), *every_step]

    out = open(tmp_path / "killed.log", "w")
    proc = subprocess.Popen(train_cmd(*args), env=subprocess_env(), stdout=out,
                            stderr=subprocess.STDOUT)
    observed = None
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if last.exists():
                state = load_checkpoint(last)["train_state"]  # atomic writes: always readable
                # mid-epoch, with a margin before the epoch ends
                if 0 < state["step"] <= steps - 20:
                    proc.send_signal(signal.SIGKILL)
                    observed = state
                    break
            time.sleep(0.01)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()
    log = (tmp_path / "killed.log").read_text()
    assert observed is not None, f"never saw a mid-epoch checkpoint (rc {proc.returncode}):\n{log[-3000:]}"
    assert proc.returncode == -signal.SIGKILL

    killed = load_checkpoint(last)["train_state"]
    assert 0 < killed["step"] < steps and killed["epoch"] in (0, 1), killed
    assert not (run_dir / "results.json").exists()
    done = read_metrics(run_dir) if (run_dir / "metrics.jsonl").exists() else []
    assert [r["epoch"] for r in done] == list(range(1, killed["epoch"] + 1))

    r = run_train_py(args + ["--resume"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"epoch {killed['epoch'] + 1}, step {killed['step']}" in r.stdout
    assert [row["epoch"] for row in read_metrics(run_dir)] == [1, 2]  # no duplicate epochs
    assert_same_run(run_dir, text_run["run_dir"])
    a = load_checkpoint(run_dir / "last.pt")["model"]
    b = load_checkpoint(text_run["run_dir"] / "last.pt")["model"]
    assert all(torch.allclose(a[k], b[k], atol=1e-6, rtol=0) for k in a)


def test_resume_from_an_epoch_boundary_extends_training_exactly(tmp_path, dense_cfg, dense_run):
    run(dense_cfg(train={"epochs": 1}), tmp_path, "run")
    lines = []
    run(dense_cfg(), tmp_path, "run", resume=True, log=lambda *a: lines.append(" ".join(map(str, a))))
    assert any("resumed from" in l and "epoch 2, step 0" in l for l in lines), lines
    assert [r["epoch"] for r in read_metrics(tmp_path / "run")] == [1, 2]
    assert_same_run(tmp_path / "run", dense_run["run_dir"])


def test_resume_of_a_finished_run_trains_nothing_more(tmp_path, text_cfg, text_run):
    run_dir = copy_run(text_run, tmp_path / "run")
    before = (run_dir / "metrics.jsonl").read_text()
    lines = []
    cfg = load_config(write_config(tmp_path / "c.yaml", text_cfg(eval={"plots": False})))
    train(cfg, run_dir, resume=True, log=lambda *a: lines.append(" ".join(map(str, a))))
    assert not any(l.startswith("epoch ") for l in lines), lines
    assert (run_dir / "metrics.jsonl").read_text() == before
    assert_same_run(run_dir, text_run["run_dir"], tol=0.0)


def test_metrics_log_is_complete_after_a_kill_between_checkpoint_and_log(
        tmp_path, dense_cfg, dense_run, monkeypatch):
    """Killed after epoch 2's last.pt was written but before its metrics.jsonl line:
    the resumed run must still log every epoch exactly once."""
    real_log = loop.append_metrics

    def killed_at_epoch_2(run_dir, record):
        if record["epoch"] == 2:
            raise KeyboardInterrupt
        real_log(run_dir, record)

    monkeypatch.setattr(loop, "append_metrics", killed_at_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        run(dense_cfg(), tmp_path, "run")
    assert load_checkpoint(tmp_path / "run" / "last.pt")["train_state"]["epoch"] == 2
    monkeypatch.setattr(loop, "append_metrics", real_log)
    run(dense_cfg(), tmp_path, "run", resume=True)
    assert [r["epoch"] for r in read_metrics(tmp_path / "run")] == [1, 2]
    assert_same_run(tmp_path / "run", dense_run["run_dir"])


def test_resume_without_a_checkpoint_starts_from_scratch(tmp_path, dense_cfg, dense_run):
    lines = []
    run(dense_cfg(), tmp_path, "run", resume=True, log=lambda *a: lines.append(" ".join(map(str, a))))
    assert any("no checkpoint" in l and "from scratch" in l for l in lines), lines
    assert_same_run(tmp_path / "run", dense_run["run_dir"], tol=0.0)


def test_selecting_on_map_needs_no_threshold(tmp_path, dense_cfg):
    rep = run(dense_cfg(train={"epochs": 2, "select_metric": "mAP"}, eval={"plots": False}),
              tmp_path)
    rows = read_metrics(tmp_path / "run")
    assert all(r["threshold"] is None and 0.0 <= r["valid_mAP"] <= 1.0 for r in rows)
    best = max(rows, key=lambda r: (r["valid_mAP"], -r["epoch"]))
    assert rep["select_metric"] == "mAP" and rep["best_epoch"] == best["epoch"]
    assert rep["headline"]["mAP"]["valid"] == pytest.approx(best["valid_mAP"], abs=1e-9)


def test_bucketed_order_is_a_permutation_of_similar_length_batches():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 300, size=1000)
    order = batches.bucketed_order(lengths, batch_size=32, seed=0, epoch=3, chunk_batches=10)
    assert sorted(order) == list(range(1000))
    assert order == batches.bucketed_order(lengths, 32, 0, 3, chunk_batches=10)  # seeded
    assert order != batches.bucketed_order(lengths, 32, 0, 4, chunk_batches=10)
    spread = [np.ptp(lengths[order[i:i + 32]]) for i in range(0, 1000, 32)]
    plain = batches.epoch_order(1000, 0, 3)
    plain_spread = [np.ptp(lengths[plain[i:i + 32]]) for i in range(0, 1000, 32)]
    assert np.mean(spread) < 0.25 * np.mean(plain_spread)


def test_scores_from_a_dataset_come_back_in_dataset_order(text_cfg, text_run):
    """predict_scores on a dataset batches by length and must restore the order."""
    cfg = load_config(text_run["config"])
    test = load_datasets(cfg)["test"]
    lengths = test.input_sizes()
    assert len(lengths) == len(test) and lengths[0] == test[0]["token"].num_nodes
    assert not np.all(np.diff(lengths) >= 0)  # not already sorted: the test can fail
    model = model_from_checkpoint(load_checkpoint(text_run["run_dir"] / "best.pt"))
    S1, Y1 = predict_scores(model, test, torch.device("cpu"), batch_size=16)
    S2, Y2 = predict_scores(model, DataLoader(test, batch_size=16), torch.device("cpu"))
    np.testing.assert_allclose(S1, S2, atol=1e-5)
    np.testing.assert_array_equal(Y1, Y2)


def test_bucketed_training_runs_and_sees_every_sample(tmp_path, text_cfg):
    rep = run(text_cfg(train={"epochs": 1, "bucket_by_length": True}, eval={"plots": False}),
              tmp_path)
    rows = read_metrics(tmp_path / "run")
    assert len(rows) == 1 and math.isfinite(rows[0]["train_loss"])
    assert rep["epochs"] == 1


def test_patience_stops_when_valid_stops_improving(tmp_path, dense_cfg):
    """lr ~ 0: the valid score never beats epoch 1, so patience 2 stops after epoch 3."""
    lines = []
    rep = run(dense_cfg(train={"epochs": 20, "patience": 2, "lr": 1e-12}, eval={"plots": False}),
              tmp_path, log=lambda *a: lines.append(" ".join(map(str, a))))
    rows = read_metrics(tmp_path / "run")
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rep["best_epoch"] == 1 and rep["epochs"] == 3
    assert any("early stop" in line and "best epoch 1" in line for line in lines)


def test_auto_epochs_follow_the_data_size_and_are_recorded(tmp_path, dense_cfg):
    """72 training samples: auto -> 40 epochs (lr ~ 0 and patience 1 stop it at epoch 2);
    config.yaml records the number, so the run resumes and reports like any other."""
    lines = []
    rep = run(dense_cfg(train={"epochs": "auto", "patience": 1, "lr": 1e-12},
                        eval={"plots": False}),
              tmp_path, log=lambda *a: lines.append(" ".join(map(str, a))))
    assert rep["epochs"] == 2
    assert "train.epochs: auto -> 40 (72 training samples)" in lines
    saved = load_config(tmp_path / "run" / "config.yaml")
    assert saved.train.epochs == 40


def test_auto_epochs_rule():
    t = load_config(REPO / "configs" / "own_data.yaml", ["train.epochs=auto"]).train
    assert (t.epochs_for(290), t.epochs_for(1999), t.epochs_for(2000), t.epochs_for(11621)) \
        == (40, 40, 20, 20)
    assert load_config(REPO / "configs" / "own_data.yaml", ["train.epochs=7"]).train \
        .epochs_for(100) == 7  # a number is kept
    with pytest.raises(ValueError, match="epochs"):
        load_config(REPO / "configs" / "own_data.yaml", ["train.epochs=0"])


def test_auto_graph_rule():
    from lamp_pyg.training.config import DENSE_GRAPH_EDGES
    g = load_config(REPO / "configs" / "own_data.yaml", ["graph.kind=auto"]).graph
    assert (g.kind_for(0), g.kind_for(DENSE_GRAPH_EDGES), g.kind_for(DENSE_GRAPH_EDGES + 1)) \
        == ("prior", "prior", "knn")
    full = load_config(REPO / "configs" / "own_data.yaml", ["graph.kind=full"]).graph
    assert full.kind_for(10 ** 9) == "full"  # a named kind is kept
    with pytest.raises(ValueError, match="graph.kind"):
        load_config(REPO / "configs" / "own_data.yaml", ["graph.kind=automatic"])


@pytest.mark.parametrize("limit,kind", [(10 ** 6, "prior"), (0, "knn")])
def test_auto_graph_resolves_records_and_resumes(tmp_path, dense_cfg, monkeypatch, limit, kind):
    """graph.kind: auto builds the prior graph, or knn above DENSE_GRAPH_EDGES edges; the
    log, config.yaml, results.json and the model's edges all say which, and the same
    command resumes the run."""
    monkeypatch.setattr("lamp_pyg.training.config.DENSE_GRAPH_EDGES", limit)
    cfg = dense_cfg(graph={"kind": "auto", "k": 1}, train={"epochs": 1}, eval={"plots": False})
    lines = []
    rep = run(cfg, tmp_path, log=lambda *a: lines.append(" ".join(map(str, a))))
    assert any(line.startswith(f"graph.kind: auto -> {kind} (3 labels;") for line in lines)
    assert rep["graph"] == kind
    assert load_config(tmp_path / "run" / "config.yaml").graph.kind == kind
    ck = load_checkpoint(tmp_path / "run" / "best.pt")
    train_ds = load_datasets(load_config(tmp_path / "run" / "config.yaml"))["train"]
    from lamp_pyg.graphs import LabelGraph

    def graph(which, **kw):
        return LabelGraph.from_labels(train_ds.train_labels, which, num_labels=3, **kw).edge_index
    expected = graph(kind, **({"k": 1} if kind == "knn" else {}))
    assert torch.equal(model_from_checkpoint(ck).label_edge_index, expected)
    if kind == "knn":  # the two kinds differ on this data
        assert not torch.equal(expected, graph("prior"))
    cfg["train"]["epochs"] = 2
    rep = run(cfg, tmp_path, resume=True)
    assert rep["epochs"] == 2 and rep["graph"] == kind


def test_patience_must_not_be_negative(tmp_path, dense_cfg):
    with pytest.raises(ValueError, match="patience"):
        run(dense_cfg(train={"patience": -1}), tmp_path)


def test_existing_run_without_resume_is_refused(tmp_path, dense_cfg, dense_run):
    run_dir = copy_run(dense_run, tmp_path / "run")
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    cfg = load_config(write_config(tmp_path / "c.yaml", dense_cfg()))
    with pytest.raises(CheckpointError, match="--resume") as e:
        train(cfg, run_dir, log=quiet)
    assert str(run_dir) in str(e.value)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before  # nothing touched


@pytest.mark.parametrize("change, key", [
    ({"graph": {"kind": "edgeless"}}, "graph.kind"),
    ({"model": {"d_model": 32}}, "model.d_model"),
    ({"model": {"n_layers_dec": 2}}, "model.n_layers_dec"),
    ("text", "data.name"),
])
def test_resume_with_another_dataset_graph_or_model_is_refused(
        tmp_path, dense_cfg, text_cfg, dense_run, change, key):
    run_dir = copy_run(dense_run, tmp_path / "run")
    before = (run_dir / "last.pt").read_bytes()
    other = text_cfg() if change == "text" else dense_cfg(**change)
    cfg = load_config(write_config(tmp_path / "c.yaml", other))
    with pytest.raises(CheckpointError) as e:
        train(cfg, run_dir, resume=True, log=quiet)
    assert key in str(e.value) and "last.pt" in str(e.value)
    assert (run_dir / "last.pt").read_bytes() == before


# --------------------------------------------------------------------------- failures

def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, dense_cfg, dense_run,
                                                            monkeypatch):
    cfg = load_config(write_config(tmp_path / "c.yaml", dense_cfg()))
    steps = math.ceil(len(load_datasets(cfg)["train"]) / cfg.train.batch_size)
    real_loss, calls = LaMP.loss, {"n": 0}

    def nan_at_epoch_2_step_3(self, output, y):
        calls["n"] += 1
        loss = real_loss(self, output, y)
        return loss * float("nan") if calls["n"] == steps + 3 else loss

    monkeypatch.setattr(LaMP, "loss", nan_at_epoch_2_step_3)
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingError) as e:
        train(cfg, run_dir, log=quiet)
    msg = str(e.value)
    assert "nan" in msg and "epoch 2, step 3" in msg and str(run_dir / "last.pt") in msg

    ck = load_checkpoint(run_dir / "last.pt")
    state = ck["train_state"]
    assert (state["epoch"], state["step"], len(state["history"])) == (1, 0, 1)
    model = model_from_checkpoint(ck)  # loads, and holds no NaN
    assert all(torch.isfinite(p).all() for p in model.state_dict().values())
    assert load_checkpoint(run_dir / "best.pt")["train_state"]["epoch"] == 1
    assert [r["epoch"] for r in read_metrics(run_dir)] == [1]
    assert not (run_dir / "results.json").exists()

    # once the cause is gone, --resume finishes exactly like an uninterrupted run
    monkeypatch.setattr(LaMP, "loss", real_loss)
    train(cfg, run_dir, resume=True, log=quiet)
    assert_same_run(run_dir, dense_run["run_dir"])


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "not_lamp", "missing"])
def test_unreadable_checkpoint_is_a_checkpoint_error_naming_the_path(tmp_path, dense_run, damage):
    path = tmp_path / "bad.pt"
    good = (dense_run["run_dir"] / "best.pt").read_bytes()
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(b"this is not a checkpoint\n" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not_lamp":
        torch.save({"model": {}}, path)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert str(path) in str(e.value)


def test_resume_from_a_truncated_last_checkpoint_is_a_checkpoint_error(tmp_path, dense_cfg,
                                                                        dense_run):
    run_dir = copy_run(dense_run, tmp_path / "run")
    data = (run_dir / "last.pt").read_bytes()
    (run_dir / "last.pt").write_bytes(data[: len(data) // 3])
    cfg = load_config(write_config(tmp_path / "c.yaml", dense_cfg()))
    with pytest.raises(CheckpointError) as e:
        train(cfg, run_dir, resume=True, log=quiet)
    assert str(run_dir / "last.pt") in str(e.value)


def test_missing_data_path_names_dataset_and_path(tmp_path, dense_cfg):
    missing = tmp_path / "nowhere" / "emotions"
    cfg = dense_cfg()
    cfg["data"]["path"] = str(missing)
    with pytest.raises(FileNotFoundError) as e:
        run(cfg, tmp_path)
    assert "emotions" in str(e.value) and str(missing) in str(e.value)


# --------------------------------------------------------------------------- slow

@pytest.mark.slow
def test_default_synthetic_dataset_end_to_end(tmp_path):
    """The registry's full synthetic data (4000 + 1000 rows) through ``python train.py``."""
    from tests.training.helpers import config_dict

    cfg = write_config(tmp_path / "synthetic.yaml", config_dict(
        {"name": "synthetic"}, tmp_path / "cache", train={"epochs": 2, "batch_size": 32}))
    r = run_train_py(["--config", str(cfg), "--run-dir", str(tmp_path / "run")], timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    rep = read_results(tmp_path / "run")
    assert rep["dataset"] == "synthetic"
    rows = read_metrics(tmp_path / "run")
    assert rows[1]["train_loss"] < rows[0]["train_loss"]


# --------------------------------------------------------------------------- lr schedule

def test_learning_rate_warmup_then_constant_or_cosine():
    from lamp_pyg.training.config import TrainConfig as NS
    t = NS(lr=1e-3, warmup_steps=4, lr_schedule="constant")
    assert [setup.learning_rate(t, s, 100) for s in range(6)] == pytest.approx(
        [2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3])
    t = NS(lr=1e-3, warmup_steps=0, lr_schedule="constant")
    assert setup.learning_rate(t, 0, 10) == setup.learning_rate(t, 9, 10) == 1e-3
    t = NS(lr=1e-3, warmup_steps=2, lr_schedule="cosine")
    lrs = [setup.learning_rate(t, s, 12) for s in range(12)]
    assert lrs[:2] == pytest.approx([5e-4, 1e-3])  # warm-up, then the cosine starts at lr
    assert lrs[7] == pytest.approx(0.5e-3)  # half way through the 10 decay steps
    assert all(a >= b for a, b in zip(lrs[1:], lrs[2:])) and lrs[-1] < 0.03e-3
    # warm-up as a share of training: the same recipe for 300 or 30,000 samples
    t = NS(lr=1e-3, warmup_fraction=0.1, lr_schedule="cosine")
    for total in (40, 4000):
        lrs = [setup.learning_rate(t, s, total) for s in range(total)]
        peak = int(np.argmax(lrs))
        assert peak == total // 10 - 1 and lrs[peak] == pytest.approx(1e-3)


def test_warmup_sets_the_optimizer_lr_each_step(tmp_path, dense_cfg):
    rep = run(dense_cfg(train={"epochs": 1, "warmup_steps": 1000}, eval={"plots": False}),
              tmp_path)
    ck = load_checkpoint(tmp_path / "run" / "last.pt")
    n_steps = math.ceil(len(load_datasets(load_config(tmp_path / "run.yaml"))["train"])
                        / ck["config"]["train"]["batch_size"])
    lr = ck["config"]["train"]["lr"]
    assert rep["epochs"] == 1
    # the last step of epoch 1 ran at lr * n_steps / 1000, not at lr
    assert ck["optimizer"]["param_groups"][0]["lr"] == pytest.approx(lr * n_steps / 1000)
    ref = run(dense_cfg(train={"epochs": 1}, eval={"plots": False}), tmp_path, name="ref")
    assert load_checkpoint(tmp_path / "ref" / "last.pt")["optimizer"]["param_groups"][0]["lr"] == lr
    assert ref["headline"] != rep["headline"] or not torch.equal(
        load_checkpoint(tmp_path / "ref" / "last.pt")["model"]["label_embedding.weight"],
        ck["model"]["label_embedding.weight"])


def test_negative_warmup_is_rejected(tmp_path, dense_cfg):
    with pytest.raises(ValueError, match="warmup_steps"):
        run(dense_cfg(train={"warmup_steps": -1}), tmp_path)


def test_compiled_training_saves_the_plain_model_and_computes_the_same_forward(tmp_path,
                                                                                dense_cfg):
    """train.compile compiles the training forward pass only: checkpoints hold the plain
    module's weights (keys without torch.compile's prefix), and the compiled forward
    gives the plain forward's logits."""
    report = run(dense_cfg(train={"epochs": 1, "compile": True}), tmp_path, "compiled")
    assert math.isfinite(report["headline"]["ebF1"]["test"])
    ck = load_checkpoint(tmp_path / "compiled" / "best.pt")
    assert ck["config"]["train"]["compile"] is True
    assert not any("_orig_mod" in k for k in ck["model"])
    model = model_from_checkpoint(ck).eval()
    cfg = load_config(tmp_path / "compiled.yaml")
    batch = next(iter(DataLoader(load_datasets(cfg)["valid"], batch_size=8)))
    with torch.no_grad():
        plain = model(batch).logits
        compiled = torch.compile(model, dynamic=True)(batch).logits
    assert torch.allclose(plain, compiled, atol=1e-5)


def test_a_large_dense_label_graph_logs_the_knn_hint():
    from lamp_pyg.graphs import LabelGraph
    from lamp_pyg.training.config import DENSE_GRAPH_EDGES
    from lamp_pyg.training.setup import graph_hint
    cfg = load_config(REPO / "configs" / "own_data.yaml")
    Y = np.ones((4, 240), dtype=np.int64)  # every label pair co-occurs: 240² = 57,600 edges
    big = LabelGraph.from_labels(Y, "prior")
    assert big.num_edges > DENSE_GRAPH_EDGES
    hint = graph_hint(cfg, big)
    assert "57,600 edges" in hint and "graph.kind=knn" in hint and "graph.k=16" in hint
    assert graph_hint(cfg, LabelGraph.from_labels(Y[:, :10], "prior")) is None  # small
    big_knn = LabelGraph.from_labels(Y, "knn", k=239)
    assert big_knn.num_edges > DENSE_GRAPH_EDGES
    assert graph_hint(cfg, big_knn) is None  # already the remedy
