r"""Label graphs: the label :math:`\rightarrow` label edge set of LaMP's label attention.

A :class:`LabelGraph` is built from the *training* label matrix only and says which
labels each label attends to in LaMP's label-to-label message passing.  It follows
PyG's conventions: ``edge_index[0]`` holds the *source* label (the one sending the
message) and ``edge_index[1]`` the *target* label (the one receiving it), so the
messages into label :math:`i` come from :math:`\mathcal{N}(i) = \{j : (j, i) \in
\mathcal{E}\}`.

Every label always keeps its self-loop :math:`(i, i)` (also labels never seen in
training), so that the attention softmax of every label runs over at least one
edge.  Edges are sorted by ``(target, source)`` and deduplicated, which makes a
graph a deterministic function of its inputs.

Throughout, :math:`\mathbf{Y} \in \{0, 1\}^{N \times L}` is the training label
matrix, :math:`C = \mathbf{Y}^{\top} \mathbf{Y}` the co-occurrence counts
(:math:`C_{ij}` = number of training examples carrying both labels :math:`i` and
:math:`j`; :math:`C_{ii}` = frequency of label :math:`i`).  :math:`C` is only ever
computed sparsely (as the list of its non-zero entries), never as a dense
:math:`L \times L` matrix.
"""
from __future__ import annotations

import itertools
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

__all__ = ["LabelGraph"]

KINDS = ("prior", "full", "edgeless", "conditional", "knn", "given")

# Parameters each kind accepts, with their defaults (``_REQUIRED`` = no default).
_REQUIRED = object()
_KIND_PARAMS: Dict[str, Dict[str, Any]] = {
    "prior": {"min_count": 1},
    "full": {},
    "edgeless": {},
    "conditional": {"tau": 0.4},
    "knn": {"k": _REQUIRED, "symmetric": False},
    "given": {"edges": _REQUIRED, "undirected": True},
}

# Upper bound on the number of (label, label) pairs materialised at once while
# counting co-occurrences (8 MB per int64 temporary). A single example with c labels
# always yields c^2 pairs at once.
_MAX_PAIRS_PER_CHUNK = 1 << 20

_SAVE_FORMAT = "lamp_pyg.LabelGraph/1"

LabelInput = Union[np.ndarray, Tensor, Sequence[Sequence[int]]]


# --------------------------------------------------------------------------- #
# Label matrix -> CSR
# --------------------------------------------------------------------------- #
def _is_int_like(x: Any) -> bool:
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


def _label_matrix_to_csr(Y: Any, num_labels: Optional[int],
                         list_num_labels: Optional[int] = None) -> Tuple[np.ndarray,
                                                                         np.ndarray, int, int]:
    r"""Turns any supported label input into CSR form.

    ``num_labels`` must match the width of a matrix; ``list_num_labels`` (e.g. the
    number of label names) is only used as :math:`L` of label-index lists.

    Returns:
        ``(indptr, indices, num_examples, num_labels)`` with the label indices of
        each row sorted and unique.
    """
    if isinstance(Y, Tensor):
        if Y.dim() != 2:
            raise ValueError(f"expected a 2-D multi-hot label matrix [N, L], got a tensor "
                             f"of shape {tuple(Y.shape)}")
        Y = Y.detach().cpu()
        if Y.layout == torch.strided:
            Y = Y.numpy()  # handled as a dense numpy array below
    if isinstance(Y, Tensor):  # sparse torch tensor (COO, CSR, ...)
        Y = Y.to_sparse_coo().coalesce()
        idx = Y.indices().numpy()
        val = Y.values().numpy()
        _check_binary(val, "label matrix")
        keep = val != 0
        rows, cols = idx[0][keep], idx[1][keep]  # coalesce() sorts row-major
        n, L = int(Y.shape[0]), int(Y.shape[1])
    elif not isinstance(Y, (np.ndarray, list, tuple)) and hasattr(Y, "tocsr") \
            and hasattr(Y, "shape"):
        # Anything scipy.sparse-like (duck-typed: scipy is not a dependency).
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
        n, L = int(Y.shape[0]), int(Y.shape[1])
    elif isinstance(Y, np.ndarray) and not (Y.dtype == object and Y.ndim == 1):
        if Y.ndim != 2:
            raise ValueError(f"expected a 2-D multi-hot label matrix [N, L], got an array "
                             f"of shape {Y.shape}")
        if Y.dtype.kind not in "biuf":
            raise ValueError(f"expected a numeric or boolean multi-hot label matrix, got "
                             f"dtype {Y.dtype}")
        _check_binary(Y, "label matrix")
        rows, cols = np.nonzero(Y)
        n, L = int(Y.shape[0]), int(Y.shape[1])
    elif isinstance(Y, (list, tuple, np.ndarray)):
        # A list of label-index lists (what large-L data comes as).
        if num_labels is None:
            num_labels = list_num_labels
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
        order = np.argsort(key, kind="stable")
        key = key[order]
        if key.size > 1 and np.any(key[1:] == key[:-1]):
            dup = int(key[1:][key[1:] == key[:-1]][0])
            raise ValueError(f"label {dup % L} is listed twice in example {dup // L}: expected "
                             f"lists of distinct label indices (for a dense multi-hot "
                             f"matrix pass a 2-D array)")
        rows, cols = key // L, key % L
    else:
        raise ValueError(f"expected a multi-hot label matrix (numpy array or torch tensor of "
                         f"shape [N, L]) or a list of label-index lists, got "
                         f"{type(Y).__name__}")
    if num_labels is not None and int(num_labels) != L:
        raise ValueError(f"num_labels={num_labels} does not match the label matrix width "
                         f"L={L}")
    if L < 1:
        raise ValueError(f"expected at least one label, got L={L}")
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    indptr, indices = _csr_from_coo(rows, cols, n)
    return indptr, indices, n, L


