"""experiments/: the run summariser (mean and spread over seeds, unfinished runs listed)
and the baselines' feature matrices, on tiny real runs and tiny MULAN files."""
from __future__ import annotations

import importlib.util
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from lamp_pyg.training.config import load_config
from lamp_pyg.training import load_datasets, train
from tests.training.helpers import (SPARSE_FEATURES, config_dict, write_config, write_dense_data,
                                    write_sparse_data)

REPO = Path(__file__).resolve().parents[2]


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "experiments" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


summarize = _module("summarize")
baselines = _module("baselines")
figures = _module("figures")
rescore = _module("rescore")


@pytest.fixture(scope="module")
def dense_cfg(tmp_path_factory):
    folder, _, _ = write_dense_data(tmp_path_factory.mktemp("data") / "emotions")
    cache = tmp_path_factory.mktemp("cache")

    def make(**sections):
        return config_dict({"name": "emotions", "path": str(folder), "dense_mode": "nodes"},
                           cache, **{"train": {"batch_size": 8, "epochs": 1},
                                     "eval": {"plots": False}, **sections})
    return make


@pytest.fixture(scope="module")
def runs(tmp_path_factory, dense_cfg):
    """Three finished one-epoch runs (prior seeds 0, 1; edgeless seed 0, with
    eval.at_least_one) and one unfinished."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runs")
    for graph, seed in (("prior", 0), ("prior", 1), ("edgeless", 0)):
        name = f"{graph}-seed{seed}"
        cfg = dense_cfg(graph={"kind": graph}, train={"batch_size": 8, "epochs": 1, "seed": seed},
                        eval={"plots": False, "at_least_one": graph == "edgeless"})
        train(load_config(write_config(root / f"{name}.yaml", cfg)), root / name,
              log=lambda *a: None)
    (root / "prior-seed2").mkdir()
    (root / "prior-seed2" / "config.yaml").write_text(
        (root / "prior-seed0" / "config.yaml").read_text())
    return root


def test_summary_groups_seeds_and_reports_mean_and_spread(runs):
    table, unfinished = summarize.summarize(sorted(runs.iterdir()))
    rows = [r for r in table.splitlines()[2:] if r.strip()]
    assert len(rows) == 2, table  # prior (2 seeds) and edgeless (1 seed)
    prior = next(r for r in rows if "| prior |" in r)
    cells = [c.strip() for c in prior.split("|")[1:-1]]
    assert cells[0] == "emotions" and cells[2] == "none" and cells[4] == "0, 1"
    tests = [json.loads((runs / f"prior-seed{s}" / "results.json").read_text())
             ["headline"]["ebF1"]["test"] for s in (0, 1)]
    expected = f"{statistics.fmean(tests):.4f} ± {statistics.stdev(tests):.4f}"
    assert cells[5] == expected
    assert cells[8] == "-"  # trained without eval.at_least_one: no rule was chosen
    edgeless = next(r for r in rows if "| edgeless |" in r)
    assert "±" not in edgeless.split("|")[6]  # one seed: no spread
    chosen = json.loads((runs / "edgeless-seed0" / "results.json").read_text())["headline"]["ebF1"]["chosen"]
    assert edgeless.split("|")[9].strip() == (f"{chosen['test']:.4f} (>=1 in "
                                               f"{int(chosen['rule'] == 'at_least_one')} of 1)")
    assert unfinished == [runs / "prior-seed2"]


def test_summary_names_settings_that_differ_from_the_shipped_config(runs):
    table, _ = summarize.summarize([runs / "prior-seed0"])
    changes = table.splitlines()[2].split("|")[4]
    # the tiny test model differs from configs/emotions.yaml; seeds and paths never count
    assert "model.d_model=" in changes and "train.epochs=1" in changes
    assert "train.seed" not in changes and "data.path" not in changes


def test_summary_cli_writes_markdown(runs, tmp_path):
    out = tmp_path / "t.md"
    summarize.main([str(p) for p in sorted(runs.iterdir())] + ["--out", str(out)])
    text = out.read_text()
    assert text.startswith("<!-- python experiments/summarize.py")
    assert "Unfinished (no results.json)" in text and "prior-seed2" in text


def test_summary_expands_an_ensemble_into_its_members(runs, tmp_path):
    """An ensemble directory (members in seed<k>/) counts as its members; its own score
    is listed under the table; an unfinished one only contributes its members."""
    import shutil
    ens = tmp_path / "ens"
    for s in (0, 1):
        shutil.copytree(runs / f"prior-seed{s}", ens / f"seed{s}")
    head = {"ebF1": {"test": 0.5, "chosen": {"test": 0.55, "rule": "at_least_one"}}}
    (ens / "results.json").write_text(json.dumps({"headline": head}))
    unfinished = tmp_path / "unfinished"
    shutil.copytree(runs / "prior-seed0", unfinished / "seed7")
    out = tmp_path / "t.md"
    summarize.main([str(ens), str(unfinished), "--out", str(out)])
    text = out.read_text()
    prior = next(r for r in text.splitlines() if "| prior |" in r)
    assert prior.split("|")[5].strip() == "0, 0, 1"  # seed0 of both, seed1 of the ensemble
    assert f"- {ens}: ensemble of 2, headline ebF1 0.5000, rule chosen on valid 0.5500" in text
    assert str(unfinished) + ":" not in text


def test_baseline_features_dense_data_are_the_standardised_values(dense_cfg, tmp_path):
    cfg = load_config(write_config(tmp_path / "c.yaml", dense_cfg()))
    ds = load_datasets(cfg)
    V = int(ds["train"].meta["model_kwargs"]["vocab_size"])
    X, Y = baselines.features(ds["train"], V)
    assert isinstance(X, np.ndarray), "dense data must give a dense matrix (no tf-idf)"
    assert X.shape[0] == len(ds["train"]) and Y.shape[1] == 3
    tok = ds["train"][0]["token"]
    row = np.zeros(V)
    row[tok.x.numpy()] = tok.value.numpy()
    np.testing.assert_allclose(X[0], row, rtol=1e-6)
    assert (X < 0).any()  # standardised values, not counts


def test_attention_figure_names_sparse_features_by_attribute(tmp_path):
    write_sparse_data(tmp_path / "mulan" / "bibtex")
    names = figures._feature_names({"name": "bibtex", "kind": "sparse"}, str(tmp_path))
    assert names == [f"f{i}" for i in range(SPARSE_FEATURES)]
    assert figures._feature_names({"name": "bibtex", "kind": "dense"}, str(tmp_path)) is None
    assert figures._feature_names({"name": "other", "kind": "sparse"}, str(tmp_path)) is None


def test_time_curves_overlay_runs_and_report_first_hit(runs, tmp_path):
    out = tmp_path / "c.png"
    a, b = runs / "prior-seed0", runs / "edgeless-seed0"
    text = figures.curves_figure([a, b], out, target=0.0)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curve = figures._time_curve(a)
    rows = [json.loads(line) for line in (a / "metrics.jsonl").read_text().splitlines()]
    assert len(curve) == len(rows) == 1
    minutes = (rows[0]["train_seconds"] + rows[0]["eval_seconds"]) / 60
    assert curve[0][0] == pytest.approx(minutes, abs=1e-6)
    assert curve[0][2] == pytest.approx(rows[0]["valid_ebF1"])  # the tuned valid score
    assert f"{a.name}: test ebF1 >= 0.0 first at {minutes:.1f} min" in text
    assert f"{b.name}: test ebF1 >= 0.0 first at" in text
    assert "never" in figures.curves_figure([a], out, target=1.01)
    # the clock without scoring test (logged as test_seconds, part of eval_seconds)
    assert 0 <= rows[0]["test_seconds"] <= rows[0]["eval_seconds"]  # both rounded to 0.01 s
    lean = figures._time_curve(a, test_time=False)
    assert lean[0][0] == pytest.approx(minutes - rows[0]["test_seconds"] / 60, abs=1e-6)
    assert lean[0][1:] == curve[0][1:]


def test_grid_runs_skips_resumes_and_reports_failures(dense_cfg, tmp_path):
    import subprocess

    from tests.training.helpers import subprocess_env
    cfg = write_config(tmp_path / "tiny.yaml", dense_cfg())
    runs = tmp_path / "runs"
    env = {**subprocess_env(), "RUNS": str(runs), "PYTHON": sys.executable}

    def grid(*extra):
        return subprocess.run(["bash", str(REPO / "experiments" / "grid.sh"), str(cfg), "prior",
                               "0 1", *extra], env=env, capture_output=True, text=True,
                              timeout=300)

    r = grid()
    assert r.returncode == 0, r.stdout + r.stderr
    done = [runs / f"tiny-prior-seed{s}" for s in (0, 1)]
    assert all((d / "results.json").is_file() for d in done), r.stdout
    seeds = [json.loads((d / "results.json").read_text())["seed"] for d in done]
    assert seeds == [0, 1]
    mtime = (done[0] / "results.json").stat().st_mtime_ns
    (done[1] / "results.json").unlink()  # an interrupted run: last.pt but no results
    r = grid()
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"done: {done[0]}" in r.stdout and f"run: {done[1]} --resume" in r.stdout
    assert (done[0] / "results.json").stat().st_mtime_ns == mtime  # not retrained
    assert (done[1] / "results.json").is_file()
    r = subprocess.run(["bash", str(REPO / "experiments" / "grid.sh"), str(cfg), "full", "0",
                        "--set", "train.no_such_key=1"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 1 and "FAILED" in r.stdout
    assert "no_such_key" in (runs / "tiny-full-seed0.log").read_text()


def test_baselines_save_each_finished_method_even_if_a_later_one_dies(tmp_path, monkeypatch):
    write_dense_data(tmp_path / "data" / "mulan" / "emotions")
    monkeypatch.setenv("LAMP_PYG_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "b.json"
    calls = []
    real_mlp = baselines.run_mlp

    def mlp_dies_on_second_seed(*args, **kw):
        calls.append(args[7])
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if the run were killed
        return real_mlp(*args, **kw)

    monkeypatch.setattr(baselines, "run_mlp", mlp_dies_on_second_seed)
    with pytest.raises(KeyboardInterrupt):
        baselines.main(["--data-root", str(tmp_path / "data"), "--datasets", "emotions",
                        "--seeds", "0,1", "--out", str(out)])
    row = json.loads(out.read_text())["results"][0]
    assert row["dataset"] == "emotions" and 0 <= row["frequency"]["ebF1"] <= 1
    assert row["linear"]["C"] in baselines.C_GRID
    assert [m["seed"] for m in row["mlp"]] == [0]  # seed 0 kept, seed 1 never finished
    md = out.with_suffix(".md").read_text()
    assert "| emotions | fixed | linear |" in md and "seeds [0]" in md
    assert 0 <= row["linear"]["ebF1>=1"] <= 1 and "ebF1 >=1" in md
    # the rule chosen on validation gives one of the two rules' test scores
    lin = row["linear"]
    assert lin["ebF1 chosen"] in (lin["ebF1"], lin["ebF1>=1"]) and "ebF1 chosen" in md


def test_baselines_mlp_ensemble_scores_the_mean_of_its_seeds(tmp_path, monkeypatch):
    write_dense_data(tmp_path / "data" / "mulan" / "emotions")
    monkeypatch.setenv("LAMP_PYG_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "b.json"
    runs, real_mlp = {}, baselines.run_mlp

    def recorded(*args, **kw):
        runs[args[7]] = real_mlp(*args, **kw)
        return runs[args[7]]

    monkeypatch.setattr(baselines, "run_mlp", recorded)
    baselines.main(["--data-root", str(tmp_path / "data"), "--datasets", "emotions",
                    "--methods", "mlp,mlp3", "--seeds", "0,1,2,3", "--out", str(out)])
    assert sorted(runs) == [0, 1, 2, 3]  # each seed trained once, shared by mlp and mlp3
    row = json.loads(out.read_text())["results"][0]
    assert [m["seed"] for m in row["mlp"]] == [0, 1, 2, 3]
    assert [e["seeds"] for e in row["mlp3"]] == [[0, 1, 2]]  # seed 3 makes no full group
    ds = baselines.load_splits(REPO / "configs" / "emotions.yaml",
                               [f"data.root={tmp_path / 'data'}"])[1]
    V = int(ds["train"].meta["model_kwargs"]["vocab_size"])
    Yv, Yt = (baselines.features(ds[s], V)[1] for s in ("valid", "test"))
    mean = baselines.headline_report(Yv, np.mean([runs[s]["Sv"] for s in range(3)], 0),
                                     Yt, np.mean([runs[s]["St"] for s in range(3)], 0),
                                     at_least_one=True)
    assert row["mlp3"][0]["ebF1"] == mean["ebF1"]["test"]
    assert row["mlp3"][0]["ebF1 chosen"] == mean["ebF1"]["chosen"]["test"]
    assert "| emotions | fixed | mlp3 |" in out.with_suffix(".md").read_text()
    with pytest.raises(SystemExit):
        baselines.main(["--data-root", "x", "--methods", "mlp4", "--out", str(out)])


def movies_config(tmp_path):
    """A config of the own-data tests' movies CSV files, written to ``tmp_path``."""
    from tests.training.own_data import write_files
    data = {"format": "text_table", "train": "movies-train.csv", "test": "movies-test.csv"}
    write_files(data, tmp_path)
    cfg = tmp_path / "my.yaml"
    cfg.write_text(yaml.safe_dump({"data": {**data, "root": str(tmp_path),
                                            "cache": str(tmp_path / "cache")}}))
    return cfg


