"""Metrics against scikit-learn (the oracle) and hand-computed values."""
import itertools
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import torch

from lamp_pyg.evaluation import (
    average_precision_per_label,
    binarize,
    compute_metrics,
    example_f1,
    hamming_accuracy,
    macro_f1,
    mean_average_precision,
    micro_f1,
    precision_at_k,
    ranking_metrics,
    subset_accuracy,
    threshold_metrics,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")


# --------------------------------------------------------------------------- oracles


def sk_threshold_metrics(Y, P):
    Y = np.asarray(Y, dtype=int)
    P = np.asarray(P, dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "ACC": skm.accuracy_score(Y, P),
            "HA": 1.0 - skm.hamming_loss(Y, P),
            "ebF1": skm.f1_score(Y, P, average="samples", zero_division=np.nan),
            "miF1": skm.f1_score(Y, P, average="micro", zero_division=np.nan),
            "maF1": skm.f1_score(Y, P, average="macro", zero_division=np.nan),
        }


def sk_map(Y, S):
    """sklearn macro AP restricted to labels with a positive (nan if none)."""
    Y = np.asarray(Y, dtype=int)
    keep = Y.sum(axis=0) > 0
    if not keep.any():
        return np.nan
    return skm.average_precision_score(Y[:, keep], np.asarray(S)[:, keep], average="macro")


def loop_precision_at_k(Y, S, k):
    """Plain loop; correct for rows without ties around the k-th score."""
    hits = []
    for y, s in zip(np.asarray(Y), np.asarray(S)):
        top = sorted(range(len(s)), key=lambda j: -s[j])[:k]
        hits.append(sum(y[j] for j in top) / k)
    return float(np.mean(hits))


def assert_same(a, b, rel=1e-12):
    """Equal numbers, or both nan."""
    if np.isnan(b):
        assert np.isnan(a), (a, b)
    else:
        assert a == pytest.approx(b, rel=rel, abs=1e-15), (a, b)


def random_case(seed, n, num_labels, density, score_decimals=None):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, num_labels)) < density).astype(np.int64)
    S = np.clip(0.35 * Y + 0.65 * rng.random((n, num_labels)), 0, 1)
    if score_decimals is not None:
        S = np.round(S, score_decimals)
    return Y, S


# --------------------------------------------------------------------------- random matrices vs sklearn


@pytest.mark.parametrize(
    "seed,n,num_labels,density",
    [(0, 50, 7, 0.3), (1, 200, 30, 0.05), (2, 17, 60, 0.02), (3, 120, 5, 0.6), (4, 400, 80, 0.01)],
)
@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_thresholded_metrics_match_sklearn(seed, n, num_labels, density, threshold):
    Y, S = random_case(seed, n, num_labels, density)
    P = S >= threshold
    ours = threshold_metrics(Y, P)
    ref = sk_threshold_metrics(Y, P)
    for m in ref:
        assert_same(ours[m], ref[m])
    # the single-metric functions give the same numbers
    assert_same(subset_accuracy(Y, P), ref["ACC"])
    assert_same(hamming_accuracy(Y, P), ref["HA"])
    assert_same(example_f1(Y, P), ref["ebF1"])
    assert_same(micro_f1(Y, P), ref["miF1"])
    assert_same(macro_f1(Y, P), ref["maF1"])
    # and compute_metrics binarises with S >= t
    full = compute_metrics(Y, S, threshold)
    for m in ref:
        assert_same(full[m], ref[m])


@pytest.mark.parametrize("seed,n,num_labels,density", [(0, 50, 7, 0.3), (1, 300, 40, 0.03), (2, 9, 25, 0.1)])
@pytest.mark.parametrize("decimals", [None, 1, 2])  # 1 and 2 decimals create many tied scores
def test_map_matches_sklearn(seed, n, num_labels, density, decimals):
    Y, S = random_case(seed, n, num_labels, density, decimals)
    assert_same(mean_average_precision(Y, S), sk_map(Y, S), rel=1e-10)
    per_label = average_precision_per_label(Y, S)
    for label in range(num_labels):
        if Y[:, label].sum() == 0:
            assert np.isnan(per_label[label])
        else:
            assert per_label[label] == pytest.approx(skm.average_precision_score(Y[:, label], S[:, label]), rel=1e-10)