# --------------------------------------------------------------------------- #
# Sparse co-occurrence counts
# --------------------------------------------------------------------------- #
class _Labels:
    """Training labels in CSR form plus the per-label frequencies :math:`C_{ii}`."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, num_examples: int,
                 num_labels: int):
        self.indptr = indptr
        self.indices = indices
        self.num_examples = num_examples
        self.num_labels = num_labels
        self.freq = np.bincount(indices, minlength=num_labels).astype(np.int64)


def _count_block(lab: _Labels, pos: np.ndarray, row_of: np.ndarray,
                 row_len: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts the pairs (label at CSR position ``pos``, any other label of its row).

    ``pos`` is sorted by label. Returns ``(a, b, count)`` sorted by ``(a, b)``."""
    L = lab.num_labels
    r = row_of[pos]
    cc = row_len[pos]
    total = int(cc.sum())
    offs = np.repeat(np.cumsum(cc) - cc, cc)
    q = np.repeat(lab.indptr[r], cc) + (np.arange(total, dtype=np.int64) - offs)
    other = q != np.repeat(pos, cc)
    a = np.repeat(lab.indices[pos], cc)[other]
    b = lab.indices[q[other]]
    a0 = int(lab.indices[pos[0]])
    span = int(lab.indices[pos[-1]]) - a0 + 1
    if span * L <= max(4 * total, L):  # small key range: count without sorting
        cnt = np.bincount((a - a0) * L + b, minlength=span * L)
        key = np.flatnonzero(cnt)
        cnt = cnt[key]
        key += a0 * L
    else:
        key, cnt = np.unique(a * L + b, return_counts=True)
    return key // L, key % L, cnt.astype(np.int64)


def _pair_blocks(lab: _Labels, chunk: Optional[int] = None):
    r"""Streams the off-diagonal co-occurrence counts :math:`C_{ab} > 0, a \neq b`.

    Yields ``(a, b, count)`` blocks holding *all* pairs of a contiguous range of
    labels :math:`a`, sorted by ``(a, b)``; successive blocks have increasing
    :math:`a`.  A block materialises at most about ``chunk`` pairs at a time (a
    label whose pairs alone exceed that is counted in pieces with a length-:math:`L`
    accumulator), so memory is bounded by ``chunk`` and :math:`L`, never by
    :math:`L^2` or by the number of non-zeros of :math:`C`.
    """
    chunk = _MAX_PAIRS_PER_CHUNK if chunk is None else chunk
    L = lab.num_labels
    lengths = np.diff(lab.indptr)
    row_of = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    row_len = lengths[row_of]  # for every CSR entry: how many labels its row has
    pos = np.flatnonzero(row_len > 1)
    pos = pos[np.argsort(lab.indices[pos], kind="stable")]  # grouped by label a
    if pos.size == 0:
        return
    labels = lab.indices[pos]
    cum = np.cumsum(row_len[pos])
    lo = 0
    while lo < pos.size:
        base = int(cum[lo - 1]) if lo else 0
        hi = int(np.searchsorted(cum, base + chunk, side="right"))
        if hi < pos.size:  # snap back to the first entry of label `labels[hi]`
            hi = int(np.searchsorted(labels, labels[hi], side="left"))
        if hi > lo:
            yield _count_block(lab, pos[lo:hi], row_of, row_len)
            lo = hi
            continue
        # A single label with more than `chunk` pairs: accumulate over its rows.
        a = int(labels[lo])
        end = int(np.searchsorted(labels, a, side="right"))
        acc = np.zeros(L, dtype=np.int64)
        while lo < end:
            base = int(cum[lo - 1]) if lo else 0
            stop = min(max(int(np.searchsorted(cum, base + chunk, side="right")), lo + 1),
                       end)
            _, b, cnt = _count_block(lab, pos[lo:stop], row_of, row_len)
            acc[b] += cnt
            lo = stop
        b = np.flatnonzero(acc)
        yield np.full(b.size, a, dtype=np.int64), b, acc[b]


