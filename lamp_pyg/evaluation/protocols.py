"""Reporting protocols: lamp-pyg's headline protocol and the LaMP paper's protocol.

Headline (:func:`headline_report`): one checkpoint (chosen on validation by the
caller); for each thresholded metric one global threshold is tuned on
validation and applied unchanged to test (optionally also per-label
thresholds). Test data never influences a choice.

Paper (:func:`paper_protocol`): for EACH metric separately, the (epoch,
threshold) pair best on validation is chosen and test is reported there. This
is what the LaMP paper reports; it is optimistic and one table row mixes
epochs, so it must be labelled as such (:func:`format_table` does).

The training loop need not keep scores: :func:`epoch_record` turns one epoch's
validation and test scores into small JSON-ready tables (27 values per metric
on the paper grid), and :func:`paper_protocol` works from those records.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .metrics import (
    DEFAULT_KS,
    THRESHOLD_METRICS,
    ArrayLike,
    _as_binary,
    _as_scores,
    _binary_counts,
    _metrics_from_counts,
    _same_shape,
    binarize,
    ranking_metrics,
)
from .thresholds import PAPER_GRID, as_grid, best_index, metric_vs_threshold, tune_per_label

HEADLINE_TITLE = (
    "headline protocol: thresholds tuned on validation (one global threshold per metric), "
    "applied unchanged to test"
)
PAPER_TITLE = (
    "paper protocol (LaMP): per metric, the (epoch, threshold) best on validation; "
    "optimistic, rows mix epochs"
)


def _metric_order(names: Iterable[str]) -> List[str]:
    """Canonical report order: ACC, HA, ebF1, miF1, maF1, mAP, P@k by k, then the rest sorted."""
    names = list(dict.fromkeys(names))
    first = [m for m in THRESHOLD_METRICS + ("mAP",) if m in names]
    pk = sorted((m for m in names if m.startswith("P@") and m[2:].isdigit()), key=lambda m: int(m[2:]))
    rest = sorted(m for m in names if m not in first and m not in pk)
    return first + pk + rest


def _thresholded_at(Y: np.ndarray, S: np.ndarray, threshold, at_least_one: bool = False) -> Dict[str, float]:
    P = binarize(S, threshold, at_least_one)
    return {m: float(v[0]) for m, v in _metrics_from_counts(*_binary_counts(Y, P)).items()}


def _checked_pairs(Yv: ArrayLike, Sv: ArrayLike, Yt: ArrayLike,
                   St: ArrayLike) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validation and test truth / scores as arrays, checked to fit together.

    Returns:
        ``(Yv, Sv, Yt, St)`` as binary truth and float score arrays.

    Raises:
        ValueError: Truth and scores of a split differ in shape, or the splits have
            different label counts.
    """
    Yv = _as_binary(Yv, "Yv")
    Sv = _as_scores(Sv, "Sv")
    _same_shape(Yv, Sv, "Sv")
    Yt = _as_binary(Yt, "Yt")
    St = _as_scores(St, "St")
    _same_shape(Yt, St, "St")
    if Yv.shape[1] != Yt.shape[1]:
        raise ValueError(f"validation has {Yv.shape[1]} labels but test has {Yt.shape[1]}")
    return Yv, Sv, Yt, St


def _tuned_entry(valid: np.ndarray, test: np.ndarray, g: np.ndarray) -> Dict[str, float]:
    """The grid threshold best on validation (``valid`` over ``g``), with both values there."""
    j = best_index(valid)
    return {"threshold": float(g[j]), "valid": float(valid[j]), "test": float(test[j])}


def _per_label_entry(Yv: np.ndarray, Sv: np.ndarray, Yt: np.ndarray, St: np.ndarray, metric: str,
                     label_t: np.ndarray, tuned: np.ndarray, fallback: float) -> Dict[str, Any]:
    """``metric`` with per-label thresholds; labels not ``tuned`` get ``fallback``."""
    t_vec = np.where(tuned, label_t, fallback)  # [L]
    return {
        "thresholds": t_vec.copy(),
        "fallback": fallback,
        "valid": _thresholded_at(Yv, Sv, t_vec)[metric],
        "test": _thresholded_at(Yt, St, t_vec)[metric],
    }


def _chosen_rule(entry: Dict[str, Any]) -> Dict[str, Any]:
    """The decoding rule better on validation: ``'at_least_one'`` only if its validation
    score is strictly higher than the plain rule's (ties and nan keep ``'plain'``)."""
    one = entry["at_least_one"]
    better = one["valid"] > entry["valid"]  # False when either is nan
    pick = one if better else entry
    return {"rule": "at_least_one" if better else "plain", "threshold": pick["threshold"],
            "valid": pick["valid"], "test": pick["test"]}