def test_baselines_read_any_config_such_as_your_own_files(tmp_path, monkeypatch):
    """--config my.yaml --set ...: a user's CSV gets the baselines on the splits, vocabulary
    and protocol of the LaMP run on that config; the row is named by --name or the file."""
    cfg = movies_config(tmp_path)
    out = tmp_path / "b.json"
    baselines.main(["--config", str(cfg), "--set", "data.valid_fraction=0.2", "--methods",
                    "frequency,linear,mlp", "--seeds", "0", "--out", str(out)])
    row = json.loads(out.read_text())["results"][0]
    assert row["dataset"] == "my" and row["split"] == "fixed"
    assert row["linear"]["ebF1"] > row["frequency"]["ebF1"]  # the words carry the labels
    ds = baselines.load_splits(cfg, ["data.valid_fraction=0.2"])[1]
    assert len(ds["valid"]) == 16  # the override reached the data (20% of 80)
    baselines.main(["--config", str(cfg), "--name", "movies", "--methods", "frequency",
                    "--out", str(out)])
    assert json.loads(out.read_text())["results"][0]["dataset"] == "movies"
    with pytest.raises(SystemExit, match="--datasets needs --data-root"):
        baselines.main(["--datasets", "emotions", "--out", str(out)])


def test_rescore_global_equals_the_run_and_adds_per_label(runs, tmp_path):
    out = tmp_path / "r.md"
    rescore.main([str(runs / "prior-seed0"), str(runs / "prior-seed1"),
                  "--data-root", str(tmp_path), "--out", str(out)])
    saved = json.loads((runs / "prior-seed0" / "results.json").read_text())["headline"]
    r = rescore.rescore(runs / "prior-seed0", str(tmp_path))
    for m in rescore.METRICS:  # same checkpoint, same data: the global column is results.json
        assert r[m]["global"] == pytest.approx(saved[m]["test"], abs=1e-9)
        assert r[m]["per_label"] == pytest.approx(saved[m]["per_label"]["test"], abs=1e-9) \
            if "per_label" in saved[m] else 0.0 <= r[m]["per_label"] <= 1.0
        assert 0.0 <= r[m]["at_least_one"] <= 1.0
        rule = {"plain": "global", "at_least_one": "at_least_one"}[r[m]["rule"]]
        assert r[m]["chosen"] == r[m][rule]
    text = out.read_text()
    assert "| prior-seed0 |" in text and "| mean ± std |" in text and "ebF1 >=1 label" in text
    assert "ebF1 rule chosen on valid" in text
    with pytest.raises(SystemExit):  # unfinished run: no best.pt
        rescore.main([str(runs / "prior-seed2"), "--data-root", str(tmp_path)])


