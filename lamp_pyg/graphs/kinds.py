r"""The label-graph kinds: one builder function per kind, registered in :data:`KIND_BUILDERS`.

With :math:`\mathbf{Y} \in \{0, 1\}^{N \times L}` the training labels and
:math:`C = \mathbf{Y}^{\top}\mathbf{Y}` their co-occurrence counts (:math:`C_{ij}` =
number of training examples carrying both labels :math:`i` and :math:`j`), the kinds
are (an edge :math:`j \rightarrow i` lets label :math:`i` attend to label :math:`j`):

============ =========================================================================
kind         edges :math:`j \rightarrow i`, :math:`i \neq j`
============ =========================================================================
prior        :math:`C_{ij} \geq \text{min\_count}` (LaMP_pr; undirected)
full         all pairs (LaMP_fc)
edgeless     none (LaMP_el)
conditional  :math:`P(j \mid i) = C_{ij} / C_{ii} \geq \tau` (ML-GCN; directed)
knn          the ``k`` labels :math:`j` with the largest :math:`C_{ij} > 0`
given        user-supplied pairs (:func:`build_edge_list`)
============ =========================================================================

Every kind also gets all self-loops :math:`(i, i)`, added when the
:class:`~lamp_pyg.graphs.LabelGraph` is made from a builder's :class:`BuiltGraph`.

A builder is called as ``builder(Y, label_names, num_labels, **params)``; its
keyword-only parameters (with their defaults; none = required) are the parameters
the kind accepts, so :data:`KIND_BUILDERS` is the single table of kinds.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from lamp_pyg.graphs.cooccurrence import lookup_counts, pair_blocks
from lamp_pyg.graphs.edge_list import EdgeInput, parse_edges
from lamp_pyg.graphs.labels import (LabelInput, Labels, check_label_names, is_int_like,
                                    label_matrix_to_csr)

__all__ = ["BuiltGraph", "GRAPH_KINDS", "KIND_BUILDERS", "REQUIRED", "bind_params",
           "build_conditional", "build_edge_list", "build_edgeless", "build_full",
           "build_given", "build_knn", "build_prior", "kind_params"]

#: Marks a kind parameter without a default in :func:`kind_params`.
REQUIRED = object()

Names = Optional[Sequence[str]]
Arrays = List[np.ndarray]


class BuiltGraph(NamedTuple):
    """A builder's result: the arguments of ``LabelGraph._from_arrays``.

    Attributes:
        src (numpy.ndarray): Source label of every edge, in any order, duplicates
            allowed (the first occurrence wins); self-loops may be missing.
        dst (numpy.ndarray): Target label of every edge.
        weight (numpy.ndarray): Weight of every edge.
        num_labels (int): :math:`L`.
        loop_weight (float or numpy.ndarray): Weight of an added self-loop, one value
            or one per label (the label frequencies :math:`C_{ii}`).
        label_names (list[str]): The validated label names.
        params (dict): The recipe, recorded as ``LabelGraph.params``.
    """

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    num_labels: int
    loop_weight: Union[float, np.ndarray]
    label_names: List[str]
    params: Dict[str, Any]


# --------------------------------------------------------------------------- #
# Shared steps
# --------------------------------------------------------------------------- #
def _names_len(label_names: Names) -> Optional[int]:
    return None if label_names is None or isinstance(label_names, str) else len(label_names)


def _check_num_labels(num_labels: Any) -> None:
    if not is_int_like(num_labels) or int(num_labels) < 1:
        raise ValueError(f"expected num_labels to be a positive integer, got "
                         f"{num_labels!r}")


def _training_labels(Y: Optional[LabelInput], label_names: Names, num_labels: Optional[int],
                     kind: str, required: bool) -> Tuple[Optional[Labels], int, List[str]]:
    """The training labels (``None`` without ``Y``), :math:`L` and the label names."""
    names_len = _names_len(label_names)
    lab: Optional[Labels] = None
    if Y is None:
        if required:
            raise ValueError(f"kind {kind!r} is built from the training labels: expected "
                             f"a label matrix Y, got None")
        if num_labels is None:
            num_labels = names_len
        if num_labels is None:
            raise ValueError("without Y, num_labels (or label_names) is needed")
        _check_num_labels(num_labels)
        L = int(num_labels)
    else:
        if num_labels is not None:
            _check_num_labels(num_labels)
        lab = Labels.from_input(Y, num_labels, names_len)
        L = lab.num_labels
    return lab, L, check_label_names(label_names, L)


def _built(srcs: Arrays, dsts: Arrays, ws: Arrays, lab: Optional[Labels], L: int,
           names: List[str], params: Dict[str, Any]) -> BuiltGraph:
    """Concatenates edge blocks; weights are counts with ``lab``, else ones."""
    empty = [np.zeros(0, dtype=np.int64)]
    params = {"num_examples": None if lab is None else lab.num_examples,
              "weight": "ones" if lab is None else "count", **params}
    # Self-loops carry the label frequency C_ii.
    return BuiltGraph(np.concatenate(empty + srcs), np.concatenate(empty + dsts),
                      np.concatenate(empty + ws), L, 1.0 if lab is None else lab.freq,
                      names, params)


Pick = Callable[[np.ndarray, np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]]


def _pick_pairs(lab: Labels, pick: Pick) -> Tuple[Arrays, Arrays, Arrays]:
    """Runs ``pick`` over the co-occurrence blocks ``(a, b, count)`` (``a`` = target,
    ``b`` = source) and collects the kept edges as ``(sources, targets, weights)``."""
    srcs: Arrays = []
    dsts: Arrays = []
    ws: Arrays = []
    for a, b, cnt in pair_blocks(lab):
        a, b, cnt = pick(a, b, cnt)
        srcs.append(b)
        dsts.append(a)
        ws.append(cnt)
    return srcs, dsts, ws


def _top_k(a: np.ndarray, b: np.ndarray, cnt: np.ndarray,
           k: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` largest counts per target ``a``, ties to the smaller source ``b``."""
    # By target, then count descending, then source ascending (the block is sorted
    # by (a, b), so a stable sort keeps b ascending).
    top = int(cnt.max())
    order = np.argsort((a - a[0]) * (top + 1) + (top - cnt), kind="stable")
    a, b, cnt = a[order], b[order], cnt[order]
    first = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
    rank = np.arange(a.size) - np.repeat(first, np.diff(np.r_[first, a.size]))
    keep = rank < k
    return a[keep], b[keep], cnt[keep]