def _thresholded_entries(Yv: np.ndarray, Sv: np.ndarray, Yt: np.ndarray, St: np.ndarray,
                         g: np.ndarray, per_label: bool,
                         at_least_one: bool) -> Dict[str, Dict[str, Any]]:
    """The :func:`headline_report` entries of the thresholded metrics, in their order."""
    valid_table = metric_vs_threshold(Yv, Sv, THRESHOLD_METRICS, g)
    test_table = metric_vs_threshold(Yt, St, THRESHOLD_METRICS, g)
    if per_label:
        # Per-label thresholds do not depend on the metric; only the fallback (for
        # labels without validation positives, recognisable by their nan F1) does.
        label_t, label_f1 = tune_per_label(Yv, Sv, g, fallback=float(g[0]))
        tuned = ~np.isnan(label_f1)
    if at_least_one:
        valid_one = metric_vs_threshold(Yv, Sv, THRESHOLD_METRICS, g, at_least_one=True)
        test_one = metric_vs_threshold(Yt, St, THRESHOLD_METRICS, g, at_least_one=True)
    report: Dict[str, Dict[str, Any]] = {}
    for m in THRESHOLD_METRICS:
        entry: Dict[str, Any] = _tuned_entry(valid_table[m], test_table[m], g)
        if per_label:
            entry["per_label"] = _per_label_entry(Yv, Sv, Yt, St, m, label_t, tuned,
                                                  entry["threshold"])
        if at_least_one:
            entry["at_least_one"] = _tuned_entry(valid_one[m], test_one[m], g)
            entry["chosen"] = _chosen_rule(entry)
        report[m] = entry
    return report


def headline_report(
    Yv: ArrayLike,
    Sv: ArrayLike,
    Yt: ArrayLike,
    St: ArrayLike,
    per_label: bool = False,
    grid: Iterable[float] = PAPER_GRID,
    ks: Sequence[int] = DEFAULT_KS,
    at_least_one: bool = False,
) -> Dict[str, Dict[str, Any]]:
    """Headline numbers of one checkpoint: thresholds tuned on validation, applied to test.

    For each thresholded metric ``m``: ``t_m = argmax_{t in grid} m(Yv, [Sv >= t])``
    (ties -> smallest ``t``, see :mod:`~lamp_pyg.evaluation.thresholds`), and the
    report holds ``m(Yv, [Sv >= t_m])`` and ``m(Yt, [St >= t_m])``. mAP and P@k
    need no threshold.

    With ``per_label=True``, per-label thresholds are tuned on validation by
    :func:`~lamp_pyg.evaluation.thresholds.tune_per_label` (each label's F1; labels
    without validation positives fall back to ``t_m``) and applied to test.

    With ``at_least_one=True``, the "at least one label" decoding rule of
    :func:`~lamp_pyg.evaluation.metrics.binarize` (an empty prediction becomes the
    top-scoring label) is reported beside the plain rule, with its own global
    threshold tuned on validation under that rule, and ``'chosen'`` names the rule
    whose validation score is higher (the plain rule on a tie): the decoding rule is
    then a choice made on validation, like the threshold.

    Args:
        Yv, Sv: validation truth and scores ``[Nv, L]``.
        Yt, St: test truth and scores ``[Nt, L]``.
        per_label: also report the per-label-threshold variant.
        grid: threshold grid.
        ks: the k of P@k (only those with ``k <= L``).
        at_least_one: also report the "at least one label" variant.

    Returns:
        ``{metric: {'threshold': float | None, 'valid': float, 'test': float}}`` in
        report order (threshold None for mAP and P@k). With ``per_label=True``,
        thresholded metrics also have ``'per_label': {'thresholds': float64 [L],
        'fallback': float, 'valid': float, 'test': float}``. With
        ``at_least_one=True``, they also have ``'at_least_one': {'threshold': float,
        'valid': float, 'test': float}`` and ``'chosen': {'rule': 'plain' |
        'at_least_one', 'threshold': float, 'valid': float, 'test': float}``.
    """
    Yv, Sv, Yt, St = _checked_pairs(Yv, Sv, Yt, St)
    report = _thresholded_entries(Yv, Sv, Yt, St, as_grid(grid), per_label, at_least_one)
    rv = ranking_metrics(Yv, Sv, ks)
    rt = ranking_metrics(Yt, St, ks)
    for m in _metric_order(rv):
        report[m] = {"threshold": None, "valid": rv[m], "test": rt[m]}
    return report