def _lookup_counts(src: np.ndarray, dst: np.ndarray, lab: _Labels) -> np.ndarray:
    """Co-occurrence counts :math:`C_{dst, src}` of arbitrary label pairs."""
    L = lab.num_labels
    out = np.zeros(src.size, dtype=np.int64)
    loop = src == dst
    out[loop] = lab.freq[src[loop]]
    query = dst[~loop] * L + src[~loop]
    if query.size == 0:
        return out
    wanted = np.unique(query)
    keys, counts = [], []
    for a, b, cnt in _pair_blocks(lab):
        key = a * L + b
        pos = np.clip(np.searchsorted(wanted, key), 0, wanted.size - 1)
        hit = wanted[pos] == key
        keys.append(key[hit])
        counts.append(cnt[hit])
    if keys:
        key = np.concatenate(keys)  # sorted: blocks come in increasing (a, b) order
        cnt = np.concatenate(counts)
        if key.size:
            pos = np.clip(np.searchsorted(key, query), 0, key.size - 1)
            hit = key[pos] == query
            vals = np.zeros(query.size, dtype=np.int64)
            vals[hit] = cnt[pos[hit]]
            out[~loop] = vals
    return out


# --------------------------------------------------------------------------- #
# Canonical form
# --------------------------------------------------------------------------- #
def _canonical(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, num_nodes: int,
               loop_weight: Union[float, np.ndarray] = 1.0) -> Tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """Sorts edges by ``(target, source)``, drops duplicates (the first occurrence
    wins) and inserts the missing self-loops (weight ``loop_weight``, a scalar or one
    value per node)."""
    L = num_nodes
    src = src.astype(np.int64, copy=False)
    dst = dst.astype(np.int64, copy=False)
    weight = weight.astype(np.float64, copy=False)
    key = dst * L + src
    if key.size > 1 and not np.all(key[1:] > key[:-1]):
        order = np.argsort(key, kind="stable")
        key = key[order]
        order = order[np.r_[True, key[1:] != key[:-1]]]
        src, dst, weight = src[order], dst[order], weight[order]
        key = dst * L + src
    has_loop = np.zeros(L, dtype=bool)
    has_loop[src[src == dst]] = True
    missing = np.flatnonzero(~has_loop)
    if missing.size:
        at = np.searchsorted(key, missing * (L + 1))
        fill = np.broadcast_to(np.asarray(loop_weight, dtype=np.float64), (L, ))[missing]
        src = np.insert(src, at, missing)
        dst = np.insert(dst, at, missing)
        weight = np.insert(weight, at, fill)
    return src, dst, weight


