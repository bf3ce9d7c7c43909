"""Threshold grid, metric-vs-threshold tables and threshold tuning."""
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

from lamp_pyg.evaluation import (
    PAPER_GRID,
    THRESHOLD_METRICS,
    binarize,
    compute_metrics,
    metric_vs_threshold,
    tune_global,
    tune_per_label,
)

SK_F1 = {"ebF1": "samples", "miF1": "micro", "maF1": "macro"}


def sk_metric(name, Y, P):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "ACC":
            return skm.accuracy_score(Y, P)
        if name == "HA":
            return 1.0 - skm.hamming_loss(Y, P)
        return skm.f1_score(Y, P, average=SK_F1[name], zero_division=np.nan)


def random_case(seed, n=150, num_labels=12, density=0.2, decimals=2):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, num_labels)) < density).astype(np.int64)
    S = np.clip(0.3 * Y + 0.7 * rng.random((n, num_labels)) ** 2, 0, 1)
    # rounding puts many scores exactly on grid values (the >= boundary)
    return Y, np.round(S, decimals)


def test_paper_grid_has_exactly_the_27_paper_values():
    assert len(PAPER_GRID) == 27
    expected = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.15, 0.20, 0.25, 0.30,
                0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95]
    assert list(PAPER_GRID) == expected  # exact float equality: built by rounding
    assert 0.15 in PAPER_GRID and 0.35 in PAPER_GRID and 0.7 in PAPER_GRID
    assert list(PAPER_GRID) == sorted(set(PAPER_GRID))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_table_equals_compute_metrics_at_every_threshold(seed):
    Y, S = random_case(seed)
    S32 = S.astype(np.float32)  # float32 scores sitting on grid values: same comparison both ways
    for scores in (S, S32):
        table = metric_vs_threshold(Y, scores)
        assert list(table["threshold"]) == list(PAPER_GRID)
        for j, t in enumerate(PAPER_GRID):
            direct = compute_metrics(Y, scores, t)
            for m in THRESHOLD_METRICS:
                a, b = table[m][j], direct[m]
                assert (np.isnan(a) and np.isnan(b)) or a == b, (m, t, a, b)


def test_table_against_sklearn_and_unsorted_grid():
    Y, S = random_case(4)
    grid = [0.5, 0.1, 0.3]
    table = metric_vs_threshold(Y, S, ["ebF1", "maF1"], grid)
    assert list(table) == ["threshold", "ebF1", "maF1"]
    assert list(table["threshold"]) == [0.1, 0.3, 0.5]
    for j, t in enumerate([0.1, 0.3, 0.5]):
        for m in ("ebF1", "maF1"):
            assert table[m][j] == pytest.approx(sk_metric(m, Y, S >= t), rel=1e-12)


def test_table_rejects_ranking_metric_and_bad_grid():
    Y, S = random_case(0)
    with pytest.raises(ValueError):
        metric_vs_threshold(Y, S, ["mAP"])
    with pytest.raises(ValueError):
        metric_vs_threshold(Y, S, ["ACC"], [0.1, 0.1])
    with pytest.raises(ValueError):
        metric_vs_threshold(Y, S, ["ACC"], [])


def test_tune_global_hand_example():
    # one label: positives score 0.9 and 0.35, negatives 0.3 and 0.1.
    # miF1: t <= 0.1 -> 2/3; 0.1 < t <= 0.3 -> 4/5; 0.3 < t <= 0.35 -> 1; 0.35 < t <= 0.9 -> 2/3; above -> 0
    # (a score equal to the threshold is predicted: 0.3 >= 0.3, 0.1 >= 0.1)
    Y = np.array([[1], [1], [0], [0]])
    S = np.array([[0.9], [0.35], [0.3], [0.1]])
    t, v, curve = tune_global(Y, S, "miF1")
    assert t == 0.35 and v == 1.0
    assert list(curve) == list(PAPER_GRID)
    assert curve[0.3] == pytest.approx(0.8)
    assert curve[0.15] == pytest.approx(0.8)
    assert curve[0.1] == pytest.approx(2 / 3)
    assert curve[0.05] == pytest.approx(2 / 3)
    assert curve[0.4] == pytest.approx(2 / 3)
    assert curve[0.95] == 0.0
    # ties -> smallest threshold: every threshold in (0.3, 0.35] is perfect
    t, v, _ = tune_global(Y, S, "miF1", grid=[0.35, 0.33, 0.31, 0.2])
    assert (t, v) == (0.31, 1.0)


def test_tune_global_callable_metric():
    Y = np.array([[1, 0], [0, 1]])
    S = np.array([[0.2, 0.4], [0.6, 0.8]])
    # number of predicted positives closest to 3: t in (0.2, 0.4] -> exactly 3
    t, v, curve = tune_global(Y, S, lambda Yb, P: -abs(int(P.sum()) - 3), grid=[0.1, 0.3, 0.4, 0.5])
    assert (t, v) == (0.3, 0.0)
    assert curve == {0.1: -1.0, 0.3: 0.0, 0.4: 0.0, 0.5: -1.0}