def test_rescore_ensemble_averages_probabilities(runs, tmp_path):
    a = rescore.scores(runs / "prior-seed0", str(tmp_path))
    b = rescore.scores(runs / "edgeless-seed0", str(tmp_path))
    # an ensemble of a run with itself is the run
    assert rescore.ensemble([("a", a), ("a2", a)]) == rescore.report(*a)
    both = rescore.ensemble([("a", a), ("b", b)])
    mean = rescore.report((a[0] + b[0]) / 2, a[1], (a[2] + b[2]) / 2, a[3])
    assert both == mean and both != rescore.report(*a)
    out = tmp_path / "e.md"
    rescore.main([str(runs / "prior-seed0"), str(runs / "edgeless-seed0"), "--ensemble",
                  "--data-root", str(tmp_path), "--out", str(out)])
    text = out.read_text()
    row = next(l for l in text.splitlines() if l.startswith("| ensemble of 2 |"))
    assert f"{both['ebF1']['global']:.4f}" in row
    # runs that scored other samples cannot be averaged
    other = a[1].copy()
    other[0, 0] ^= 1
    with pytest.raises(ValueError, match="share validation and test"):
        rescore.ensemble([("a", a), ("other", (a[0], other, a[2], a[3]))])


def test_linear_baseline_chooses_c_on_validation_not_test(monkeypatch):
    """A fake scorer makes validation prefer one C and test another: the baseline must
    report the C (and the test score) that validation picked."""
    valid_best, test_best = baselines.C_GRID[3], baselines.C_GRID[-2]
    seen = []

    def fake_report(Yv, Sv, Yt, St, at_least_one=False):
        C = seen[-1]
        return {"ebF1": {"valid": 1.0 if C == valid_best else 0.5,
                         "test": 1.0 if C == test_best else 0.2}}

    class FakeLR:
        def __init__(self, C, **kw):
            seen.append(C)

    class FakeOvR:
        def __init__(self, est, n_jobs=1):
            pass

        def fit(self, X, Y):
            return self

        def predict_proba(self, X):
            return np.zeros((len(X), 2))

    import sklearn.multiclass
    monkeypatch.setattr(sklearn.linear_model, "LogisticRegression", FakeLR)
    monkeypatch.setattr(sklearn.multiclass, "OneVsRestClassifier", FakeOvR)
    monkeypatch.setattr(baselines, "headline_report", fake_report)
    X, Y = np.zeros((4, 3)), np.zeros((4, 2), dtype=np.uint8)
    best = baselines.run_linear(X, Y, X, Y, X, Y, dense=True, log=lambda s: None)
    assert seen == list(baselines.C_GRID)  # every C of the grid was tried
    assert best["C"] == valid_best and best["report"]["ebF1"]["test"] == 0.2


def test_linear_baseline_keeps_label_columns_past_255_labels():
    """A uint8 indicator matrix with more than 255 labels: each probability column must
    belong to its own label (at tiny C it is that label's training frequency)."""
    rng = np.random.default_rng(0)
    L = 300
    Y = (rng.random((600, L)) < rng.uniform(0.02, 0.4, L)).astype(np.uint8)
    Y[0] = 1  # no label without a positive
    X = rng.normal(size=(600, 3))
    seen = {}

    real = baselines.headline_report

    def capture(Yv, Sv, Yt, St, at_least_one=False):
        seen["S"] = Sv
        return real(Yv, Sv, Yt, St, at_least_one=at_least_one)

    baselines.C_GRID, old = (1e-4,), baselines.C_GRID
    baselines.headline_report, old_report = capture, baselines.headline_report
    try:
        baselines.run_linear(X, Y, X, Y, X, Y, dense=True, log=lambda s: None)
    finally:
        baselines.C_GRID, baselines.headline_report = old, old_report
    np.testing.assert_allclose(seen["S"].mean(0), Y.mean(0), atol=0.01)