# --------------------------------------------------------------------------- #
# Builders
# --------------------------------------------------------------------------- #
def build_prior(Y: Optional[LabelInput], label_names: Names, num_labels: Optional[int], *,
                min_count: int = 1) -> BuiltGraph:
    r"""``prior`` (LaMP_pr): labels that co-occur in at least ``min_count`` training
    examples, in both directions,

    .. math::
        \mathcal{E} = \{(j, i) : i \neq j,\ C_{ij} \geq \text{min\_count}\}
        \cup \{(i, i)\}.

    Args:
        Y: Training labels (required), as in :meth:`LabelGraph.from_labels`.
        label_names (list[str], optional): One name per label.
        num_labels (int, optional): :math:`L`.
        min_count (int, optional): Minimum co-occurrence count :math:`\geq 1`.
            (default: :obj:`1`)

    Raises:
        ValueError: For ``min_count`` not an integer :math:`\geq 1`, or ``Y=None``.
    """
    if not is_int_like(min_count) or min_count < 1:
        raise ValueError(f"expected min_count to be an integer >= 1, got {min_count!r}")
    lab, L, names = _training_labels(Y, label_names, num_labels, "prior", required=True)

    def pick(a, b, cnt):
        keep = cnt >= min_count
        return a[keep], b[keep], cnt[keep]

    return _built(*_pick_pairs(lab, pick), lab, L, names, {"min_count": int(min_count)})


def build_full(Y: Optional[LabelInput], label_names: Names,
               num_labels: Optional[int]) -> BuiltGraph:
    r"""``full`` (LaMP_fc): all :math:`L^2` ordered label pairs,
    :math:`\mathcal{E} = \{(j, i) : 0 \leq i, j < L\}`.

    Allocates :math:`L^2` edges.

    Args:
        Y (optional): Training labels; with them the weights are the counts
            :math:`C_{ij}` (zero counts kept as weight 0), without them ones.
        label_names (list[str], optional): One name per label.
        num_labels (int, optional): :math:`L`, needed when neither ``Y`` nor
            ``label_names`` gives it.
    """
    lab, L, names = _training_labels(Y, label_names, num_labels, "full", required=False)
    loops = np.arange(L, dtype=np.int64)
    if lab is None:
        w = np.ones(L * L)
    else:  # edge (b -> a) sits at position a * L + b
        w = np.zeros(L * L, dtype=np.int64)
        w[loops * (L + 1)] = lab.freq
        for a, b, cnt in pair_blocks(lab):
            w[a * L + b] = cnt
    return _built([np.tile(loops, L)], [np.repeat(loops, L)], [w], lab, L, names, {})