def epoch_record(
    epoch: int,
    Yv: ArrayLike,
    Sv: ArrayLike,
    Yt: ArrayLike,
    St: ArrayLike,
    grid: Iterable[float] = PAPER_GRID,
    ks: Sequence[int] = DEFAULT_KS,
) -> Dict[str, Any]:
    """The small per-epoch record the paper protocol needs (JSON-ready).

    Args:
        epoch: epoch number.
        Yv, Sv: validation truth and scores ``[Nv, L]``.
        Yt, St: test truth and scores ``[Nt, L]`` (``None``: not scored this epoch;
            the record's ``test`` is then ``None`` and :func:`paper_protocol` refuses it).
        grid: threshold grid.
        ks: the k of P@k.

    Returns:
        ``{'epoch': int, 'valid': table, 'test': table}`` where a table is
        ``{'threshold': list[G] of float, 'ACC': list[G], ..., 'maF1': list[G],
        'mAP': float, 'P@1': float, ...}`` (thresholded metrics as lists over
        the grid, threshold-free metrics as single floats).
    """
    def table(Y, S):
        t = metric_vs_threshold(Y, S, THRESHOLD_METRICS, grid)
        out: Dict[str, Any] = {k: [float(x) for x in v] for k, v in t.items()}
        out.update(ranking_metrics(Y, S, ks))
        return out

    return {"epoch": int(epoch), "valid": table(Yv, Sv),
            "test": table(Yt, St) if St is not None else None}


def tuned_on_valid(record: Mapping[str, Any], metric: str = "ebF1") -> Dict[str, Any]:
    """One epoch's ``metric`` with its threshold tuned on validation, read from an
    :func:`epoch_record`: ``t* = argmax_t metric_valid(t)`` on the record's grid (ties ->
    the smallest ``t``, nan lowest, as :func:`~.thresholds.tune_global`), and test there.

    Returns ``{'threshold': t*, 'valid': float, 'test': float | None}`` (``test`` is None
    when the epoch's test split was not scored)."""
    if metric not in record["valid"] or np.ndim(record["valid"][metric]) != 1:
        raise ValueError(f"tuned_on_valid: {metric!r} is not a thresholded metric of the record "
                         f"(has {sorted(k for k in record['valid'] if k != 'threshold')})")
    i = best_index(np.asarray(record["valid"][metric], dtype=np.float64))
    test = record["test"][metric][i] if record["test"] is not None else None
    return {"threshold": float(record["valid"]["threshold"][i]),
            "valid": float(record["valid"][metric][i]),
            "test": None if test is None else float(test)}


def _as_record(item) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        for key in ("epoch", "valid", "test"):
            if key not in item:
                raise ValueError(f"epoch record lacks {key!r}")
        return item
    if isinstance(item, (tuple, list)) and len(item) == 5:
        return epoch_record(*item)
    raise TypeError("each epoch must be a record {'epoch', 'valid', 'test'} or a tuple (epoch, Yv, Sv, Yt, St)")