def test_map_hand_example_with_ties():
    # one label; scores 0.5 (3 tied, 2 positive) then 0.2 (positive):
    # AP = (2/3 recall step) * precision 2/3 + (1/3) * 3/4
    Y = np.array([[1], [0], [1], [1]])
    S = np.array([[0.5], [0.5], [0.5], [0.2]])
    assert mean_average_precision(Y, S) == pytest.approx(2 / 3 * 2 / 3 + 1 / 3 * 3 / 4)


@pytest.mark.parametrize("seed,n,num_labels,density", [(0, 50, 7, 0.3), (1, 200, 30, 0.05), (5, 31, 12, 0.2)])
def test_precision_at_k_matches_loop(seed, n, num_labels, density):
    Y, S = random_case(seed, n, num_labels, density)  # continuous scores: no ties
    for k in (1, 3, 5, num_labels):
        assert precision_at_k(Y, S, k) == pytest.approx(loop_precision_at_k(Y, S, k), rel=1e-12)
    r = ranking_metrics(Y, S)
    assert r["P@3"] == pytest.approx(loop_precision_at_k(Y, S, 3), rel=1e-12)


def test_precision_at_k_ties_are_split_fractionally():
    # row 0: 0.9 (false) above, three tied at 0.5 of which one is true; k=2 takes one of the three
    # row 1: no ties: top-2 = labels 3 (true) and 0 (false)
    Y = np.array([[0, 1, 0, 0], [0, 0, 0, 1]])
    S = np.array([[0.9, 0.5, 0.5, 0.5], [0.7, 0.1, 0.2, 0.8]])
    expected_row0 = (0 + 1 / 3) / 2
    assert precision_at_k(Y, S, 2) == pytest.approx((expected_row0 + 0.5) / 2)
    # equals the average over every order of the tied labels
    brute = []
    for perm in itertools.permutations([1, 2, 3]):
        top = [0, perm[0]]
        brute.append(sum(Y[0, j] for j in top) / 2)
    assert expected_row0 == pytest.approx(np.mean(brute))
    # and does not depend on the order of labels
    order = [2, 0, 3, 1]
    assert precision_at_k(Y[:, order], S[:, order], 2) == pytest.approx(precision_at_k(Y, S, 2))


@pytest.mark.parametrize("decimals", [1, 0])  # 0 decimals: every row has ties at every k
def test_precision_at_k_with_ties_equals_average_over_label_orders(decimals):
    rng = np.random.default_rng(3)
    n, num_labels = 12, 6
    Y = (rng.random((n, num_labels)) < 0.4).astype(int)
    S = np.round(rng.random((n, num_labels)) * (1 if decimals else 2), decimals)
    perms = list(itertools.permutations(range(num_labels)))
    for k in (1, 3, 5, 6):
        # exact expectation over a uniformly random order of tied labels: stable top-k under every label order
        brute = np.mean([loop_precision_at_k(Y[:, list(p)], S[:, list(p)], k) for p in perms])
        assert precision_at_k(Y, S, k) == pytest.approx(brute, rel=1e-12)


# --------------------------------------------------------------------------- edge cases


def test_empty_prediction_row_counts_zero_in_ebf1():
    Y = np.array([[1, 0, 1], [0, 1, 0]])
    P = np.array([[1, 0, 1], [0, 0, 0]])  # row 1 has a true label, predicts nothing
    assert example_f1(Y, P) == 0.5
    assert_same(example_f1(Y, P), sk_threshold_metrics(Y, P)["ebF1"])
    assert subset_accuracy(Y, P) == 0.5


def test_empty_label_row_counts_zero_in_ebf1():
    Y = np.array([[1, 0, 1], [0, 0, 0]])  # row 1 has no true label but predicts one
    P = np.array([[1, 0, 1], [0, 1, 0]])
    assert example_f1(Y, P) == 0.5
    assert_same(example_f1(Y, P), sk_threshold_metrics(Y, P)["ebF1"])