def build_edgeless(Y: Optional[LabelInput], label_names: Names,
                   num_labels: Optional[int]) -> BuiltGraph:
    r"""``edgeless`` (LaMP_el): self-loops only, :math:`\mathcal{E} = \{(i, i)\}`.

    Args:
        Y (optional): Training labels; with them a self-loop's weight is the label
            frequency :math:`C_{ii}`, without them one.
        label_names (list[str], optional): One name per label.
        num_labels (int, optional): :math:`L`, needed when neither ``Y`` nor
            ``label_names`` gives it.
    """
    lab, L, names = _training_labels(Y, label_names, num_labels, "edgeless", required=False)
    return _built([], [], [], lab, L, names, {})


def build_conditional(Y: Optional[LabelInput], label_names: Names, num_labels: Optional[int],
                      *, tau: float = 0.4) -> BuiltGraph:
    r"""``conditional`` (ML-GCN, Chen et al. 2019): directed :math:`j \rightarrow i` when
    label :math:`j` is likely given label :math:`i`,

    .. math::
        P(j \mid i) = \frac{C_{ij}}{C_{ii}} \geq \tau,

    i.e. label :math:`i` listens to the labels that are likely given :math:`i` (ML-GCN's
    binarised correlation matrix, without its re-weighting).

    Args:
        Y: Training labels (required).
        label_names (list[str], optional): One name per label.
        num_labels (int, optional): :math:`L`.
        tau (float, optional): Threshold :math:`\tau \in (0, 1]`. (default: :obj:`0.4`)

    Raises:
        ValueError: For ``tau`` outside :math:`(0, 1]`, or ``Y=None``.
    """
    if isinstance(tau, bool) or not isinstance(tau, (int, float, np.number)) \
            or not 0.0 < float(tau) <= 1.0:
        raise ValueError(f"expected tau in (0, 1], got {tau!r}")
    tau = float(tau)
    lab, L, names = _training_labels(Y, label_names, num_labels, "conditional", required=True)

    def pick(a, b, cnt):
        keep = cnt / lab.freq[a] >= tau  # P(b | a) = C_ab / C_aa
        return a[keep], b[keep], cnt[keep]

    return _built(*_pick_pairs(lab, pick), lab, L, names, {"tau": tau})


def build_knn(Y: Optional[LabelInput], label_names: Names, num_labels: Optional[int], *,
              k: int, symmetric: bool = False) -> BuiltGraph:
    r"""``knn``: each label :math:`i` receives from its ``k`` most co-occurring labels,

    .. math::
        \mathcal{N}(i) \setminus \{i\} = \operatorname{top-k}_{j \neq i,\ C_{ij} > 0}
        C_{ij},

    ties broken by the smaller label index, so the in-degree of :math:`i` is
    :math:`\min(k, |\{j \neq i : C_{ij} > 0\}|) + 1`.  With ``symmetric=True`` every
    edge is also added reversed.  :math:`C` is counted sparsely and the graph has at
    most :math:`L(k + 1)` edges (:math:`2Lk + L` when symmetric): the recipe for
    :math:`L` in the tens of thousands.

    Args:
        Y: Training labels (required).
        label_names (list[str], optional): One name per label.
        num_labels (int, optional): :math:`L`.
        k (int): Neighbours per label, :math:`\geq 1`.
        symmetric (bool, optional): Add every edge in both directions.
            (default: :obj:`False`)

    Raises:
        ValueError: For ``k`` not an integer :math:`\geq 1`, a non-bool
            ``symmetric``, or ``Y=None``.
    """
    if not is_int_like(k) or k < 1:
        raise ValueError(f"expected k to be an integer >= 1, got {k!r}")
    if not isinstance(symmetric, (bool, np.bool_)):
        raise ValueError(f"expected symmetric to be a bool, got {symmetric!r}")
    k, symmetric = int(k), bool(symmetric)
    lab, L, names = _training_labels(Y, label_names, num_labels, "knn", required=True)
    srcs, dsts, ws = _pick_pairs(lab, lambda a, b, cnt: _top_k(a, b, cnt, k))
    if symmetric:
        srcs, dsts, ws = srcs + dsts, dsts + srcs, ws + ws
    return _built(srcs, dsts, ws, lab, L, names, {"k": k, "symmetric": symmetric})


