"""In-memory data (numpy / scipy.sparse arrays, lists of texts) -> :class:`RawDataset`.

For data that lives in a notebook rather than in files. Inputs per split may be:

- a dense ``[N, F]`` array of numbers (kind ``dense``),
- a scipy.sparse matrix ``[N, F]`` (kind ``sparse``: the non-zero features of each row),
- a list of strings (kind ``text``: lower-cased and tokenised as Reuters) or a list of
  token lists (kind ``text``, taken as given).

Labels per split may be a multi-hot ``[N, L]`` array or sparse matrix, or a list of label
lists (integers in ``[0, L)`` or strings). NaN or infinite feature values are refused,
naming the split and row.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from lamp_pyg.io.base import RawDataset, RawSplit
from lamp_pyg.io.reuters.tokens import tokenize

__all__ = ["raw_from_arrays", "raw_inputs", "fingerprint_raw"]


def _is_sparse(a: Any) -> bool:
    return hasattr(a, "tocsr") and hasattr(a, "nnz")


def _check_finite(values: np.ndarray, split: str, rows: np.ndarray) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"{split} inputs: row {int(rows[np.argmax(bad)])} holds a NaN or "
                         "infinite value: expected finite numbers")


def _inputs(split: str, X: Any) -> Tuple[str, Any, Optional[int]]:
    """(kind, RawSplit inputs, number of features) of one split's inputs."""
    if _is_sparse(X):
        X = X.tocsr()
        X.sum_duplicates()
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        _check_finite(np.asarray(X.data, dtype=np.float64), split, rows)
        out = []
        for r in range(X.shape[0]):
            lo, hi = X.indptr[r], X.indptr[r + 1]
            idx, val = X.indices[lo:hi].astype(np.int64), X.data[lo:hi].astype(np.float32)
            keep = val != 0
            order = np.argsort(idx[keep], kind="stable")
            out.append((idx[keep][order], val[keep][order]))
        return "sparse", out, X.shape[1]
    items = X if isinstance(X, np.ndarray) else list(X)
    if not isinstance(items, np.ndarray):
        if items and all(isinstance(x, str) for x in items):
            return "text", [tokenize(x) for x in items], None
        if any(items) and all(isinstance(x, (list, tuple)) and
                              all(isinstance(t, str) for t in x) for x in items):
            return "text", [list(x) for x in items], None
    try:
        A = np.asarray(items, dtype=np.float64)
    except (TypeError, ValueError):
        A = None
    if A is not None and A.ndim == 2:
        _check_finite(A.ravel(), split, np.repeat(np.arange(A.shape[0]), A.shape[1]))
        return "dense", A.astype(np.float32), A.shape[1]
    raise ValueError(f"{split} inputs: expected a [N, F] array, a scipy.sparse matrix, a list "
                     "of strings or a list of token lists")


def raw_inputs(X: Any, where: str = "inputs") -> Tuple[str, list, Optional[int]]:
    """``(kind, inputs in the RawSplit form, number of features)`` of inputs in any of the
    forms of the module docstring (what prediction takes, row by row)."""
    kind, inputs, width = _inputs(where, X)
    return kind, list(inputs), width


def _label_lists(split: str, Y: Any) -> List[list]:
    if _is_sparse(Y):
        Y = Y.toarray()
    if isinstance(Y, np.ndarray):
        if Y.ndim != 2 or not np.isin(Y, (0, 1)).all():
            raise ValueError(f"{split} labels: expected a multi-hot [N, L] array of 0/1")
        return [np.flatnonzero(row).tolist() for row in Y]
    out = []
    for i, labs in enumerate(Y):
        if isinstance(labs, (str, bytes)) or not isinstance(labs, Sequence):
            raise ValueError(f"{split} labels, row {i}: expected a list of labels, got {labs!r}")
        out.append(list(dict.fromkeys(labs)))
    return out


