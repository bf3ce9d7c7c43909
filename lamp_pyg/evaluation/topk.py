r"""Metrics from per-sample top-k predictions and sparse truth: no ``[N, L]`` array.

For label sets of 10,000 to 100,000 labels a dense score matrix of a test set does
not fit in memory. These functions take, for each sample :math:`i`,

- ``ids`` ``[N, k]``: label ids ranked by decreasing score (row :math:`i`'s best first),
- ``scores`` ``[N, k]``: their scores (only needed to binarise at a threshold),
- ``true``: the true label ids of each sample, a list of lists (as
  :attr:`lamp_pyg.io.base.RawSplit.labels`) or a CSR pair ``(indptr [N + 1], indices)``,

and compute, with the conventions of :mod:`lamp_pyg.evaluation.metrics`:

- P@k :math:`= \frac{1}{N}\sum_i |\mathrm{top}_k(i) \cap Y_i| / k` (every sample counts;
  a sample without true labels scores 0);
- nDCG@k :math:`= \frac{1}{N}\sum_i \mathrm{DCG}_k(i) / \mathrm{IDCG}_k(i)` with
  :math:`\mathrm{DCG}_k(i) = \sum_{r=1}^{k} [\mathrm{top}(i)_r \in Y_i] / \log_2(r + 1)` and
  :math:`\mathrm{IDCG}_k(i) = \sum_{r=1}^{\min(k, |Y_i|)} 1 / \log_2(r + 1)`; a sample
  without true labels scores 0 (scikit-learn's ``ndcg_score`` convention);
- ebF1 of predicted label sets (from a threshold on the listed scores, or the top k):
  samples with nothing true and nothing predicted are left out; nan when all are.

Ties: the rank is the order of ``ids`` in the row (the dense :func:`precision_at_k`
splits a tie at the k-th place fractionally, which needs every tied label's score;
a top-k list does not have them). Without ties both agree exactly.
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple, Union

import numpy as np

from .metrics import DEFAULT_KS, to_numpy

TrueLabels = Union[Sequence[Sequence[int]], Tuple[np.ndarray, np.ndarray]]


def as_csr(true: TrueLabels, num_samples: int) -> Tuple[np.ndarray, np.ndarray]:
    """``(indptr [N + 1], indices)`` int64 of a list of label lists or a CSR pair."""
    if isinstance(true, tuple) and len(true) == 2 and np.ndim(true[0]) == 1 and \
            len(true[0]) == num_samples + 1 and np.ndim(true[1]) == 1:
        indptr, indices = (np.asarray(to_numpy(a), dtype=np.int64) for a in true)
    else:
        if len(true) != num_samples:
            raise ValueError(f"true labels: {len(true)} samples, predictions: {num_samples}")
        lengths = np.fromiter((len(t) for t in true), dtype=np.int64, count=num_samples)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        indices = (np.concatenate([np.asarray(t, dtype=np.int64) for t in true])
                   if indptr[-1] else np.zeros(0, dtype=np.int64))
    if indices.size and indices.min() < 0:
        raise ValueError("true labels hold a negative label id")
    return indptr, indices


def _rows(indptr: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))


def hits(true: TrueLabels, ids) -> np.ndarray:
    """Bool ``[N, k]``: whether ``ids[i, r]`` is a true label of sample ``i``.

    One sorted search over keys ``i * M + label`` (``M`` = one past the largest id), so
    the cost is :math:`O((Nk + \\mathrm{nnz}) \\log)`, independent of the label count.
    """
    ids = np.asarray(to_numpy(ids), dtype=np.int64)
    if ids.ndim != 2:
        raise ValueError(f"ids must be 2-D [N, k], got shape {ids.shape}")
    indptr, indices = as_csr(true, ids.shape[0])
    m = int(max(ids.max(initial=-1), indices.max(initial=-1))) + 1
    true_keys = np.unique(_rows(indptr) * m + indices)
    keys = np.arange(ids.shape[0], dtype=np.int64)[:, None] * m + ids
    pos = np.searchsorted(true_keys, keys)
    found = np.zeros(keys.shape, dtype=bool)
    inside = pos < true_keys.size
    found[inside] = true_keys[pos[inside]] == keys[inside]
    return found & (ids >= 0)


def _check_ks(ks: Sequence[int], width: int) -> list:
    ks = [int(k) for k in ks]
    for k in ks:
        if not 1 <= k <= width:
            raise ValueError(f"k must be in [1, {width}] (the width of ids), got {k}")
    return ks


def precision_at_ks(true: TrueLabels, ids, ks: Sequence[int] = DEFAULT_KS) -> Dict[str, float]:
    """``{'P@k': float}`` for each ``k`` (at most the width of ``ids``)."""
    h = hits(true, ids)
    return {f"P@{k}": float(h[:, :k].sum(axis=1).mean() / k) for k in _check_ks(ks, h.shape[1])}


def ndcg_at_ks(true: TrueLabels, ids, ks: Sequence[int] = DEFAULT_KS) -> Dict[str, float]:
    """``{'nDCG@k': float}`` for each ``k`` (see the module docstring)."""
    h = hits(true, ids)
    indptr, _ = as_csr(true, h.shape[0])
    n_true = np.diff(indptr)
    discount = 1.0 / np.log2(np.arange(2, h.shape[1] + 2))
    ideal = np.concatenate([[0.0], np.cumsum(discount)])  # ideal[j]: IDCG of j true labels
    out = {}
    for k in _check_ks(ks, h.shape[1]):
        dcg = (h[:, :k] * discount[:k]).sum(axis=1)
        idcg = ideal[np.minimum(n_true, k)]
        out[f"nDCG@{k}"] = float(np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1), 0).mean())
    return out


def example_f1_sets(true: TrueLabels, pred: TrueLabels, num_samples: int) -> float:
    """ebF1 of predicted label sets against true ones (both lists of lists or CSR).

    ``mean over {i : |Y_i| + |Yhat_i| > 0} of 2 |Y_i & Yhat_i| / (|Y_i| + |Yhat_i|)``;
    nan when no sample has a true or a predicted label.
    """
    p_ptr, p_idx = as_csr(pred, num_samples)
    t_ptr, t_idx = as_csr(true, num_samples)
    m = int(max(p_idx.max(initial=-1), t_idx.max(initial=-1))) + 1
    p_keys = np.unique(_rows(p_ptr) * m + p_idx)
    t_keys = np.unique(_rows(t_ptr) * m + t_idx)
    both = np.intersect1d(p_keys, t_keys, assume_unique=True)
    tp = np.bincount(both // max(m, 1), minlength=num_samples)
    n_pred = np.bincount(p_keys // max(m, 1), minlength=num_samples)
    n_true = np.bincount(t_keys // max(m, 1), minlength=num_samples)
    den = n_pred + n_true
    if not (den > 0).any():
        return float("nan")
    return float((2.0 * tp[den > 0] / den[den > 0]).mean())


def predicted_at_threshold(ids, scores,
                           threshold: float) -> Tuple[Tuple[np.ndarray, np.ndarray], int]:
    """The listed labels with ``score >= threshold`` as CSR, and the number of rows whose
    LAST listed score is still ``>= threshold`` (their prediction may be cut by the list's
    width: a wider top-k list could add labels). Scores compare in float64."""
    ids = np.asarray(to_numpy(ids), dtype=np.int64)
    s = np.asarray(to_numpy(scores), dtype=np.float64)
    if ids.shape != s.shape or ids.ndim != 2:
        raise ValueError(f"ids {ids.shape} and scores {s.shape} must be the same [N, k] shape")
    on = s >= float(threshold)
    indptr = np.concatenate([[0], np.cumsum(on.sum(axis=1))])
    return (indptr, ids[on]), int(on[:, -1].sum()) if ids.shape[1] else 0


def topk_metrics(true: TrueLabels, ids, scores, threshold: float,
                 ks: Sequence[int] = DEFAULT_KS) -> Dict[str, float]:
    """P@k, nDCG@k (``k`` up to the list width), ``ebF1`` at ``threshold`` over the listed
    labels, ``ebF1@k`` of the top-k sets, and ``truncated`` (rows whose thresholded set
    may be cut by the list width, see :func:`predicted_at_threshold`)."""
    ids = np.asarray(to_numpy(ids), dtype=np.int64)
    n, width = ids.shape
    ks = [k for k in ks if k <= width]
    out = {**precision_at_ks(true, ids, ks), **ndcg_at_ks(true, ids, ks)}
    pred, truncated = predicted_at_threshold(ids, scores, threshold)
    out["ebF1"] = example_f1_sets(true, pred, n)
    for k in ks:
        top = (np.arange(0, n * k + 1, k), ids[:, :k].reshape(-1))
        out[f"ebF1@{k}"] = example_f1_sets(true, top, n)
    out["truncated"] = float(truncated)
    return out