def build_edge_list(edges: EdgeInput, label_names: Union[Sequence[str], int],
                    undirected: bool = True, Y: Optional[LabelInput] = None) -> BuiltGraph:
    r"""``given``: user-supplied edges, :math:`\mathcal{E} = \{(a, b)\} \cup \{(i, i)\}`
    (plus :math:`(b, a)` with ``undirected=True``); the body of
    :meth:`LabelGraph.from_edge_list`, whose docstring describes the arguments.

    Weights are the counts :math:`C_{ba}` when ``Y`` is given, else ones.
    """
    if is_int_like(label_names):
        if int(label_names) < 1:
            raise ValueError(f"expected a positive number of labels, got {label_names}")
        names = check_label_names(None, int(label_names))
    elif label_names is None:
        raise ValueError("from_edge_list needs label_names (a list of names, or L)")
    else:
        names = check_label_names(label_names, len(label_names))
    L = len(names)
    if not isinstance(undirected, (bool, np.bool_)):
        raise ValueError(f"expected undirected to be a bool, got {undirected!r}")
    src_l, dst_l, source = parse_edges(edges, {name: i for i, name in enumerate(names)}, L)
    src = np.asarray(src_l, dtype=np.int64)
    dst = np.asarray(dst_l, dtype=np.int64)
    if undirected:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    n, loop_weight = None, 1.0
    if Y is None:
        w = np.ones(src.size)
    else:
        lab = Labels.from_input(Y, None, L)
        if lab.num_labels != L:
            raise ValueError(f"expected a label matrix with one column per label "
                             f"({L}), got {lab.num_labels} columns")
        n, loop_weight = lab.num_examples, lab.freq
        w = lookup_counts(src, dst, lab)
    params = {"num_examples": n, "weight": "ones" if Y is None else "count",
              "undirected": bool(undirected), "source": source,
              "num_given_pairs": len(src_l)}
    return BuiltGraph(src, dst, w, L, loop_weight, names, params)


def build_given(Y: Optional[LabelInput], label_names: Names, num_labels: Optional[int], *,
                edges: EdgeInput, undirected: bool = True) -> BuiltGraph:
    r"""``given`` via :meth:`LabelGraph.from_labels`: :func:`build_edge_list` with
    :math:`L` taken from ``label_names``, else ``num_labels``, else the width of ``Y``.

    Raises:
        ValueError: When ``label_names`` and ``num_labels`` disagree, and as
            :func:`build_edge_list`.
    """
    names_len = _names_len(label_names)
    if names_len is not None and num_labels is not None and names_len != num_labels:
        raise ValueError(f"expected {num_labels} label names (num_labels), got {names_len}")
    if label_names is None and num_labels is None and Y is not None:
        num_labels = label_matrix_to_csr(Y, None)[3]
    return build_edge_list(edges, label_names if label_names is not None else num_labels,
                           undirected=undirected, Y=Y)


# --------------------------------------------------------------------------- #
# The table
# --------------------------------------------------------------------------- #
Builder = Callable[..., BuiltGraph]

#: kind -> builder, in the order the kinds are documented.
KIND_BUILDERS: Dict[str, Builder] = {
    "prior": build_prior,
    "full": build_full,
    "edgeless": build_edgeless,
    "conditional": build_conditional,
    "knn": build_knn,
    "given": build_given,
}

#: The label-graph kinds :meth:`LabelGraph.from_labels` accepts (``graph.kind``).
GRAPH_KINDS: Tuple[str, ...] = tuple(KIND_BUILDERS)


def kind_params(kind: str) -> Dict[str, Any]:
    """The parameters ``kind`` accepts with their defaults (:data:`REQUIRED` for
    none): the keyword-only parameters of its builder."""
    sig = inspect.signature(KIND_BUILDERS[kind])
    return {name: REQUIRED if p.default is p.empty else p.default
            for name, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}


def bind_params(kind: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """Checks ``kind`` and the names of ``params``; fills in the defaults.

    Raises:
        ValueError: For an unknown kind, an unknown parameter or a missing
            required one.
    """
    if kind not in KIND_BUILDERS:
        raise ValueError(f"unknown label graph kind {kind!r}: expected one of "
                         f"{', '.join(GRAPH_KINDS)}")
    accepted = kind_params(kind)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        ok = ", ".join(accepted) if accepted else "none"
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for kind {kind!r}: "
                         f"expected {ok}")
    p = {name: params.get(name, default) for name, default in accepted.items()}
    missing = [name for name, v in p.items() if v is REQUIRED]
    if missing:
        raise ValueError(f"kind {kind!r} needs the parameter(s) {', '.join(missing)}")
    return p
