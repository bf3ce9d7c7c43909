"""Threshold grids and threshold tuning on validation scores.

Binarisation is ``Yhat = [S >= t]`` (see :mod:`lamp_pyg.evaluation.metrics`).
All metric values along a grid are computed in one pass: each score is placed
in its grid bin once, and per-sample / per-label counts at every threshold come
from cumulative bin counts, so evaluating the 27-value paper grid costs about as
much as evaluating two thresholds directly. The numbers are identical to
:func:`~lamp_pyg.evaluation.metrics.compute_metrics` at each grid threshold
(same float64 comparison, same count formulas).

Selection rules (documented because they change reported numbers):

- the best value is the largest; ``nan`` (metric undefined at that threshold)
  ranks below every number;
- ties go to the SMALLEST threshold;
- if the metric is ``nan`` at every threshold, the smallest threshold is
  returned with value ``nan``.
"""
from __future__ import annotations

from typing import Callable, Dict, Iterable, Sequence, Tuple, Union

import numpy as np

from .metrics import (
    THRESHOLD_METRICS,
    ArrayLike,
    _as_binary,
    _as_scores,
    _metrics_from_counts,
    binarize,
    _same_shape,
    _safe_ratio,
)

PAPER_GRID: Tuple[float, ...] = tuple(
    [round(0.01 * i, 2) for i in range(1, 10)] + [round(0.05 * i, 2) for i in range(2, 20)]
)
"""The LaMP paper's grid: 0.01..0.09 step 0.01, then 0.10..0.95 step 0.05 (27 values, ascending).

Values are rounded to 2 decimals, so e.g. ``0.15 in PAPER_GRID`` holds exactly.
"""

MetricArg = Union[str, Callable[[np.ndarray, np.ndarray], float]]


def as_grid(grid: Iterable[float]) -> np.ndarray:
    """A threshold grid as a sorted float64 array ``[G]``.

    Raises:
        ValueError: if the grid is empty, has NaN or duplicate values.
    """
    g = np.asarray(list(grid) if not isinstance(grid, np.ndarray) else grid, dtype=np.float64).ravel()
    if g.size == 0:
        raise ValueError("threshold grid is empty")
    if np.isnan(g).any():
        raise ValueError("threshold grid contains NaN")
    g = np.sort(g)
    if (g[1:] == g[:-1]).any():
        raise ValueError("threshold grid has duplicate values")
    return g


def best_index(values: ArrayLike) -> int:
    """Index of the largest value; ``nan`` ranks lowest; ties -> the first index (0 if all nan).

    With an ascending grid, the first index is the smallest threshold.
    """
    v = np.asarray(values, dtype=np.float64)
    return int(np.argmax(np.where(np.isnan(v), -np.inf, v)))


def _grid_counts(Y: np.ndarray, S: np.ndarray, grid: np.ndarray, at_least_one: bool = False):
    """Counts at every grid threshold.

    With ``at_least_one``, a sample with no score ``>= grid[j]`` predicts its
    top-scoring label at that threshold (see :func:`~lamp_pyg.evaluation.metrics.binarize`).

    Returns:
        (true_s [N], pred_s [N, G], tp_s [N, G], true_l [L], pred_l [L, G], tp_l [L, G])
        where ``pred_*[:, j]`` counts ``S >= grid[j]``.
    """
    n, num_labels = S.shape
    g = grid.shape[0]
    # bins[i, l] = number of grid values <= S[i, l]; S >= grid[j]  <=>  bins > j.
    bins = np.searchsorted(grid, S, side="right")
    nb = g + 1

    def cumulative(hist_flat: np.ndarray, rows: int) -> np.ndarray:
        hist = hist_flat.reshape(rows, nb)
        # count of bins > j, for j = 0..G-1: reverse cumulative sum without bin 0.
        return np.cumsum(hist[:, :0:-1], axis=1)[:, ::-1]

    row_keys = np.arange(n, dtype=np.int64)[:, None] * nb + bins
    col_keys = np.arange(num_labels, dtype=np.int64)[None, :] * nb + bins
    pred_s = cumulative(np.bincount(row_keys.ravel(), minlength=n * nb), n)
    tp_s = cumulative(np.bincount(row_keys[Y], minlength=n * nb), n)
    pred_l = cumulative(np.bincount(col_keys.ravel(), minlength=num_labels * nb), num_labels)
    tp_l = cumulative(np.bincount(col_keys[Y], minlength=num_labels * nb), num_labels)
    if at_least_one and n > 0:
        top = S.argmax(axis=1)  # [N] first maximum, as in binarize
        hit = Y[np.arange(n), top].astype(np.int64)  # [N] is the top label true?
        # Sample i is empty at threshold j  <=>  max_l S[i, l] < grid[j]  <=>  top_bin[i] <= j.
        top_bin = bins[np.arange(n), top]  # [N] in 0..G
        empty = np.arange(g)[None, :] >= top_bin[:, None]  # [N, G]
        pred_s = pred_s + empty
        tp_s = tp_s + empty * hit[:, None]
        # Per label: samples whose fallback is this label, counted at every j >= their bin.
        keys = top * nb + top_bin
        pred_l = pred_l + np.cumsum(np.bincount(keys, minlength=num_labels * nb).reshape(num_labels, nb), axis=1)[:, :g]
        tp_l = tp_l + np.cumsum(
            np.bincount(keys, weights=hit, minlength=num_labels * nb).reshape(num_labels, nb), axis=1
        )[:, :g].astype(np.int64)
    return Y.sum(axis=1), pred_s, tp_s, Y.sum(axis=0), pred_l, tp_l