def test_row_empty_in_both_is_excluded_from_ebf1():
    Y = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]])
    P = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 0]])
    # rows: 2*1/(2+1)=2/3, excluded, 1  -> mean over 2 rows (not 3)
    assert example_f1(Y, P) == pytest.approx((2 / 3 + 1) / 2)
    assert_same(example_f1(Y, P), sk_threshold_metrics(Y, P)["ebF1"])
    # ACC counts the empty/empty row as an exact match
    assert subset_accuracy(Y, P) == pytest.approx(2 / 3)


def test_label_absent_from_set():
    # label 2 never true: excluded from maF1 while never predicted, counts 0 once predicted
    Y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    P_never = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    f_l0, f_l1 = 1.0, 2 * 1 / (2 * 1 + 0 + 1)
    assert macro_f1(Y, P_never) == pytest.approx((f_l0 + f_l1) / 2)
    P_false_alarm = P_never.copy()
    P_false_alarm[0, 2] = 1
    assert macro_f1(Y, P_false_alarm) == pytest.approx((f_l0 + f_l1 + 0.0) / 3)
    for P in (P_never, P_false_alarm):
        ref = sk_threshold_metrics(Y, P)
        ours = threshold_metrics(Y, P)
        for m in ref:
            assert_same(ours[m], ref[m])
    # mAP leaves the label out (sklearn would score it 0)
    S = np.array([[0.9, 0.1, 0.3], [0.2, 0.8, 0.4], [0.7, 0.6, 0.5]])
    assert mean_average_precision(Y, S) == pytest.approx(1.0)
    assert np.isnan(average_precision_per_label(Y, S)[2])


def test_label_never_predicted_counts_zero_in_macro_f1():
    Y = np.array([[1, 1], [0, 1], [1, 0]])
    P = np.array([[1, 0], [0, 0], [1, 0]])  # label 1 true twice, never predicted
    assert macro_f1(Y, P) == pytest.approx(0.5)
    assert micro_f1(Y, P) == pytest.approx(2 * 2 / (2 * 2 + 0 + 2))
    assert_same(macro_f1(Y, P), sk_threshold_metrics(Y, P)["maF1"])


def test_all_zero_truth_and_prediction():
    Y = np.zeros((4, 6), dtype=int)
    S = np.full((4, 6), 0.1)
    out = compute_metrics(Y, S, 0.5)  # nothing predicted
    assert out["ACC"] == 1.0 and out["HA"] == 1.0
    for m in ("ebF1", "miF1", "maF1", "mAP"):
        assert np.isnan(out[m]), m
    assert out["P@1"] == 0.0 and out["P@5"] == 0.0
    ref = sk_threshold_metrics(Y, Y)
    for m in ("ebF1", "miF1", "maF1"):
        assert np.isnan(ref[m])  # documented: same as sklearn with zero_division=nan


def test_single_sample():
    Y = np.array([[1, 0, 1, 0]])
    S = np.array([[0.9, 0.6, 0.2, 0.1]])
    out = compute_metrics(Y, S, 0.5)
    assert out["ACC"] == 0.0
    assert out["HA"] == 0.5
    assert out["ebF1"] == pytest.approx(2 * 1 / (2 + 2))
    assert out["miF1"] == pytest.approx(0.5)
    # labels: 0 -> F1 1, 1 -> 0 (false alarm), 2 -> 0 (missed), 3 excluded
    assert out["maF1"] == pytest.approx(1 / 3)
    assert out["mAP"] == pytest.approx(1.0)  # one sample: each positive label's AP is 1
    assert out["P@1"] == 1.0 and out["P@3"] == pytest.approx(2 / 3)
    assert "P@5" not in out  # L = 4
    ref = sk_threshold_metrics(Y, S >= 0.5)
    for m in ref:
        assert_same(out[m], ref[m])


def test_per_label_threshold_array():
    Y, S = random_case(7, 80, 6, 0.3)
    t = np.array([0.1, 0.3, 0.5, 0.7, 0.9, 0.45])
    P = S >= t[None, :]
    out = compute_metrics(Y, S, t)
    ref = sk_threshold_metrics(Y, P)
    for m in ref:
        assert_same(out[m], ref[m])
    assert np.array_equal(binarize(S, t), P)
    # differs from any single threshold's result for this data
    assert out["maF1"] != compute_metrics(Y, S, 0.5)["maF1"]
    with pytest.raises(ValueError):
        compute_metrics(Y, S, t[:5])


