"""Top-k / sparse metrics equal the dense ones of lamp_pyg.evaluation.metrics."""
import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from lamp_pyg.evaluation import example_f1, precision_at_k
from lamp_pyg.evaluation.topk import (as_csr, example_f1_sets, hits, ndcg_at_ks,
                                      precision_at_ks, predicted_at_threshold, topk_metrics)


def _random(seed, n=40, L=12):
    rng = np.random.default_rng(seed)
    Y = rng.random((n, L)) < 0.25
    Y[:3] = False  # samples without true labels
    S = rng.normal(size=(n, L))  # continuous: no ties
    lists = [list(np.flatnonzero(row)) for row in Y]
    order = np.argsort(-S, axis=1)
    return Y, S, lists, order, np.take_along_axis(S, order, axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_precision_and_ndcg_equal_dense(seed):
    Y, S, lists, ids, _ = _random(seed)
    for width in (5, Y.shape[1]):  # a short list and the full ranking
        p = precision_at_ks(lists, ids[:, :width], (1, 3, 5))
        nd = ndcg_at_ks(lists, ids[:, :width], (1, 3, 5))
        for k in (1, 3, 5):
            assert p[f"P@{k}"] == pytest.approx(precision_at_k(Y, S, k), abs=1e-12)
            assert nd[f"nDCG@{k}"] == pytest.approx(ndcg_score(Y, S, k=k), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_ebf1_equals_dense(seed):
    Y, S, lists, ids, top_s = _random(seed)
    for t in (-0.5, 0.3, 5.0):  # 5.0: nothing predicted, samples with labels count 0
        pred, truncated = predicted_at_threshold(ids, top_s, t)
        assert example_f1_sets(lists, pred, len(lists)) == pytest.approx(example_f1(Y, S >= t),
                                                                         abs=1e-12)
    # top-3 sets
    P = np.zeros_like(Y)
    np.put_along_axis(P, ids[:, :3], True, axis=1)
    m = topk_metrics(lists, ids[:, :5], top_s[:, :5], 0.0)
    assert m["ebF1@3"] == pytest.approx(example_f1(Y, P), abs=1e-12)


def test_nan_and_truncation_conventions():
    empty = [[], []]
    assert np.isnan(example_f1_sets(empty, empty, 2))
    ids = np.array([[0, 1], [1, 0]])
    scores = np.array([[0.9, 0.8], [0.7, 0.1]])
    (indptr, idx), truncated = predicted_at_threshold(ids, scores, 0.5)
    assert list(indptr) == [0, 2, 3] and list(idx) == [0, 1, 1]
    assert truncated == 1  # row 0: its last listed score passes, a wider list could add more
    # CSR input equals list input
    assert as_csr([[1], [0, 2]], 2)[0].tolist() == [0, 1, 3]
    assert hits(([0, 1, 3], [1, 0, 2]), ids).tolist() == [[False, True], [False, True]]
    assert hits([[1], [0, 2]], ids).tolist() == [[False, True], [False, True]]
    with pytest.raises(ValueError, match="k must be in"):
        precision_at_ks([[0], [1]], ids, (3,))
    with pytest.raises(ValueError, match="1 samples, predictions: 2"):
        hits([[0]], ids)