def metric_vs_threshold(
    Y: ArrayLike,
    S: ArrayLike,
    metrics: Sequence[str] = THRESHOLD_METRICS,
    grid: Iterable[float] = PAPER_GRID,
    at_least_one: bool = False,
) -> Dict[str, np.ndarray]:
    """Thresholded metrics at every grid threshold (a table for plotting or tuning).

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.
        metrics: names among ``('ACC', 'HA', 'ebF1', 'miF1', 'maF1')``.
        grid: thresholds (sorted ascending in the output).
        at_least_one: decode with the "at least one label" rule (see
            :func:`~lamp_pyg.evaluation.metrics.binarize`).

    Returns:
        ``{'threshold': float64 [G] ascending, metric: float64 [G], ...}``; entry
        ``j`` of a metric equals ``compute_metrics(Y, S, threshold[j], at_least_one=at_least_one)[metric]``.
    """
    Y = _as_binary(Y, "Y")
    S = _as_scores(S)
    _same_shape(Y, S, "S")
    g = as_grid(grid)
    metrics = list(metrics)
    for m in metrics:
        if m not in THRESHOLD_METRICS:
            raise ValueError(f"{m!r} is not a thresholded metric; expected one of {THRESHOLD_METRICS}")
    table = {"threshold": g}
    table.update(_metrics_from_counts(*_grid_counts(Y, S, g, at_least_one), metrics=metrics))
    return table


def tune_global(
    Y: ArrayLike,
    S: ArrayLike,
    metric: MetricArg,
    grid: Iterable[float] = PAPER_GRID,
    at_least_one: bool = False,
) -> Tuple[float, float, Dict[float, float]]:
    """One global threshold maximising a metric on (validation) data.

    ``t* = argmax_{t in grid} metric(Y, [S >= t])``; ties -> the smallest ``t``;
    ``nan`` values rank lowest (all nan -> smallest ``t``, value nan).

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.
        metric: a name among ``('ACC', 'HA', 'ebF1', 'miF1', 'maF1')``, or a
            callable ``f(Y_bool [N, L], Yhat_bool [N, L]) -> float``.
        grid: candidate thresholds.
        at_least_one: tune for the "at least one label" decoding rule.

    Returns:
        ``(best_threshold, best_value, curve)`` with ``curve`` a dict
        threshold -> value in ascending threshold order (Python floats).
    """
    g = as_grid(grid)
    if callable(metric):
        Yb = _as_binary(Y, "Y")
        Sf = _as_scores(S)
        _same_shape(Yb, Sf, "S")
        values = np.array([float(metric(Yb, binarize(Sf, t, at_least_one))) for t in g], dtype=np.float64)
    else:
        values = metric_vs_threshold(Y, S, [metric], g, at_least_one)[metric]
    j = best_index(values)
    curve = {float(t): float(v) for t, v in zip(g, values)}
    return float(g[j]), float(values[j]), curve


def tune_per_label(
    Y: ArrayLike,
    S: ArrayLike,
    grid: Iterable[float] = PAPER_GRID,
    fallback: Union[float, str] = "ebF1",
) -> Tuple[np.ndarray, np.ndarray]:
    """One threshold per label, maximising that label's F1 on (validation) data.

    For label ``l`` with ``n_l > 0`` positives:
    ``t_l = argmax_{t in grid} 2 TP_l(t) / (n_l + |{i : S_il >= t}|)``, ties -> the
    smallest ``t``. A label without positives in ``Y`` cannot be tuned (its F1 is 0
    or undefined at every threshold), so it keeps the global ``fallback``
    threshold.

    Args:
        Y: true multi-hot ``[N, L]``.
        S: scores ``[N, L]``.
        grid: candidate thresholds.
        fallback: the threshold for labels without positives: a float, or a
            metric name, meaning the global threshold :func:`tune_global` picks
            for that metric on the same ``Y, S, grid``.

    Returns:
        ``(thresholds, f1)``: float64 ``[L]`` per-label thresholds, and float64
        ``[L]`` the per-label F1 at the chosen threshold (nan for fallback labels).
    """
    Yb = _as_binary(Y, "Y")
    Sf = _as_scores(S)
    _same_shape(Yb, Sf, "S")
    g = as_grid(grid)
    counts = _grid_counts(Yb, Sf, g)
    if isinstance(fallback, str):
        if fallback not in THRESHOLD_METRICS:
            raise ValueError(f"fallback must be a float or one of {THRESHOLD_METRICS}, got {fallback!r}")
        # same as tune_global(Y, S, fallback, grid)[0], reusing the counts
        fallback_t = float(g[best_index(_metrics_from_counts(*counts, metrics=[fallback])[fallback])])
    else:
        fallback_t = float(fallback)
        if np.isnan(fallback_t):
            raise ValueError("fallback threshold is NaN")
    _, _, _, true_l, pred_l, tp_l = counts
    f1 = _safe_ratio(2 * tp_l, true_l[:, None] + pred_l)  # [L, G]
    f1_clean = np.where(np.isnan(f1), -np.inf, f1)
    j = np.argmax(f1_clean, axis=1)  # first maximum -> smallest threshold
    has_pos = true_l > 0
    thresholds = np.where(has_pos, g[j], fallback_t)
    best = np.where(has_pos, f1[np.arange(f1.shape[0]), j], np.nan)
    return thresholds.astype(np.float64), best.astype(np.float64)
