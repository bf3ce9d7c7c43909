"""Multi-label metrics: thresholded (ACC, HA, ebF1, miF1, maF1) and ranking (mAP, P@k).

Pure numpy. Every function accepts numpy arrays, array-likes or torch tensors
(converted with ``.detach().cpu().numpy()``; torch itself is never imported).

Notation: ``Y`` is the true multi-hot matrix ``[N, L]`` (values 0/1 or bool),
``P`` (``Yhat``) a predicted binary matrix ``[N, L]``, ``S`` a score matrix
``[N, L]`` (any real values; larger means "more likely"). For sample ``i``,
``Y_i`` and ``Yhat_i`` are its sets of true and predicted labels; for label
``l``, ``TP_l``, ``FP_l``, ``FN_l`` are its true positives, false positives and
false negatives over the ``N`` samples.

Binarisation: ``Yhat = [S >= t]`` with ``t`` a float or a per-label array ``[L]``.
Scores and thresholds are compared in float64 (float32 scores are converted
first), so a score exactly equal to the threshold is a positive prediction.

Exclusion conventions (the ones of the LaMP paper; identical to scikit-learn's
``f1_score(..., zero_division=np.nan)``, which averages with a nan-ignoring mean):

- ebF1 leaves out samples with ``|Y_i| + |Yhat_i| = 0`` (nothing true, nothing predicted);
- maF1 leaves out labels with ``TP_l + FP_l + FN_l = 0`` (never true, never predicted);
- miF1 is undefined only when nothing is true and nothing is predicted anywhere;
- mAP averages over labels with at least one positive (scikit-learn's
  ``average_precision_score`` instead scores a label without positives as 0).

When every sample / label is left out, the metric is ``nan`` (not 0, not 1):
e.g. for all-zero ``Y`` and ``P``: ACC = HA = 1, ebF1 = miF1 = maF1 = mAP = nan,
P@k = 0.
"""
from __future__ import annotations

from typing import Dict, Iterable, Sequence, Union

import numpy as np

THRESHOLD_METRICS = ("ACC", "HA", "ebF1", "miF1", "maF1")
"""Metrics computed from a binarised prediction, in report order."""

DEFAULT_KS = (1, 3, 5)
"""The ``k`` of the P@k metrics reported by :func:`compute_metrics` (those with ``k <= L``)."""

ArrayLike = Union[np.ndarray, Sequence, "torch.Tensor"]  # noqa: F821 (torch only named for type hints)


# --------------------------------------------------------------------------- input handling