def _to_python(value: Any) -> Any:
    """Makes parameter values plain Python (so ``torch.load(weights_only=True)`` works)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        return {str(k): _to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_python(v) for v in value]
    return value


def _check_label_names(label_names: Optional[Sequence[str]], num_labels: int) -> List[str]:
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


# --------------------------------------------------------------------------- #
# Edge lists (kind="given")
# --------------------------------------------------------------------------- #
def _resolve(token: Any, index: Dict[str, int], num_labels: int) -> Optional[int]:
    """Label name or index -> index; ``None`` if unknown. Names take precedence over
    numeric strings."""
    if isinstance(token, Tensor) and token.dim() == 0 and not token.is_floating_point():
        token = int(token)
    if _is_int_like(token):
        return int(token) if 0 <= int(token) < num_labels else None
    if isinstance(token, str):
        if token in index:
            return index[token]
        if token.isdigit() and int(token) < num_labels:
            return int(token)
    return None


def _unknown(token: Any, num_labels: int) -> str:
    return (f"unknown label {token!r} (expected a label name or an index in "
            f"[0, {num_labels}))")


def _read_edge_file(path: Union[str, os.PathLike], index: Dict[str, int],
                    num_labels: int) -> Tuple[List[int], List[int]]:
    src: List[int] = []
    dst: List[int] = []
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            tokens = line.split("#", 1)[0].split()
            if not tokens:
                continue
            if len(tokens) == 1:
                raise ValueError(f"{path}, line {lineno}: expected a pair 'a b' of labels, "
                                 f"got only {tokens[0]!r}")
            if len(tokens) > 2:
                raise ValueError(f"{path}, line {lineno}: expected a pair 'a b' of labels, "
                                 f"got the extra token {tokens[2]!r}")
            ids = []
            for tok in tokens:
                i = _resolve(tok, index, num_labels)
                if i is None:
                    raise ValueError(f"{path}, line {lineno}: {_unknown(tok, num_labels)}")
                ids.append(i)
            src.append(ids[0])
            dst.append(ids[1])
    return src, dst


def _read_edge_pairs(edges: Any, index: Dict[str, int],
                     num_labels: int) -> Tuple[List[int], List[int]]:
    if isinstance(edges, Tensor):
        edges = edges.detach().cpu().numpy()
    if isinstance(edges, np.ndarray) and edges.dtype.kind in "iu":
        if edges.ndim != 2 or edges.shape[1] != 2:
            raise ValueError(f"expected edge pairs of shape [E, 2], got an array of shape "
                             f"{edges.shape}")
        bad = (edges < 0) | (edges >= num_labels)
        if bad.any():
            e = int(np.flatnonzero(bad.any(axis=1))[0])
            tok = int(edges[e][bad[e]][0])
            raise ValueError(f"edge {e}: {_unknown(tok, num_labels)}")
        return edges[:, 0].tolist(), edges[:, 1].tolist()
    src: List[int] = []
    dst: List[int] = []
    for e, pair in enumerate(edges):
        if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"edge {e}: expected a pair (a, b) of label names or indices, "
                             f"got {pair!r}")
        ids = []
        for tok in pair:
            i = _resolve(tok, index, num_labels)
            if i is None:
                raise ValueError(f"edge {e}: {_unknown(tok, num_labels)}")
            ids.append(i)
        src.append(ids[0])
        dst.append(ids[1])
    return src, dst


# --------------------------------------------------------------------------- #
# LabelGraph
# --------------------------------------------------------------------------- #
class LabelGraph:
    r"""The label :math:`\rightarrow` label edge set that LaMP's label attention runs over.

    Node :math:`i` is label :math:`i`.  An edge :math:`(j, i)` (``edge_index[:, e]
    = [j, i]``) lets label :math:`i` attend to label :math:`j`, i.e. the updated
    label embedding is

    .. math::
        \mathbf{h}_i' = \sum_{j \in \mathcal{N}(i)} \alpha_{ij} \mathbf{W}\mathbf{h}_j,
        \qquad \mathcal{N}(i) = \{ j : (j, i) \in \mathcal{E} \} \ni i.

    Build one with :meth:`from_labels` (from the training label matrix) or
    :meth:`from_edge_list` (from a user-supplied graph such as a topic hierarchy).
    The constructor takes an explicit edge set and brings it to canonical form:
    missing self-loops are added (with weight ``1.0``), edges are sorted by
    ``(target, source)`` and duplicates dropped (the first occurrence wins).

    Args:
        edge_index (torch.Tensor or numpy.ndarray): Edges ``[2, E]``, row 0 =
            source, row 1 = target.
        num_nodes (int): Number of labels :math:`L`.
        edge_weight (torch.Tensor or numpy.ndarray, optional): ``[E]`` edge weights.
            (default: ones)
        label_names (list[str], optional): One distinct name per label.
            (default: ``label_0``, ``label_1``, ...)
        kind (str, optional): How the graph was built. (default: ``"custom"``)
        params (dict, optional): The recipe's parameters, with ``num_examples``
            (training examples used, or ``None``). (default: ``{}``)

    Attributes:
        edge_index (torch.Tensor): ``Long[2, E]``, sorted by ``(target, source)``.
        edge_weight (torch.Tensor): ``Float[E]``, the co-occurrence count
            :math:`C_{ij}` of the two labels (for a self-loop: the label's training
            frequency :math:`C_{ii}`), or ones when no label matrix was given.
        num_nodes (int): :math:`L`.
        label_names (list[str]): Label names.
        kind (str): ``prior``, ``full``, ``edgeless``, ``conditional``, ``knn``,
            ``given`` or ``custom``.
        params (dict): How the graph was built (plain Python values).
    """

    def __init__(self, edge_index: Union[Tensor, np.ndarray], num_nodes: int,
                 edge_weight: Optional[Union[Tensor, np.ndarray]] = None,
                 label_names: Optional[Sequence[str]] = None, kind: str = "custom",
                 params: Optional[Dict[str, Any]] = None):
        if not _is_int_like(num_nodes) or int(num_nodes) < 1:
            raise ValueError(f"expected num_nodes to be a positive integer, got {num_nodes!r}")
        L = int(num_nodes)
        ei = edge_index.detach().cpu().numpy() if isinstance(edge_index, Tensor) \
            else np.asarray(edge_index)
        if ei.size == 0:
            ei = ei.reshape(2, 0).astype(np.int64)
        if ei.ndim != 2 or ei.shape[0] != 2 or ei.dtype.kind not in "iu":
            raise ValueError(f"expected an integer edge_index of shape [2, E], got shape "
                             f"{tuple(ei.shape)} and dtype {ei.dtype}")
        ei = ei.astype(np.int64, copy=False)
        if ei.size and (ei.min() < 0 or ei.max() >= L):
            raise ValueError(f"expected edge_index entries in [0, {L}), got "
                             f"[{int(ei.min())}, {int(ei.max())}]")
        if edge_weight is None:
            w = np.ones(ei.shape[1], dtype=np.float64)
        else:
            w = edge_weight.detach().cpu().numpy() if isinstance(edge_weight, Tensor) \
                else np.asarray(edge_weight)
            if w.shape != (ei.shape[1], ):
                raise ValueError(f"expected edge_weight of shape [{ei.shape[1]}] (one per "
                                 f"edge), got {tuple(w.shape)}")
        self._init(ei[0], ei[1], w, L, 1.0, label_names, kind, params)

    def _init(self, src: np.ndarray, dst: np.ndarray, w: np.ndarray, L: int,
              loop_weight: Union[float, np.ndarray], label_names: Optional[Sequence[str]],
              kind: str, params: Optional[Dict[str, Any]]) -> None:
        src, dst, w = _canonical(src, dst, w, L, loop_weight)
        self.edge_index: Tensor = torch.from_numpy(np.stack([src, dst]))
        self.edge_weight: Tensor = torch.from_numpy(w.astype(np.float32))
        self.num_nodes: int = L
        self.label_names: List[str] = _check_label_names(label_names, L)
        self.kind: str = str(kind)
        self.params: Dict[str, Any] = _to_python(dict(params or {}))

    @classmethod
    def _from_arrays(cls, src: np.ndarray, dst: np.ndarray, w: np.ndarray, L: int,
                     loop_weight: Union[float, np.ndarray], label_names: Sequence[str],
                     kind: str, params: Dict[str, Any]) -> "LabelGraph":
        """Internal constructor for validated arrays; missing self-loops get
        ``loop_weight``."""
        graph = cls.__new__(cls)
        graph._init(src, dst, w, L, loop_weight, label_names, kind, params)
        return graph

    # ------------------------------------------------------------------ build
    @classmethod
    def from_labels(cls, Y: Optional[LabelInput], kind: str = "prior",
                    label_names: Optional[Sequence[str]] = None,
                    num_labels: Optional[int] = None, **params: Any) -> "LabelGraph":
        r"""Builds a label graph from the training label matrix :math:`\mathbf{Y}`.

        With :math:`C = \mathbf{Y}^{\top}\mathbf{Y}` the co-occurrence counts, the
        kinds are (every kind also gets all self-loops :math:`(i, i)`):

        * ``prior`` (LaMP_pr): undirected, :math:`\{(j, i), (i, j) : i \neq j,
          C_{ij} \geq \text{min\_count}\}`. Parameter ``min_count`` (default ``1``).
        * ``full`` (LaMP_fc): all :math:`L^2` ordered pairs.
        * ``edgeless`` (LaMP_el): self-loops only.
        * ``conditional`` (ML-GCN): directed :math:`j \rightarrow i` when

          .. math::
              P(j \mid i) = \frac{C_{ij}}{C_{ii}} \geq \tau,

          i.e. label :math:`i` listens to the labels that are likely given
          :math:`i`. Parameter ``tau`` in :math:`(0, 1]` (default ``0.4``).
        * ``knn``: each label :math:`i` receives from its ``k`` most co-occurring
          labels :math:`j \neq i` with :math:`C_{ij} > 0` (ties broken by the
          smaller label index), so its in-degree is
          :math:`\min(k, |\{j \neq i: C_{ij} > 0\}|) + 1`.  With
          ``symmetric=True`` every edge is also added reversed.  Parameters ``k``
          (required, :math:`\geq 1`) and ``symmetric`` (default ``False``).  This is
          the recipe for :math:`L` in the tens of thousands: :math:`C` is counted
          sparsely and the graph has at most :math:`L(k + 1)` edges.
        * ``given``: parameters ``edges`` and ``undirected`` (default ``True``),
          as in :meth:`from_edge_list`.

        Edge weights are :math:`C_{ij}` (self-loops: :math:`C_{ii}`), also for
        ``full``, ``edgeless`` and ``given``; with ``Y=None`` (only allowed for
        those three) they are ones.

        Args:
            Y: Training labels: a multi-hot ``[N, L]`` numpy array or torch tensor
                (dense or sparse; boolean or 0/1), or a list of label-index lists
                (one per training example) together with ``num_labels`` or
                ``label_names``.  A Python list is *always* read as label-index
                lists.  ``None`` for ``full``/``edgeless``/``given`` without counts.
            kind (str): One of ``prior``, ``full``, ``edgeless``, ``conditional``,
                ``knn``, ``given``. (default: ``"prior"``)
            label_names (list[str], optional): One name per label.
            num_labels (int, optional): :math:`L`, required for list input unless
                ``label_names`` is given.
            **params: The kind's parameters (see above).

        Raises:
            ValueError: On non-binary or non-2-D ``Y``, out-of-range indices, a
                label-name count that does not match :math:`L`, unknown kinds or
                parameters, ``k < 1`` or ``tau`` outside :math:`(0, 1]`.
        """
        if kind not in _KIND_PARAMS:
            raise ValueError(f"unknown label graph kind {kind!r}: expected one of "
                             f"{', '.join(KINDS)}")
        accepted = _KIND_PARAMS[kind]
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            ok = ", ".join(accepted) if accepted else "none"
            raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for kind {kind!r}: "
                             f"expected {ok}")
        p = {name: params.get(name, default) for name, default in accepted.items()}
        missing = [name for name, v in p.items() if v is _REQUIRED]
        if missing:
            raise ValueError(f"kind {kind!r} needs the parameter(s) {', '.join(missing)}")

        if label_names is not None and not isinstance(label_names, str):
            label_names = list(label_names)
        names_len = None if label_names is None or isinstance(label_names, str) \
            else len(label_names)

        if kind == "given":
            if names_len is not None and num_labels is not None and names_len != num_labels:
                raise ValueError(f"expected {num_labels} label names (num_labels), got "
                                 f"{names_len}")
            if label_names is None and num_labels is None and Y is not None:
                num_labels = _label_matrix_to_csr(Y, None)[3]
            return cls.from_edge_list(p["edges"], label_names if label_names is not None
                                      else num_labels, undirected=p["undirected"], Y=Y)

        # Validate the recipe's parameters before touching the labels.
        if kind == "prior":
            min_count = p["min_count"]
            if not _is_int_like(min_count) or min_count < 1:
                raise ValueError(f"expected min_count to be an integer >= 1, got "
                                 f"{min_count!r}")
            p["min_count"] = int(min_count)
        elif kind == "conditional":
            tau = p["tau"]
            if isinstance(tau, bool) or not isinstance(tau, (int, float, np.number)) \
                    or not 0.0 < float(tau) <= 1.0:
                raise ValueError(f"expected tau in (0, 1], got {tau!r}")
            p["tau"] = float(tau)
        elif kind == "knn":
            k = p["k"]
            if not _is_int_like(k) or k < 1:
                raise ValueError(f"expected k to be an integer >= 1, got {k!r}")
            p["k"] = int(k)
            if not isinstance(p["symmetric"], (bool, np.bool_)):
                raise ValueError(f"expected symmetric to be a bool, got {p['symmetric']!r}")
            p["symmetric"] = bool(p["symmetric"])

        lab: Optional[_Labels] = None
        if Y is None:
            if kind not in ("full", "edgeless"):
                raise ValueError(f"kind {kind!r} is built from the training labels: expected "
                                 f"a label matrix Y, got None")
            if num_labels is None:
                num_labels = names_len
            if num_labels is None:
                raise ValueError("without Y, num_labels (or label_names) is needed")
            if not _is_int_like(num_labels) or int(num_labels) < 1:
                raise ValueError(f"expected num_labels to be a positive integer, got "
                                 f"{num_labels!r}")
            L = int(num_labels)
        else:
            if num_labels is not None and (not _is_int_like(num_labels)
                                           or int(num_labels) < 1):
                raise ValueError(f"expected num_labels to be a positive integer, got "
                                 f"{num_labels!r}")
            lab = _Labels(*_label_matrix_to_csr(Y, num_labels, names_len))
            L = lab.num_labels
        names = _check_label_names(label_names, L)

        # Off-diagonal edges, collected block by block (a block = all co-occurrence
        # pairs (a = target, b = source) of a range of target labels).
        srcs: List[np.ndarray] = []
        dsts: List[np.ndarray] = []
        ws: List[np.ndarray] = []
        if kind in ("prior", "conditional", "knn"):
            for a, b, cnt in _pair_blocks(lab):
                if kind == "prior":
                    keep = cnt >= p["min_count"]
                elif kind == "conditional":
                    keep = cnt / lab.freq[a] >= p["tau"]  # P(b | a) = C_ab / C_aa
                else:  # knn: by target, then count descending, then source ascending
                    # (the block is sorted by (a, b), so a stable sort keeps b ascending)
                    top = int(cnt.max())
                    order = np.argsort((a - a[0]) * (top + 1) + (top - cnt), kind="stable")
                    a, b, cnt = a[order], b[order], cnt[order]
                    first = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
                    rank = np.arange(a.size) - np.repeat(first, np.diff(np.r_[first, a.size]))
                    keep = rank < p["k"]
                srcs.append(b[keep])
                dsts.append(a[keep])
                ws.append(cnt[keep])
            if kind == "knn" and p["symmetric"]:
                srcs, dsts, ws = srcs + dsts, dsts + srcs, ws + ws
        elif kind == "full":
            loops = np.arange(L, dtype=np.int64)
            dsts.append(np.repeat(loops, L))
            srcs.append(np.tile(loops, L))
            if lab is None:
                ws.append(np.ones(L * L))
            else:  # edge (b -> a) sits at position a * L + b
                w = np.zeros(L * L, dtype=np.int64)
                w[loops * (L + 1)] = lab.freq
                for a, b, cnt in _pair_blocks(lab):
                    w[a * L + b] = cnt
                ws.append(w)

        empty = [np.zeros(0, dtype=np.int64)]
        src = np.concatenate(empty + srcs)
        dst = np.concatenate(empty + dsts)
        w = np.concatenate(empty + ws)
        p = {"num_examples": None if lab is None else lab.num_examples,
             "weight": "ones" if lab is None else "count", **p}
        # Self-loops carry the label frequency C_ii.
        return cls._from_arrays(src, dst, w, L, 1.0 if lab is None else lab.freq, names,
                                kind, p)

    @classmethod
    def from_edge_list(cls, edges: Union[str, os.PathLike, Iterable],
                       label_names: Union[Sequence[str], int], undirected: bool = True,
                       Y: Optional[LabelInput] = None) -> "LabelGraph":
        r"""Builds a ``given`` label graph from user-supplied edges (e.g. a topic
        hierarchy's parent-child pairs), plus all self-loops.

        A pair ``(a, b)`` is the edge :math:`a \rightarrow b` (``a`` sends to
        ``b``); with ``undirected=True`` the edge :math:`b \rightarrow a` is added
        too.  Labels are given by name or by index; a string that is a label name is
        always read as the name, otherwise a string of digits is read as an index.

        Args:
            edges: Either a path to a text file with one whitespace-separated pair
                ``a b`` per line (blank lines and ``#`` comments are skipped; label
                names therefore cannot contain whitespace or ``#``), or an iterable
                of pairs, or an integer array/tensor of shape ``[E, 2]``.
            label_names (list[str] or int): The label names, or just :math:`L`
                (then names default to ``label_0``, ... and pairs use indices).
            undirected (bool, optional): Add each edge in both directions.
                (default: :obj:`True`)
            Y (optional): Training labels as in :meth:`from_labels`; if given, edge
                weights are co-occurrence counts, otherwise ones.

        Raises:
            ValueError: For an unknown label name or out-of-range index, or a line
                that is not a pair; for a file the message names the file, the line
                and the offending token.
        """
        if _is_int_like(label_names):
            if int(label_names) < 1:
                raise ValueError(f"expected a positive number of labels, got {label_names}")
            names = _check_label_names(None, int(label_names))
        elif label_names is None:
            raise ValueError("from_edge_list needs label_names (a list of names, or L)")
        else:
            names = _check_label_names(label_names, len(label_names))
        L = len(names)
        if not isinstance(undirected, (bool, np.bool_)):
            raise ValueError(f"expected undirected to be a bool, got {undirected!r}")
        index = {name: i for i, name in enumerate(names)}
        source = None
        if isinstance(edges, (str, os.PathLike)):
            source = os.fspath(edges)
            if not os.path.isfile(source):
                raise ValueError(f"edge list file not found: {source}")
            src_l, dst_l = _read_edge_file(source, index, L)
        else:
            src_l, dst_l = _read_edge_pairs(edges, index, L)
        src = np.asarray(src_l, dtype=np.int64)
        dst = np.asarray(dst_l, dtype=np.int64)
        if undirected:
            src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
        n, loop_weight = None, 1.0
        if Y is None:
            w = np.ones(src.size)
        else:
            lab = _Labels(*_label_matrix_to_csr(Y, None, L))
            if lab.num_labels != L:
                raise ValueError(f"expected a label matrix with one column per label "
                                 f"({L}), got {lab.num_labels} columns")
            n, loop_weight = lab.num_examples, lab.freq
            w = _lookup_counts(src, dst, lab)
        params = {"num_examples": n, "weight": "ones" if Y is None else "count",
                  "undirected": bool(undirected), "source": source,
                  "num_given_pairs": len(src_l)}
        return cls._from_arrays(src, dst, w, L, loop_weight, names, "given", params)

    # ------------------------------------------------------------ properties
    @property
    def num_labels(self) -> int:
        r"""Number of labels :math:`L` (same as :attr:`num_nodes`)."""
        return self.num_nodes

    @property
    def num_edges(self) -> int:
        r"""Number of directed edges :math:`|\mathcal{E}|`, self-loops included."""
        return int(self.edge_index.size(1))

    @property
    def density(self) -> float:
        r"""Fraction of the :math:`L^2` ordered label pairs that are edges,

        .. math::
            \frac{|\mathcal{E}|}{L^2},

        counting self-loops, and each undirected edge twice (once per direction).
        So ``full`` has density 1 and ``edgeless`` :math:`1/L`.  The bibtex
        ``prior`` graph (MULAN train split) has 7171 edges, density 0.284; the
        27.9% LaMP reports is :attr:`off_diagonal_density` (self-loops excluded).
        """
        return self.num_edges / float(self.num_nodes * self.num_nodes)

    @property
    def off_diagonal_density(self) -> float:
        r"""Fraction of the :math:`L(L - 1)` ordered pairs of *distinct* labels that
        are edges,

        .. math::
            \frac{|\mathcal{E}| - L}{L(L - 1)}

        (:math:`0` for :math:`L = 1`).  For an undirected graph this equals the
        fraction of unordered label pairs :math:`\{i, j\}, i \neq j`, that are
        connected, which is how the LaMP paper reports the density of its prior
        graphs: 27.9% for bibtex (3506 of the 12561 pairs on the MULAN train split,
        where :attr:`density` is 7171 / 159² = 0.284).
        """
        L = self.num_nodes
        return 0.0 if L == 1 else (self.num_edges - L) / float(L * (L - 1))

    def in_degree(self) -> Tensor:
        r"""In-degree of every label, self-loop included: ``Long[L]``."""
        return torch.bincount(self.edge_index[1], minlength=self.num_nodes)

    def degree_stats(self) -> Dict[str, Union[int, float]]:
        r"""In-degree statistics (self-loops counted, so the minimum is at least 1).

        Returns:
            dict: ``min``, ``mean``, ``max`` in-degree, and ``isolated``: the
            number of labels with no edge to or from any *other* label (only their
            self-loop).
        """
        deg = self.in_degree()
        src, dst = self.edge_index
        off = src != dst
        touched = torch.zeros(self.num_nodes, dtype=torch.bool)
        touched[src[off]] = True
        touched[dst[off]] = True
        return {
            "min": int(deg.min()),
            "mean": float(deg.double().mean()),
            "max": int(deg.max()),
            "isolated": int((~touched).sum()),
        }

    def is_undirected(self) -> bool:
        r"""Whether :math:`(j, i) \in \mathcal{E} \Leftrightarrow (i, j) \in
        \mathcal{E}`."""
        L = self.num_nodes
        src, dst = self.edge_index
        fwd = torch.sort(dst * L + src).values
        bwd = torch.sort(src * L + dst).values
        return bool(torch.equal(fwd, bwd))

    def summary(self) -> str:
        r"""A human-readable, multi-line description of the graph."""
        s = self.degree_stats()
        n = self.params.get("num_examples")
        built = "no training labels" if n is None else f"{n} training examples"
        extra = {k: v for k, v in self.params.items()
                 if k not in ("num_examples", "weight", "edges")}
        recipe = ", ".join(f"{k}={v}" for k, v in extra.items())
        weight = self.params.get("weight")
        if weight == "count":
            wdesc = "co-occurrence counts (self-loop = label frequency)"
        elif weight == "ones":
            wdesc = "ones"
        else:
            wdesc = f"min {float(self.edge_weight.min()):g}, max " \
                    f"{float(self.edge_weight.max()):g}"
        lines = [
            repr(self),
            f"  built from: {built}" + (f"; {recipe}" if recipe else ""),
            f"  density without self-loops: {self.off_diagonal_density:.3f}",
            f"  directed: {'no (symmetric)' if self.is_undirected() else 'yes'}",
            f"  in-degree (incl. self-loop): min {s['min']}, mean {s['mean']:.2f}, "
            f"max {s['max']}",
            f"  labels connected only to themselves: {s['isolated']} of {self.num_nodes}",
            f"  edge weights: {wdesc}",
        ]
        return "\n".join(lines)

    # ------------------------------------------------------------ conversions
    def to_data(self):
        r"""The graph as a :class:`torch_geometric.data.Data` with ``edge_index``,
        ``edge_weight``, ``num_nodes``, ``label_names``, ``kind`` and ``params``."""
        from torch_geometric.data import Data

        return Data(edge_index=self.edge_index.clone(), edge_weight=self.edge_weight.clone(),
                    num_nodes=self.num_nodes, label_names=list(self.label_names),
                    kind=self.kind, params=dict(self.params))

    @classmethod
    def from_data(cls, data) -> "LabelGraph":
        r"""Inverse of :meth:`to_data`."""
        return cls(data.edge_index, data.num_nodes,
                   edge_weight=getattr(data, "edge_weight", None),
                   label_names=getattr(data, "label_names", None),
                   kind=getattr(data, "kind", None) or "custom",
                   params=getattr(data, "params", None))

    def to_networkx(self, to_undirected: bool = False):
        r"""The graph as a :class:`networkx.DiGraph` (or :class:`networkx.Graph`
        with ``to_undirected=True``) via :func:`torch_geometric.utils.to_networkx`,
        with node attribute ``name`` and edge attribute ``weight``.  Self-loops are
        kept."""
        from torch_geometric.data import Data
        from torch_geometric.utils import to_networkx

        data = Data(edge_index=self.edge_index, weight=self.edge_weight,
                    name=list(self.label_names), num_nodes=self.num_nodes)
        return to_networkx(data, node_attrs=["name"], edge_attrs=["weight"],
                           to_undirected=to_undirected)

    def to_dense_mask(self) -> Tensor:
        r"""Dense attention mask ``Bool[L, L]`` with ``mask[i, j] = True`` iff
        :math:`(j, i) \in \mathcal{E}` (row = target / query label, column = source
        / key label).  Allocates :math:`L^2` bytes."""
        mask = torch.zeros(self.num_nodes, self.num_nodes, dtype=torch.bool)
        mask[self.edge_index[1], self.edge_index[0]] = True
        return mask

    # ------------------------------------------------------------ persistence
    def state_dict(self) -> Dict[str, Any]:
        r"""Plain tensors, lists, dicts and strings describing the graph."""
        return {
            "format": _SAVE_FORMAT,
            "edge_index": self.edge_index.clone(),
            "edge_weight": self.edge_weight.clone(),
            "num_nodes": self.num_nodes,
            "label_names": list(self.label_names),
            "kind": self.kind,
            "params": dict(self.params),
        }

    def save(self, path: Union[str, os.PathLike]) -> None:
        r"""Saves with :func:`torch.save`; loadable with ``weights_only=True``."""
        torch.save(self.state_dict(), path)

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "LabelGraph":
        r"""Loads a graph written by :meth:`save` (``torch.load(weights_only=True)``)."""
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != _SAVE_FORMAT:
            raise ValueError(f"{os.fspath(path)}: not a saved LabelGraph (expected a dict "
                             f"with format {_SAVE_FORMAT!r})")
        return cls(state["edge_index"], state["num_nodes"], edge_weight=state["edge_weight"],
                   label_names=state["label_names"], kind=state["kind"],
                   params=state["params"])

    # ------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelGraph):
            return NotImplemented
        return (self.num_nodes == other.num_nodes and self.kind == other.kind
                and self.label_names == other.label_names and self.params == other.params
                and torch.equal(self.edge_index, other.edge_index)
                and torch.equal(self.edge_weight, other.edge_weight))

    __hash__ = None  # mutable container

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(kind={self.kind}, num_labels={self.num_nodes}, "
                f"num_edges={self.num_edges}, density={self.density:.3f})")
