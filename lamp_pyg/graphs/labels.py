r"""Training labels in any supported form :math:`\rightarrow` CSR, and label names.

The label graphs accept the training labels :math:`\mathbf{Y} \in \{0, 1\}^{N \times L}`
as a dense multi-hot numpy array or torch tensor (boolean or 0/1, any numeric dtype),
a sparse torch tensor (COO, CSR, ...), anything ``scipy.sparse``-like (duck-typed:
scipy is not a dependency), or a list of label-index lists (one list per training
example; what large-:math:`L` data comes as).  :func:`label_matrix_to_csr` turns any
of them into the same compressed-sparse-row form, so that nothing downstream ever
holds a dense :math:`N \times L` or :math:`L \times L` array.
"""
from __future__ import annotations

import itertools
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

__all__ = ["LabelInput", "Labels", "check_label_names", "is_int_like", "label_matrix_to_csr"]

LabelInput = Union[np.ndarray, Tensor, Sequence[Sequence[int]]]

# (rows, cols, num_examples, num_labels) of the non-zero entries, sorted row-major.
_Coo = Tuple[np.ndarray, np.ndarray, int, int]


def is_int_like(x: Any) -> bool:
    """Whether ``x`` is a Python or numpy integer (booleans excluded)."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_binary(values: np.ndarray, what: str) -> None:
    if values.dtype == np.bool_:
        return
    if values.size and not np.all((values == 0) | (values == 1)):
        bad = values[~((values == 0) | (values == 1))][0]
        raise ValueError(f"{what}: expected a binary (multi-hot) label matrix with entries "
                         f"0/1, found the value {bad!r}")


def _csr_from_coo(rows: np.ndarray, cols: np.ndarray, num_rows: int) -> Tuple[np.ndarray,
                                                                             np.ndarray]:
    """``rows``/``cols`` sorted row-major and unique -> (indptr, indices)."""
    indptr = np.zeros(num_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=num_rows), out=indptr[1:])
    return indptr, cols.astype(np.int64, copy=False)


def _coo_from_sparse_tensor(Y: Tensor) -> _Coo:
    Y = Y.to_sparse_coo().coalesce()
    idx = Y.indices().numpy()
    val = Y.values().numpy()
    _check_binary(val, "label matrix")
    keep = val != 0
    # coalesce() sorts row-major
    return idx[0][keep], idx[1][keep], int(Y.shape[0]), int(Y.shape[1])


def _coo_from_scipy(Y: Any) -> _Coo:
    if len(Y.shape) != 2:
        raise ValueError(f"expected a 2-D multi-hot label matrix [N, L], got shape "
                         f"{tuple(Y.shape)}")
    csr = Y.tocsr(copy=True)
    csr.sum_duplicates()
    csr.sort_indices()
    _check_binary(np.asarray(csr.data), "label matrix")
    coo = csr.tocoo()
    keep = np.asarray(coo.data) != 0
    rows = np.asarray(coo.row, dtype=np.int64)[keep]
    cols = np.asarray(coo.col, dtype=np.int64)[keep]
    return rows, cols, int(Y.shape[0]), int(Y.shape[1])


def _coo_from_dense(Y: np.ndarray) -> _Coo:
    if Y.ndim != 2:
        raise ValueError(f"expected a 2-D multi-hot label matrix [N, L], got an array "
                         f"of shape {Y.shape}")
    if Y.dtype.kind not in "biuf":
        raise ValueError(f"expected a numeric or boolean multi-hot label matrix, got "
                         f"dtype {Y.dtype}")
    _check_binary(Y, "label matrix")
    rows, cols = np.nonzero(Y)
    return rows, cols, int(Y.shape[0]), int(Y.shape[1])


def _coo_from_lists(Y: Sequence[Sequence[int]], num_labels: Optional[int]) -> _Coo:
    """A list of label-index lists; ``num_labels`` is :math:`L`."""
    if num_labels is None:
        raise ValueError("a list of label-index lists needs num_labels (or label_names) "
                         "to know L; for a dense multi-hot matrix pass a 2-D array")
    L = int(num_labels)
    n = len(Y)
    try:
        lengths = np.fromiter(map(len, Y), dtype=np.int64, count=n)
    except TypeError:
        raise ValueError("expected a list of label-index lists (one list per training "
                         "example), but an entry is not a list") from None
    flat = np.array(list(itertools.chain.from_iterable(Y)))
    if flat.size == 0:
        flat = flat.astype(np.int64)
    if flat.dtype.kind not in "iu":
        raise ValueError(f"expected integer label indices in the label-index lists, "
                         f"got dtype {flat.dtype} (for a dense multi-hot matrix pass "
                         f"a 2-D array)")
    flat = flat.astype(np.int64, copy=False)
    if flat.size and (flat.min() < 0 or flat.max() >= L):
        bad = flat[(flat < 0) | (flat >= L)][0]
        row = int(np.searchsorted(np.cumsum(lengths),
                                  np.flatnonzero(flat == bad)[0], side="right"))
        raise ValueError(f"label index {int(bad)} in example {row} is out of range: "
                         f"expected indices in [0, {L})")
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    key = rows * L + flat
    key = key[np.argsort(key, kind="stable")]
    if key.size > 1 and np.any(key[1:] == key[:-1]):
        dup = int(key[1:][key[1:] == key[:-1]][0])
        raise ValueError(f"label {dup % L} is listed twice in example {dup // L}: expected "
                         f"lists of distinct label indices (for a dense multi-hot "
                         f"matrix pass a 2-D array)")
    return key // L, key % L, n, L


def _to_coo(Y: Any, num_labels: Optional[int]) -> _Coo:
    """Dispatches on the input form; ``num_labels`` is only used for lists."""
    if isinstance(Y, Tensor):
        if Y.dim() != 2:
            raise ValueError(f"expected a 2-D multi-hot label matrix [N, L], got a tensor "
                             f"of shape {tuple(Y.shape)}")
        Y = Y.detach().cpu()
        if Y.layout == torch.strided:
            Y = Y.numpy()  # handled as a dense numpy array below
    if isinstance(Y, Tensor):  # sparse torch tensor (COO, CSR, ...)
        return _coo_from_sparse_tensor(Y)
    if not isinstance(Y, (np.ndarray, list, tuple)) and hasattr(Y, "tocsr") \
            and hasattr(Y, "shape"):
        return _coo_from_scipy(Y)  # anything scipy.sparse-like
    if isinstance(Y, np.ndarray) and not (Y.dtype == object and Y.ndim == 1):
        return _coo_from_dense(Y)
    if isinstance(Y, (list, tuple, np.ndarray)):
        return _coo_from_lists(Y, num_labels)
    raise ValueError(f"expected a multi-hot label matrix (numpy array or torch tensor of "
                     f"shape [N, L]) or a list of label-index lists, got "
                     f"{type(Y).__name__}")


def label_matrix_to_csr(Y: Any, num_labels: Optional[int],
                        list_num_labels: Optional[int] = None) -> Tuple[np.ndarray,
                                                                        np.ndarray, int, int]:
    r"""Turns any supported label input into CSR form.

    Args:
        Y: A multi-hot ``[N, L]`` numpy array, torch tensor (dense or sparse) or
            ``scipy.sparse`` matrix, or a list of label-index lists.
        num_labels (int, optional): :math:`L`; must match the width of a matrix.
        list_num_labels (int, optional): :math:`L` of label-index lists when
            ``num_labels`` is not given (e.g. the number of label names); ignored
            for matrices.

    Returns:
        tuple: ``(indptr, indices, num_examples, num_labels)`` with the label
        indices of each row sorted and unique.

    Raises:
        ValueError: On a non-binary or non-2-D matrix, a list without :math:`L`,
            out-of-range or repeated label indices, a width that does not match
            ``num_labels``, or :math:`L = 0`.
    """
    rows, cols, n, L = _to_coo(Y, num_labels if num_labels is not None else list_num_labels)
    if num_labels is not None and int(num_labels) != L:
        raise ValueError(f"num_labels={num_labels} does not match the label matrix width "
                         f"L={L}")
    if L < 1:
        raise ValueError(f"expected at least one label, got L={L}")
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    indptr, indices = _csr_from_coo(rows, cols, n)
    return indptr, indices, n, L


class Labels:
    r"""Training labels in CSR form plus the per-label frequencies :math:`C_{ii}`.

    Args:
        indptr (numpy.ndarray): ``Long[N + 1]`` row pointers.
        indices (numpy.ndarray): ``Long[nnz]`` label indices, sorted within a row.
        num_examples (int): :math:`N`.
        num_labels (int): :math:`L`.

    Attributes:
        freq (numpy.ndarray): ``Long[L]``, the number of training examples carrying
            each label, i.e. the diagonal :math:`C_{ii}` of
            :math:`C = \mathbf{Y}^{\top}\mathbf{Y}`.
    """

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, num_examples: int,
                 num_labels: int):
        self.indptr = indptr
        self.indices = indices
        self.num_examples = num_examples
        self.num_labels = num_labels
        self.freq = np.bincount(indices, minlength=num_labels).astype(np.int64)

    @classmethod
    def from_input(cls, Y: Any, num_labels: Optional[int] = None,
                   list_num_labels: Optional[int] = None) -> "Labels":
        """:func:`label_matrix_to_csr` wrapped in a :class:`Labels`."""
        return cls(*label_matrix_to_csr(Y, num_labels, list_num_labels))


def check_label_names(label_names: Optional[Sequence[str]], num_labels: int) -> List[str]:
    """Validates ``label_names`` (one distinct string per label); ``None`` gives
    ``label_0``, ``label_1``, ...

    Raises:
        ValueError: On a single string, a wrong count, a non-string name or a
            repeated name.
    """
    if label_names is None:
        return [f"label_{i}" for i in range(num_labels)]
    if isinstance(label_names, str):
        raise ValueError("expected label_names to be a list of strings, got a single string")
    names = list(label_names)
    if len(names) != num_labels:
        raise ValueError(f"expected {num_labels} label names (one per label), got "
                         f"{len(names)}")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise ValueError(f"expected label names to be strings, label {i} is "
                             f"{type(name).__name__} {name!r}")
    if len(set(names)) != len(names):
        seen = set()
        dup = next(n for n in names if n in seen or seen.add(n))
        raise ValueError(f"expected distinct label names, {dup!r} appears more than once")
    return names