def test_score_equal_to_threshold_is_positive():
    Y = np.array([[1, 0]])
    S = np.array([[0.5, 0.49]])
    assert compute_metrics(Y, S, 0.5)["ACC"] == 1.0
    # float32 scores are compared in float64: 0.15f = 0.1500000059... >= 0.15
    assert binarize(np.array([[np.float32(0.15)]], dtype=np.float32), 0.15)[0, 0]


def test_keys_and_p_at_k_limited_by_label_count():
    Y, S = random_case(3, 10, 983, 0.01)
    assert list(compute_metrics(Y, S, 0.5)) == ["ACC", "HA", "ebF1", "miF1", "maF1", "mAP", "P@1", "P@3", "P@5"]
    Y, S = random_case(3, 10, 2, 0.5)
    assert list(compute_metrics(Y, S, 0.5)) == ["ACC", "HA", "ebF1", "miF1", "maF1", "mAP", "P@1"]


def test_torch_tensors_give_numpy_results():
    Y, S = random_case(11, 60, 9, 0.25)
    S32 = S.astype(np.float32)
    ours_np = compute_metrics(Y.astype(np.float32), S32, 0.4)
    ours_t = compute_metrics(torch.from_numpy(Y).float(), torch.from_numpy(S32).requires_grad_(), 0.4)
    assert ours_np == ours_t
    t = torch.full((9,), 0.4)
    assert compute_metrics(torch.from_numpy(Y), torch.from_numpy(S32), t) == ours_np
    ref = sk_threshold_metrics(Y, S32.astype(np.float64) >= 0.4)
    for m in ref:
        assert_same(ours_t[m], ref[m])


@pytest.mark.parametrize(
    "Y,S,err",
    [
        (np.array([[0, 2]]), np.array([[0.1, 0.2]]), "only 0 and 1"),
        (np.array([[0, 1]]), np.array([[0.1, 0.2, 0.3]]), "shape"),
        (np.array([[0, 1]]), np.array([[np.nan, 0.2]]), "NaN"),
        (np.array([0, 1]), np.array([0.1, 0.2]), "2-D"),
        (np.zeros((0, 3)), np.zeros((0, 3)), "at least one"),
    ],
)
def test_bad_inputs_raise(Y, S, err):
    with pytest.raises(ValueError, match=err):
        compute_metrics(Y, S, 0.5)


def test_bad_k_raises():
    Y, S = random_case(0, 5, 4, 0.5)
    for k in (0, 5, 1.5):
        with pytest.raises(ValueError):
            precision_at_k(Y, S, k)




def test_at_least_one_fills_only_empty_rows_with_the_top_label():
    S = np.array([[0.2, 0.7, 0.1],   # has a label: unchanged
                  [0.3, 0.1, 0.4],   # empty at 0.5: top label 2
                  [0.2, 0.2, 0.1],   # empty, tie: the first maximum (label 0)
                  [0.9, 0.8, 0.6]])
    P = binarize(S, 0.5, at_least_one=True)
    assert P.tolist() == [[False, True, False], [False, False, True],
                          [True, False, False], [True, True, True]]
    assert np.array_equal(binarize(S, 0.5), S >= 0.5)  # off by default
    # per-label thresholds: emptiness is judged against each label's own threshold
    P = binarize(S, np.array([0.25, 0.9, 0.9]), at_least_one=True)
    assert P.tolist() == [[False, True, False], [True, False, False],
                          [True, False, False], [True, False, False]]
    Y = np.array([[0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 1, 1]])
    plain, one = compute_metrics(Y, S, 0.5), compute_metrics(Y, S, 0.5, at_least_one=True)
    # rows 1 and 2 go from 0 to 1 and 0 (F1 of {2} vs {2}; {0} vs {1})
    assert plain["ebF1"] == pytest.approx((1 + 0 + 0 + 1) / 4)
    assert one["ebF1"] == pytest.approx((1 + 1 + 0 + 1) / 4)
    assert one["mAP"] == plain["mAP"]  # ranking metrics do not depend on the rule
