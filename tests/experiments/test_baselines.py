"""experiments/baselines.py: the classical baselines (forest, extra trees, RBF-SVM, kNN)
choose on validation and record fit times; the MLP works on wide 0/1 inputs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.experiments.test_experiments import baselines, movies_config
from tests.training.helpers import write_dense_data


def wide_binary(n: int, rng, F: int = 1000, L: int = 25, informative: int = 100):
    """Rows of 1-8 ones among ``F`` 0/1 columns: 1-3 of the ``informative`` columns
    (column j marks label ``j % L``; the labels are exactly those marks) and 0-5 rare
    noise columns, most of them absent from a 400-row training split."""
    X, Y = np.zeros((n, F)), np.zeros((n, L), dtype=np.uint8)
    for i in range(n):
        marks = rng.choice(informative, rng.integers(1, 4), replace=False)
        noise = rng.choice(np.arange(informative, F), rng.integers(0, 6), replace=False)
        X[i, marks] = X[i, noise] = 1
        Y[i, marks % L] = 1
    return X, Y


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(0)
    (Xtr, Ytr), (Xv, Yv), (Xt, Yt) = (wide_binary(n, rng) for n in (400, 80, 300))
    return Xtr, Ytr, Xv, Yv, Xt, Yt


@pytest.fixture(scope="module")
def small():
    """Dense data whose 4 labels follow the first 4 features; label 4 never occurs in
    train and label 5 always does (one class in train)."""
    rng = np.random.default_rng(1)
    out = []
    for n in (120, 40, 60):
        X = rng.normal(size=(n, 8))
        Y = np.zeros((n, 6), dtype=np.uint8)
        Y[:, :4] = X[:, :4] + 0.3 * rng.normal(size=(n, 4)) > 0.3
        Y[:, 5] = 1
        out += [X, Y]
    out[3][0, 4] = 1  # label 4 occurs in validation only
    return out


def test_mlp_scaling_keeps_0_1_columns_and_never_divides_by_zero():
    X = np.array([[0.0, 1.0, 2.0, 5.0], [0.0, 0.0, 4.0, 5.0], [0.0, 0.0, 6.0, 5.0]])
    mu, sd = baselines.dense_scaling(X)
    np.testing.assert_allclose(mu, [0.0, 0.0, 4.0, 5.0])  # 0/1 columns: not centred
    np.testing.assert_allclose(sd, [1.0, 1.0, np.std([2, 4, 6]), 1.0])  # constant: 1
    # the old scaling, sd + 1e-6: a test 1 in a column all zero on train became ~1e6
    assert np.abs((np.array([1.0, 1, 4, 5]) - mu) / sd).max() <= 1.0


def test_mlp_learns_wide_binary_data_close_to_logistic_regression(wide, monkeypatch):
    """~1,000 0/1 columns, 1-8 ones per row, 25 labels set by the ones: with the old
    input scaling the MLP scored 0.34 here (LR 0.92, chance 0.15)."""
    Xtr, Ytr, Xv, Yv, Xt, Yt = wide
    monkeypatch.setattr(baselines, "C_GRID", (10.0,))  # LR's choice on the full grid
    lr = baselines.run_linear(*wide, dense=True, log=lambda s: None)
    freq = baselines.run_frequency(Ytr, Yv, Yt)["report"]["ebF1"]["test"]
    mlp = baselines.run_mlp(*wide, dense=True, seed=0, dropout=0.2, log=lambda s: None)
    lr_f1, mlp_f1 = lr["report"]["ebF1"]["test"], mlp["report"]["ebF1"]["test"]
    assert lr_f1 > 0.85 and freq < 0.2
    assert mlp_f1 > lr_f1 - 0.1, (mlp_f1, lr_f1)
    assert mlp["epoch"] > 5 and mlp["fit_s"] > 0


def test_best_on_valid_reports_the_validation_choice_and_its_fit_time(monkeypatch):
    def fake_report(Yv, Sv, Yt, St, at_least_one=False):
        return {"ebF1": {"valid": float(Sv), "test": float(St)}}

    monkeypatch.setattr(baselines, "headline_report", fake_report)
    # setting -> (valid score, test score, fit seconds): validation prefers "b", test "c"
    table = {"a": (0.5, 0.6, 1.0), "b": (0.9, 0.1, 2.0), "c": (0.2, 0.99, 3.0),
             "d": (0.9, 0.5, 4.0)}
    best = baselines.best_on_valid("x ", list(table), lambda s: table[s], None, None,
                                   log=lambda s: None)
    assert best["setting"] == "b"  # the first of the tie b / d
    assert best["report"]["ebF1"]["test"] == 0.1 and best["fit_s"] == 2.0
    assert best["grid_s"] >= 0


@pytest.mark.parametrize("method,key,grid", [
    ("forest", "max_features", ["sqrt", 0.3]), ("extra_trees", "max_features", ["sqrt", 0.3]),
    ("svm", "C", [1.0, 10.0, 100.0]), ("knn", "k", [5, 10, 20, 40])])
def test_classical_methods_search_their_grid_on_validation(small, monkeypatch, method, key, grid):
    seen = {}
    real = baselines.best_on_valid

    def spy(name, settings, fit_score, Yv, Yt, log):
        seen["settings"] = list(settings)
        valid = {}

        def scored(s):
            Sv, St, fit_s = fit_score(s)
            valid[s] = baselines.headline_report(Yv, Sv, Yt, St, at_least_one=True)
            assert Sv.shape == Yv.shape and St.shape == Yt.shape
            assert np.isfinite(Sv).all() and (0 <= Sv).all() and (Sv <= 1).all()
            return Sv, St, fit_s
        best = real(name, settings, scored, Yv, Yt, log)
        seen["valid"] = {s: r["ebF1"]["valid"] for s, r in valid.items()}
        return best

    monkeypatch.setattr(baselines, "best_on_valid", spy)
    Xtr, Ytr, Xv, Yv, Xt, Yt = small
    if method in ("forest", "extra_trees"):
        best = baselines.run_forest(*small, kind=method, seed=0, n_jobs=1, log=lambda s: None,
                                    trees=20)
    elif method == "svm":
        best = baselines.run_svm(*small, dense=True, n_jobs=1, log=lambda s: None)
    else:
        best = baselines.run_knn(*small, dense=True, log=lambda s: None)
    assert seen["settings"] == grid
    top = max(seen["valid"].values())
    assert best[key] == next(s for s in grid if seen["valid"][s] == top)
    assert best["fit_s"] >= 0 and best["grid_s"] >= best["fit_s"] - 0.01
    freq = baselines.run_frequency(Ytr, Yv, Yt)["report"]["ebF1"]["test"]
    assert best["report"]["ebF1"]["test"] > freq + 0.1  # it learned the features


def _captured_scores(monkeypatch):
    """Replaces headline_report by one that records the validation scores it is given."""
    seen, real = [], baselines.headline_report

    def capture(Yv, Sv, Yt, St, at_least_one=False):
        seen.append(Sv)
        return real(Yv, Sv, Yt, St, at_least_one=at_least_one)
    monkeypatch.setattr(baselines, "headline_report", capture)
    return seen


@pytest.mark.parametrize("method", ["forest", "svm"])
def test_a_label_with_one_class_in_train_scores_that_class(small, monkeypatch, method):
    seen = _captured_scores(monkeypatch)
    if method == "svm":
        baselines.run_svm(*small, dense=True, n_jobs=2, log=lambda s: None, grid=(1.0,))
    else:
        baselines.run_forest(*small, kind="forest", seed=0, n_jobs=2, log=lambda s: None,
                             trees=10)
    Sv = seen[0]
    assert (Sv[:, 4] == 0).all() and (Sv[:, 5] == 1).all()  # never / always in train
    assert Sv[:, :4].std() > 0


def test_knn_scores_are_label_frequencies_among_the_nearest_training_samples(small,
                                                                           monkeypatch):
    """Equal to a brute-force cosine search on the standardised features; the index holds
    only the training split, so a validation row equal to a training row has that row as
    its nearest neighbour (nothing is excluded: valid / test rows are never in the index)."""
    Xtr, Ytr, Xv, Yv, Xt, Yt = small
    Xv = Xv.copy()
    Xv[0] = Xtr[7]
    seen = _captured_scores(monkeypatch)
    baselines.run_knn(Xtr, Ytr, Xv, Yv, Xt, Yt, dense=True, log=lambda s: None, grid=(5,))
    mu, sd = Xtr.mean(0), Xtr.std(0)
    A, B = (Xtr - mu) / sd, (Xv - mu) / sd
    cos = (B / np.linalg.norm(B, axis=1, keepdims=True)) @ \
        (A / np.linalg.norm(A, axis=1, keepdims=True)).T
    near = np.argsort(-cos, axis=1, kind="stable")[:, :5]
    np.testing.assert_allclose(seen[0], Ytr[near].mean(1))
    assert near[0, 0] == 7


def test_classical_methods_from_the_command_line(tmp_path, monkeypatch):
    write_dense_data(tmp_path / "data" / "mulan" / "emotions")
    monkeypatch.setenv("LAMP_PYG_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "b.json"
    baselines.main(["--data-root", str(tmp_path / "data"), "--datasets", "emotions",
                    "--methods", "knn,svm,forest,extra_trees", "--seeds", "0,1",
                    "--n-jobs", "2", "--trees", "20", "--out", str(out)])
    rec = json.loads(out.read_text())
    assert rec["n_jobs"] == 2 and rec["trees"] == 20 and rec["machine"]
    row = rec["results"][0]
    assert row["knn"]["k"] in (5, 10, 20, 40) and row["svm"]["C"] in (1.0, 10.0, 100.0)
    assert [e["seed"] for e in row["forest"]] == [0, 1]
    assert all(e["max_features"] in ("sqrt", 0.3) and e["fit_s"] > 0
               for m in ("forest", "extra_trees") for e in row[m])
    assert row["svm"]["fit_s"] > 0 and row["svm"]["grid_s"] >= row["svm"]["fit_s"]
    assert row["svm"]["ebF1 chosen"] in (row["svm"]["ebF1"], row["svm"]["ebF1>=1"])
    md = out.with_suffix(".md").read_text()
    assert "| emotions | fixed | svm |" in md and "| emotions | fixed | extra_trees |" in md
    assert "n_jobs 2" in md and "max_features" in md


def test_classical_methods_on_your_own_text_files(tmp_path):
    """--config: sparse token counts (tf-idf for the SVM and kNN, raw counts for trees)."""
    cfg = movies_config(tmp_path)
    out = tmp_path / "b.json"
    baselines.main(["--config", str(cfg), "--methods", "frequency,svm,knn,extra_trees",
                    "--seeds", "0", "--trees", "20", "--out", str(out)])
    row = json.loads(out.read_text())["results"][0]
    for m in ("svm", "knn"):
        assert row[m]["ebF1"] > row["frequency"]["ebF1"]  # the words carry the labels
    assert row["extra_trees"][0]["ebF1"] > row["frequency"]["ebF1"]


def test_a_forest_too_large_for_memory_is_the_mean_of_its_tree_groups(small, monkeypatch):
    """Fitted in groups (here of 2 trees), the scores are the trees' mean: the size-weighted
    mean of the groups' forests seeded seed, seed + 1000, ...; one group is one forest."""
    from sklearn.ensemble import ExtraTreesClassifier
    Xtr, Ytr, Xv, Yv, Xt, Yt = small
    assert baselines.tree_group(4050, 371, 500) == 20  # corel5k: ~48 MB a tree
    assert baselines.tree_group(1350, 14, 500) == 500  # yeast: one forest
    seen = _captured_scores(monkeypatch)
    monkeypatch.setattr(baselines, "FOREST_GROUP_BYTES", 2 * (2 * 120 * 6 * 2 * 8))
    best = baselines.run_forest(*small, kind="extra_trees", seed=3, n_jobs=1,
                                log=lambda s: None, trees=5)
    assert best["tree_group"] == 2
    parts = [(ExtraTreesClassifier(n_estimators=n, max_features="sqrt", random_state=3 + 1000 * i)
              .fit(Xtr, Ytr), n) for i, n in enumerate((2, 2, 1))]
    want = sum(n / 5 * baselines.positive_scores(zip(f.classes_, f.predict_proba(Xv)), len(Xv), 6)
               for f, n in parts)
    np.testing.assert_allclose(seen[0], want)  # the first setting tried: sqrt
    monkeypatch.setattr(baselines, "FOREST_GROUP_BYTES", 1e9)
    seen.clear()
    baselines.run_forest(*small, kind="extra_trees", seed=3, n_jobs=1, log=lambda s: None,
                         trees=5)
    one = ExtraTreesClassifier(n_estimators=5, max_features="sqrt", random_state=3).fit(Xtr, Ytr)
    np.testing.assert_allclose(
        seen[0], baselines.positive_scores(zip(one.classes_, one.predict_proba(Xv)), len(Xv), 6))