def test_tune_global_all_nan_returns_smallest_threshold():
    Y = np.zeros((3, 2), dtype=int)
    S = np.full((3, 2), 0.01)
    # t=0.01 predicts everything (miF1 = 0), above nothing is true or predicted (nan)
    t, v, _ = tune_global(Y, S, "miF1", grid=[0.5, 0.9])
    assert t == 0.5 and np.isnan(v)
    t, v, _ = tune_global(Y, S, "miF1", grid=[0.01, 0.5])
    assert (t, v) == (0.01, 0.0)  # a number beats nan


@pytest.mark.parametrize("metric", THRESHOLD_METRICS)
def test_tune_global_matches_brute_force_sklearn(metric):
    Y, S = random_case(8, n=90, num_labels=8)
    values = [sk_metric(metric, Y, S >= t) for t in PAPER_GRID]
    clean = [-np.inf if np.isnan(x) else x for x in values]
    best = max(clean)
    # smallest threshold whose value is (numerically) the best
    expected_t = next(t for t, x in zip(PAPER_GRID, clean) if x >= best - 1e-12)
    t, v, curve = tune_global(Y, S, metric)
    assert t == expected_t
    assert v == pytest.approx(best, rel=1e-12)
    assert [curve[g] for g in PAPER_GRID] == pytest.approx(values, rel=1e-12, nan_ok=True)


def test_tune_per_label_hand_example():
    # label 0 best at t in (0.2, 0.6]; label 1 best in (0.6, 0.8]; label 2 has no positives
    Y = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [0, 1, 0]])
    S = np.array([[0.7, 0.1, 0.5], [0.6, 0.8, 0.2], [0.2, 0.6, 0.9], [0.1, 0.9, 0.1]])
    grid = [0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9]
    t, f1 = tune_per_label(Y, S, grid, fallback=0.42)
    assert t.tolist() == [0.3, 0.7, 0.42]  # smallest of the tied best thresholds per label
    assert f1[0] == 1.0 and f1[1] == 1.0 and np.isnan(f1[2])
    # fallback by metric name = the global threshold tune_global picks
    t2, _ = tune_per_label(Y, S, grid, fallback="ebF1")
    assert t2[2] == tune_global(Y, S, "ebF1", grid)[0]
    assert t2[:2].tolist() == [0.3, 0.7]


def test_tune_per_label_matches_brute_force_sklearn():
    Y, S = random_case(9, n=70, num_labels=10, density=0.08)
    Y[:, 3] = 0  # a label without positives
    thresholds, f1 = tune_per_label(Y, S, fallback=0.5)
    for label in range(Y.shape[1]):
        if Y[:, label].sum() == 0:
            assert thresholds[label] == 0.5 and np.isnan(f1[label])
            continue
        vals = [skm.f1_score(Y[:, label], S[:, label] >= t, zero_division=0.0) for t in PAPER_GRID]
        best = max(vals)
        assert f1[label] == pytest.approx(best, rel=1e-12)
        assert thresholds[label] == next(t for t, x in zip(PAPER_GRID, vals) if x >= best - 1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_at_least_one_table_equals_direct_binarisation(seed):
    Y, S = random_case(seed, density=0.1)
    S[:5] = 0.0  # rows empty at every threshold: the top label is the first (tie)
    S[5:10] = np.round(S[5:10] * 0.2, 2)  # rows that empty out part-way along the grid
    for scores in (S, S.astype(np.float32)):
        table = metric_vs_threshold(Y, scores, at_least_one=True)
        for j, t in enumerate(PAPER_GRID):
            P = binarize(scores, t, at_least_one=True)
            assert P.any(axis=1).all()
            direct = compute_metrics(Y, scores, t, at_least_one=True)
            for m in THRESHOLD_METRICS:
                a, b = table[m][j], direct[m]
                assert (np.isnan(a) and np.isnan(b)) or a == b, (m, t, a, b)
                assert a == pytest.approx(sk_metric(m, Y, P), nan_ok=True), (m, t)


def test_at_least_one_changes_the_table_only_where_rows_are_empty():
    Y, S = random_case(4, density=0.1)
    plain, one = metric_vs_threshold(Y, S), metric_vs_threshold(Y, S, at_least_one=True)
    never_empty = np.array([(S >= t).any(axis=1).all() for t in PAPER_GRID])
    assert never_empty.any() and (~never_empty).any()  # the case covers both
    for m in THRESHOLD_METRICS:
        assert np.array_equal(plain[m][never_empty], one[m][never_empty])
        assert not np.array_equal(plain[m][~never_empty], one[m][~never_empty])


def test_tune_global_at_least_one_matches_brute_force():
    Y, S = random_case(5, density=0.1)
    for metric in ("ebF1", "miF1"):
        values = [sk_metric(metric, Y, binarize(S, t, at_least_one=True)) for t in PAPER_GRID]
        t, v, _ = tune_global(Y, S, metric, at_least_one=True)
        assert v == pytest.approx(max(values))
        assert t == PAPER_GRID[int(np.argmax(values))]
        # the callable path applies the rule too
        f = lambda Yb, Pb, m=metric: sk_metric(m, Yb, Pb)  # noqa: E731
        assert tune_global(Y, S, f, at_least_one=True)[0] == t