def paper_protocol(epochs: Iterable) -> Dict[str, Dict[str, Any]]:
    """The LaMP paper's protocol: per metric, best (epoch, threshold) on validation, test there.

    For metric ``m``: ``(e*, t*) = argmax_{e, t} m_valid(e, t)`` over all epochs
    and grid thresholds, and the report is ``m_test(e*, t*)``. Ties -> the
    earliest epoch, then the smallest threshold; nan ranks lowest (all nan ->
    earliest epoch, smallest threshold). Threshold-free metrics (mAP, P@k) pick
    an epoch only.

    Args:
        epochs: iterable of per-epoch records as made by :func:`epoch_record`
            (``{'epoch', 'valid': table, 'test': table}``; lists or arrays), or of
            tuples ``(epoch, Yv, Sv, Yt, St)`` (scored on :data:`PAPER_GRID`).
            Every record must use the same threshold grid and the same metrics.

    Returns:
        ``{metric: {'epoch': int, 'threshold': float | None, 'valid': float, 'test': float}}``
        in report order.
    """
    records = [_as_record(item) for item in epochs]
    if not records:
        raise ValueError("paper_protocol needs at least one epoch")
    unscored = [int(r["epoch"]) for r in records if r["test"] is None]
    if unscored:
        raise ValueError(f"paper_protocol needs test scores of every epoch; epochs {unscored} "
                         "have none (trained with eval.test_every_epoch: false)")
    records.sort(key=lambda r: int(r["epoch"]))
    epoch_ids = [int(r["epoch"]) for r in records]
    if len(set(epoch_ids)) != len(epoch_ids):
        raise ValueError(f"duplicate epoch numbers in {epoch_ids}")

    first = records[0]["valid"]
    metrics = [k for k in first if k != "threshold"]
    has_grid = "threshold" in first
    grid = np.asarray(first["threshold"], dtype=np.float64) if has_grid else None
    for r in records:
        for split in ("valid", "test"):
            tab = r[split]
            if sorted(k for k in tab if k != "threshold") != sorted(metrics):
                raise ValueError(f"epoch {r['epoch']} {split}: metrics differ from epoch {records[0]['epoch']}")
            if has_grid:
                t = np.asarray(tab.get("threshold", []), dtype=np.float64)
                if t.shape != grid.shape or not np.array_equal(t, grid):
                    raise ValueError(f"epoch {r['epoch']} {split}: threshold grid differs")
    if has_grid and (np.diff(grid) <= 0).any():
        raise ValueError("threshold grid in the records must be strictly ascending")

    report: Dict[str, Dict[str, Any]] = {}
    for m in _metric_order(metrics):
        valid = [np.asarray(r["valid"][m], dtype=np.float64) for r in records]
        test = [np.asarray(r["test"][m], dtype=np.float64) for r in records]
        thresholded = valid[0].ndim == 1
        if thresholded:
            if grid is None:
                raise ValueError(f"metric {m} is given per threshold but the records have no 'threshold'")
            for v, t in zip(valid, test):
                if v.shape != grid.shape or t.shape != grid.shape:
                    raise ValueError(f"metric {m}: values must have one entry per threshold ({grid.size})")
            V = np.stack(valid)  # [E, G]; row-major argmax -> earliest epoch, then smallest threshold
            T = np.stack(test)
            flat = best_index(V.ravel())
            e, j = divmod(flat, V.shape[1])
            report[m] = {
                "epoch": epoch_ids[e],
                "threshold": float(grid[j]),
                "valid": float(V[e, j]),
                "test": float(T[e, j]),
            }
        else:
            if any(v.ndim != 0 for v in valid + test):
                raise ValueError(f"metric {m}: mixes per-threshold and single values")
            V = np.array([float(v) for v in valid])
            e = best_index(V)
            report[m] = {"epoch": epoch_ids[e], "threshold": None, "valid": float(V[e]), "test": float(test[e])}
    return report


def _fmt(x, digits: int) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return f"{float(x):.{digits}f}"


def format_table(report: Mapping[str, Mapping[str, Any]], title: Optional[str] = None, digits: int = 4) -> str:
    """A readable text table of a :func:`headline_report` or :func:`paper_protocol` result.

    Args:
        report: metric -> entry dict.
        title: first line; by default a label naming the protocol (paper reports
            are recognised by their ``'epoch'`` entries and labelled as such).
        digits: decimals for values.

    Returns:
        multi-line string: title, header, one row per metric (``-`` for no
        threshold, ``nan`` for undefined values, ``per-label`` and ``>=1 label``
        columns if present, the latter with the rule chosen on validation).
    """
    metrics = list(report)
    is_paper = any("epoch" in report[m] for m in metrics)
    has_pl = any("per_label" in report[m] for m in metrics)
    has_one = any("at_least_one" in report[m] for m in metrics)
    if title is None:
        title = PAPER_TITLE if is_paper else HEADLINE_TITLE
    header = ["metric"] + (["epoch"] if is_paper else []) + ["threshold", "valid", "test"]
    if has_pl:
        header += ["valid (per-label t)", "test (per-label t)"]
    if has_one:
        header += ["threshold (>=1 label)", "valid (>=1 label)", "test (>=1 label)",
                   "rule chosen on valid"]
    rows = [header]
    for m in metrics:
        e = report[m]
        thr = e.get("threshold")
        row = [m] + ([_fmt(e.get("epoch"), digits)] if is_paper else [])
        row += ["-" if thr is None else f"{float(thr):g}", _fmt(e.get("valid"), digits), _fmt(e.get("test"), digits)]
        if has_pl:
            pl = e.get("per_label")
            row += [_fmt(pl["valid"], digits), _fmt(pl["test"], digits)] if pl else ["-", "-"]
        if has_one:
            one = e.get("at_least_one")
            chosen = e.get("chosen")
            row += ([f"{float(one['threshold']):g}", _fmt(one["valid"], digits), _fmt(one["test"], digits)]
                    if one else ["-", "-", "-"])
            row += [{"plain": "plain", "at_least_one": ">=1 label"}[chosen["rule"]] if chosen else "-"]
        rows.append(row)
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = [title]
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