def _label_index(lists: Dict[str, List[list]], label_names: Optional[Sequence[str]],
                 num_labels: Optional[int]) -> Tuple[List[str], Dict[Any, int]]:
    every = {l for labs in lists.values() for row in labs for l in row}
    if every and all(isinstance(l, (int, np.integer)) and not isinstance(l, bool) for l in every):
        L = num_labels or (len(label_names) if label_names else max(every) + 1)
        if min(every) < 0 or max(every) >= L:
            raise ValueError(f"label ids must be in [0, {L}), got [{min(every)}, {max(every)}]")
        names = list(label_names) if label_names else [str(i) for i in range(L)]
        return names, {i: i for i in range(L)}
    if not all(isinstance(l, str) for l in every):
        raise ValueError("labels must be all integers or all strings")
    names = sorted(every) if label_names is None else list(label_names)
    unknown = every - set(names)
    if unknown:
        raise ValueError(f"labels {sorted(unknown)[:5]} are not in label_names")
    return names, {n: i for i, n in enumerate(names)}


def raw_from_arrays(name: str, splits: Mapping[str, Tuple[Any, Any]], *,
                    label_names: Optional[Sequence[str]] = None,
                    feature_names: Optional[Sequence[str]] = None) -> RawDataset:
    """A :class:`RawDataset` from ``{'train': (X, Y), 'test': (X, Y)[, 'valid': (X, Y)]}``.

    Args:
        name: Dataset name.
        splits: Inputs and labels per split (forms in the module docstring).
        label_names: Names of the labels (integer labels ``i`` are ``label_names[i]``;
            default ``'0'``, ``'1'``, ... or the sorted label strings).
        feature_names: Names of the features of dense / sparse inputs.
    """
    if "train" not in splits or "test" not in splits:
        raise ValueError(f"splits must hold 'train' and 'test', got {sorted(splits)}")
    parts, lists = {}, {}
    for s, (X, Y) in splits.items():
        parts[s] = _inputs(s, X)
        lists[s] = _label_lists(s, Y)
        if len(lists[s]) != len(parts[s][1]):
            raise ValueError(f"{s}: {len(parts[s][1])} inputs but {len(lists[s])} label rows")
    kinds = {k for k, _, _ in parts.values()}
    widths = {f for _, _, f in parts.values()}
    if len(kinds) != 1 or len(widths) != 1:
        raise ValueError(f"splits disagree on the kind or width of their inputs: "
                         f"{ {s: (k, f) for s, (k, _, f) in parts.items()} }")
    names, index = _label_index(lists, label_names, None)
    F = widths.pop()
    out = {s: RawSplit(k, inp, [sorted(index[l] for l in row) for row in lists[s]],
                       [f"{s}[{i}]" for i in range(len(lists[s]))])
           for s, (k, inp, _) in parts.items()}
    if feature_names is not None and F is not None and len(feature_names) != F:
        raise ValueError(f"{len(feature_names)} feature_names for {F} features")
    return RawDataset(name=name, splits=out, label_names=names,
                      feature_names=list(feature_names) if feature_names else None,
                      num_features=F, sources=["<arrays>"])


def fingerprint_raw(raw: RawDataset) -> str:
    """A content hash of an in-memory dataset (its cache identity)."""
    h = hashlib.sha256(json.dumps([raw.name, raw.label_names, raw.feature_names,
                                   raw.num_features]).encode())
    for s in sorted(raw.splits):
        split = raw.splits[s]
        h.update(f"{s}:{split.kind}:{json.dumps(split.labels)}".encode())
        if isinstance(split.inputs, np.ndarray):
            h.update(np.ascontiguousarray(split.inputs).tobytes())
        elif split.kind == "sparse":
            for idx, val in split.inputs:
                h.update(idx.tobytes() + b"|" + val.tobytes() + b";")
        else:
            h.update(json.dumps(split.inputs).encode())
    return h.hexdigest()