def to_numpy(x) -> np.ndarray:
    """Converts a numpy array, array-like or torch tensor to a numpy array (no copy when possible)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch.Tensor, duck-typed
        t = x.detach().cpu()
        try:
            return t.numpy()
        except TypeError:  # dtypes numpy lacks (bfloat16, ...)
            return t.float().numpy()
    return np.asarray(x)


def _as_binary(x, name: str) -> np.ndarray:
    """A 2-D 0/1 (or bool) matrix as a bool array; raises ValueError otherwise."""
    a = to_numpy(x)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D [N, L], got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one label, got shape {a.shape}")
    if a.dtype == np.bool_:
        return a
    if not np.all((a == 0) | (a == 1)):
        raise ValueError(f"{name} must contain only 0 and 1")
    return a != 0


def _as_scores(x, name: str = "S") -> np.ndarray:
    """A 2-D score matrix as float64; raises ValueError for NaN scores."""
    a = to_numpy(x)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D [N, L], got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one label, got shape {a.shape}")
    a = np.asarray(a, dtype=np.float64)
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN scores")
    return a


def _same_shape(Y: np.ndarray, other: np.ndarray, name: str) -> None:
    if Y.shape != other.shape:
        raise ValueError(f"Y has shape {Y.shape} but {name} has shape {other.shape}")


def _as_threshold(threshold, num_labels: int) -> Union[float, np.ndarray]:
    """A float, or a per-label float64 array of shape [L] (returned as a [1, L] row)."""
    t = to_numpy(threshold)
    if t.ndim == 0:
        t = float(t)
        if np.isnan(t):
            raise ValueError("threshold is NaN")
        return t
    if t.shape != (num_labels,):
        raise ValueError(f"per-label threshold must have shape [{num_labels}], got {t.shape}")
    t = np.asarray(t, dtype=np.float64)
    if np.isnan(t).any():
        raise ValueError("per-label threshold contains NaN")
    return t[None, :]


def binarize(S: ArrayLike, threshold, at_least_one: bool = False) -> np.ndarray:
    """Thresholds scores: ``Yhat = [S >= t]``.

    With ``at_least_one`` (a decoding rule beyond the LaMP paper, for data where
    every sample has a label, such as Reuters), a sample with no score above its
    threshold predicts its top-scoring label instead of nothing:
    ``Yhat_i = {argmax_l S_il}`` when ``[S_i >= t]`` is empty (first maximum on ties).

    Args:
        S: scores ``[N, L]``.
        threshold: one float for all labels, or a per-label array ``[L]``.
        at_least_one: apply the rule above.

    Returns:
        bool array ``[N, L]``.
    """
    S = _as_scores(S)
    P = S >= _as_threshold(threshold, S.shape[1])
    if at_least_one and S.shape[1] > 0:
        empty = np.flatnonzero(~P.any(axis=1))
        P[empty, S[empty].argmax(axis=1)] = True
    return P


# --------------------------------------------------------------------------- counts -> metrics


def _nanmean(x: np.ndarray, axis=None):
    """Mean ignoring nan; nan (without a warning) where everything is nan."""
    valid = ~np.isnan(x)
    n = valid.sum(axis=axis)
    total = np.where(valid, x, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, nan where den == 0."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _metrics_from_counts(
    true_s: np.ndarray,
    pred_s: np.ndarray,
    tp_s: np.ndarray,
    true_l: np.ndarray,
    pred_l: np.ndarray,
    tp_l: np.ndarray,
    metrics: Iterable[str] = THRESHOLD_METRICS,
) -> Dict[str, np.ndarray]:
    """Thresholded metrics for G thresholds at once, from label counts.

    Args:
        true_s: ``[N]`` ``|Y_i|``.
        pred_s: ``[N, G]`` ``|Yhat_i|`` at each of G thresholds.
        tp_s: ``[N, G]`` ``|Y_i & Yhat_i|``.
        true_l: ``[L]`` positives of each label.
        pred_l: ``[L, G]`` predicted positives of each label.
        tp_l: ``[L, G]`` true positives of each label.
        metrics: names among :data:`THRESHOLD_METRICS`.

    Returns:
        name -> float64 array ``[G]``.
    """
    n, num_labels = true_s.shape[0], true_l.shape[0]
    # Threshold-major [G, N] / [G, L] layout: every float reduction runs along a
    # contiguous last axis, so a threshold's value does not depend on how many
    # thresholds are evaluated together (table and single-threshold results agree
    # to the last bit).
    ts = true_s[None, :].astype(np.int64)
    tl = true_l[None, :].astype(np.int64)
    ps, cs = np.ascontiguousarray(pred_s.T), np.ascontiguousarray(tp_s.T)
    pl, cl = np.ascontiguousarray(pred_l.T), np.ascontiguousarray(tp_l.T)
    out = {}
    for m in metrics:
        if m == "ACC":
            exact = ((cs == ts) & (cs == ps)).sum(axis=1)
            out[m] = exact / float(n)
        elif m == "HA":
            errors = (ts + ps - 2 * cs).sum(axis=1)
            out[m] = 1.0 - errors / float(n * num_labels)
        elif m == "ebF1":
            out[m] = _nanmean(_safe_ratio(2 * cs, ts + ps), axis=1)
        elif m == "miF1":
            out[m] = _safe_ratio(2 * cl.sum(axis=1), tl.sum() + pl.sum(axis=1))
        elif m == "maF1":
            out[m] = _nanmean(_safe_ratio(2 * cl, tl + pl), axis=1)
        else:
            raise ValueError(f"unknown thresholded metric {m!r}; expected one of {THRESHOLD_METRICS}")
    return out


def _binary_counts(Y: np.ndarray, P: np.ndarray):
    """(true_s, pred_s [N,1], tp_s [N,1], true_l, pred_l [L,1], tp_l [L,1]) for one binary prediction."""
    tp = Y & P
    return (
        Y.sum(axis=1),
        P.sum(axis=1)[:, None],
        tp.sum(axis=1)[:, None],
        Y.sum(axis=0),
        P.sum(axis=0)[:, None],
        tp.sum(axis=0)[:, None],
    )


def threshold_metrics(Y: ArrayLike, P: ArrayLike, metrics: Iterable[str] = THRESHOLD_METRICS) -> Dict[str, float]:
    """All thresholded metrics of one binary prediction (counts are computed once).

    Args:
        Y: true multi-hot ``[N, L]``.
        P: predicted binary ``[N, L]``.
        metrics: names among ``('ACC', 'HA', 'ebF1', 'miF1', 'maF1')``.

    Returns:
        name -> float (see the module docstring for the nan cases).
    """
    Y = _as_binary(Y, "Y")
    P = _as_binary(P, "P")
    _same_shape(Y, P, "P")
    values = _metrics_from_counts(*_binary_counts(Y, P), metrics=metrics)
    return {m: float(v[0]) for m, v in values.items()}


def subset_accuracy(Y: ArrayLike, P: ArrayLike) -> float:
    """Subset accuracy (ACC, exact match): ``ACC = (1/N) sum_i [Yhat_i == Y_i]``.

    Args:
        Y: true multi-hot ``[N, L]``.
        P: predicted binary ``[N, L]``.

    Returns:
        float in [0, 1]; equals ``sklearn.metrics.accuracy_score`` on multi-label input.
    """
    return threshold_metrics(Y, P, ("ACC",))["ACC"]


def hamming_accuracy(Y: ArrayLike, P: ArrayLike) -> float:
    """Hamming accuracy (HA): ``HA = 1 - (1/(N L)) sum_i |Y_i xor Yhat_i|`` (= 1 - Hamming loss).

    Args:
        Y: true multi-hot ``[N, L]``.
        P: predicted binary ``[N, L]``.

    Returns:
        float in [0, 1].
    """
    return threshold_metrics(Y, P, ("HA",))["HA"]


def example_f1(Y: ArrayLike, P: ArrayLike) -> float:
    """Example-based F1 (ebF1).

    ``ebF1 = mean over i in I of 2 |Y_i & Yhat_i| / (|Y_i| + |Yhat_i|)``, where
    ``I = {i : |Y_i| + |Yhat_i| > 0}``: samples with nothing true and nothing
    predicted are EXCLUDED from the mean (a sample with true labels but no
    prediction, or predictions but no true label, counts as 0).

    Args:
        Y: true multi-hot ``[N, L]``.
        P: predicted binary ``[N, L]``.

    Returns:
        float in [0, 1]; nan if ``I`` is empty (``Y`` and ``P`` all zero).
        Equals ``f1_score(Y, P, average='samples', zero_division=np.nan)``.
    """
    return threshold_metrics(Y, P, ("ebF1",))["ebF1"]


def micro_f1(Y: ArrayLike, P: ArrayLike) -> float:
    """Micro-averaged F1 (miF1): ``2 sum_l TP_l / (2 sum_l TP_l + sum_l FP_l + sum_l FN_l)``.

    Args:
        Y: true multi-hot ``[N, L]``.
        P: predicted binary ``[N, L]``.

    Returns:
        float in [0, 1]; nan when the denominator is 0 (``Y`` and ``P`` all zero).
        Equals ``f1_score(Y, P, average='micro', zero_division=np.nan)``.
    """
    return threshold_metrics(Y, P, ("miF1",))["miF1"]


def macro_f1(Y: ArrayLike, P: ArrayLike) -> float:
    """Macro-averaged F1 (maF1).

    ``maF1 = mean over l in J of 2 TP_l / (2 TP_l + FP_l + FN_l)``, where
    ``J = {l : TP_l + FP_l + FN_l > 0}``: labels never true and never predicted
    are EXCLUDED (a label true somewhere but never predicted counts as 0, and so
    does a label predicted somewhere but never true).

    Args:
        Y: true multi-hot ``[N, L]``.
        P: predicted binary ``[N, L]``.

    Returns:
        float in [0, 1]; nan if ``J`` is empty.
        Equals ``f1_score(Y, P, average='macro', zero_division=np.nan)``.
    """
    return threshold_metrics(Y, P, ("maF1",))["maF1"]


# --------------------------------------------------------------------------- ranking metrics


def average_precision_per_label(Y: ArrayLike, S: ArrayLike) -> np.ndarray:
    """Average precision of every label, ranking the N samples by score.

    For label ``l`` with ``n_l > 0`` positives, sorting the samples by decreasing
    score, ``AP_l = sum_k (R_k - R_{k-1}) P_k`` over the distinct score values
    (``P_k``, ``R_k`` precision and recall when predicting every sample with
    score >= the k-th largest distinct value). Tied scores form one step, so
    equivalently ``AP_l = (1/n_l) sum_{i positive} precision at the end of the
    tie group of i``. This is ``sklearn.metrics.average_precision_score`` (no
    interpolation).

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.

    Returns:
        float64 array ``[L]``; nan for labels without positives.
    """
    Y = _as_binary(Y, "Y")
    S = _as_scores(S)
    _same_shape(Y, S, "S")
    return _ap_per_label(Y, S)


def _ap_per_label(Y: np.ndarray, S: np.ndarray) -> np.ndarray:
    """average_precision_per_label on validated arrays (bool Y, float64 S).

    For each positive ``i`` of label ``l`` with score ``s``: precision at the end
    of its tie group = ``#{positives with score >= s} / #{samples with score >= s}``;
    ``AP_l`` is the mean of these over the positives. One sort per label plus
    binary searches for the (few) positives.
    """
    n, num_labels = S.shape
    St = np.ascontiguousarray(S.T)  # [L, N]
    Yt = np.ascontiguousarray(Y.T)
    sorted_scores = np.sort(St, axis=1)  # ascending, per label
    ap = np.full(num_labels, np.nan)
    for label in np.flatnonzero(Yt.any(axis=1)):
        pos = np.sort(St[label][Yt[label]])
        ranked = n - np.searchsorted(sorted_scores[label], pos, side="left")  # samples with score >= s
        pos_ranked = pos.size - np.searchsorted(pos, pos, side="left")  # positives with score >= s
        ap[label] = (pos_ranked / ranked).sum() / pos.size
    return ap


def mean_average_precision(Y: ArrayLike, S: ArrayLike) -> float:
    """Macro mean average precision (mAP) over labels with at least one positive.

    ``mAP = mean over l in {l : n_l > 0} of AP_l`` (see
    :func:`average_precision_per_label`). Labels without positives in ``Y`` are
    left out (scikit-learn would count them as AP = 0): equals
    ``average_precision_score(Y[:, m], S[:, m], average='macro')`` with
    ``m = Y.sum(0) > 0``.

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.

    Returns:
        float in [0, 1]; nan if no label has a positive.
    """
    return float(_nanmean(average_precision_per_label(Y, S)))


def _precision_at_ks(Y: np.ndarray, S: np.ndarray, ks: Sequence[int]) -> Dict[int, float]:
    n, num_labels = S.shape
    for k in ks:
        if int(k) != k or not 1 <= k <= num_labels:
            raise ValueError(f"k must be an integer in [1, L={num_labels}], got {k}")
    # The m = min(k_max + 1, L) largest scores of each row, in decreasing order, and their truth.
    m = min(int(max(ks)) + 1, num_labels)
    idx = np.argpartition(-S, m - 1, axis=1)[:, :m] if m < num_labels else np.broadcast_to(
        np.arange(num_labels), (n, num_labels))
    top_s = np.take_along_axis(S, idx, axis=1)
    order = np.argsort(-top_s, axis=1, kind="stable")
    top_s = np.take_along_axis(top_s, order, axis=1)
    top_y = np.take_along_axis(np.take_along_axis(Y, idx, axis=1), order, axis=1)
    cum_y = np.cumsum(top_y, axis=1)
    out = {}
    for k in ks:
        k = int(k)
        hits = cum_y[:, k - 1].astype(np.float64)  # exact when the k-th and (k+1)-th scores differ
        if k < num_labels:
            tied_rows = np.flatnonzero(top_s[:, k - 1] == top_s[:, k])
            if tied_rows.size:
                # The tie group at the k-th score crosses the top-k boundary: split it fractionally.
                # Labels above the k-th score are all in the top list; the group may extend past it.
                kth = top_s[tied_rows, k - 1][:, None]
                g = (top_s[tied_rows, :k] > kth).sum(axis=1)
                pos_above = np.where(g > 0, cum_y[tied_rows, np.maximum(g - 1, 0)], 0)
                all_rows = tied_rows.size == n
                tied = (S if all_rows else S[tied_rows]) == kth
                e = tied.sum(axis=1)
                pos_tied = (tied & (Y if all_rows else Y[tied_rows])).sum(axis=1)
                hits[tied_rows] = pos_above + pos_tied * (k - g) / e
        out[k] = float(np.mean(hits / k))
    return out


def precision_at_k(Y: ArrayLike, S: ArrayLike, k: int) -> float:
    """Precision at k: ``P@k = (1/N) sum_i |top_k(S_i) & Y_i| / k``.

    Every sample counts, including samples without true labels (they score 0).
    Ties at the k-th place are split fractionally: if ``g`` labels score above
    the k-th largest score ``s_k`` and ``e`` labels score exactly ``s_k`` (of
    which ``e_pos`` are true), the hits are ``pos_above + e_pos (k - g) / e``,
    i.e. the expectation over a random order of the tied labels. So the result
    does not depend on label order; without ties it is the plain count.

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.
        k: integer in ``[1, L]``.

    Returns:
        float in [0, 1].
    """
    Y = _as_binary(Y, "Y")
    S = _as_scores(S)
    _same_shape(Y, S, "S")
    return _precision_at_ks(Y, S, [k])[int(k)]


def ranking_metrics(Y: ArrayLike, S: ArrayLike, ks: Sequence[int] = DEFAULT_KS) -> Dict[str, float]:
    """Threshold-free metrics: ``'mAP'`` and ``'P@k'`` for each ``k`` in ``ks`` with ``k <= L``.

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.
        ks: the k of P@k; values above L are skipped.

    Returns:
        ``{'mAP': float, 'P@1': float, ...}``.
    """
    Y = _as_binary(Y, "Y")
    S = _as_scores(S)
    _same_shape(Y, S, "S")
    return _ranking(Y, S, ks)


def _ranking(Y: np.ndarray, S: np.ndarray, ks: Sequence[int]) -> Dict[str, float]:
    out = {"mAP": float(_nanmean(_ap_per_label(Y, S)))}
    ks = [int(k) for k in ks if k <= S.shape[1]]
    if ks:
        for k, v in _precision_at_ks(Y, S, ks).items():
            out[f"P@{k}"] = v
    return out


def compute_metrics(
    Y: ArrayLike, S: ArrayLike, threshold, ks: Sequence[int] = DEFAULT_KS, at_least_one: bool = False
) -> Dict[str, float]:
    """Every metric of one prediction.

    Thresholded metrics use ``Yhat = binarize(S, threshold, at_least_one)``; mAP and P@k use ``S``.

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.
        threshold: float, or per-label array ``[L]``.
        ks: the k of P@k (only those with ``k <= L`` are reported).
        at_least_one: the "at least one label" rule of :func:`binarize`.

    Returns:
        dict with keys ``'ACC', 'HA', 'ebF1', 'miF1', 'maF1', 'mAP', 'P@1', 'P@3', 'P@5'``
        (P@k only for ``k <= L``), float values (nan cases in the module docstring).
    """
    Y = _as_binary(Y, "Y")
    S = _as_scores(S)
    _same_shape(Y, S, "S")
    P = binarize(S, threshold, at_least_one)
    out = {m: float(v[0]) for m, v in _metrics_from_counts(*_binary_counts(Y, P)).items()}
    out.update(_ranking(Y, S, ks))
    return out
