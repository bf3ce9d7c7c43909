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

The pieces live in sibling modules: :mod:`~lamp_pyg.graphs.labels` (any label input
:math:`\rightarrow` CSR), :mod:`~lamp_pyg.graphs.cooccurrence` (sparse counts of
:math:`C`), :mod:`~lamp_pyg.graphs.edge_list` (parsing ``given`` edges) and
:mod:`~lamp_pyg.graphs.kinds` (one builder per kind, in the table
:data:`~lamp_pyg.graphs.kinds.KIND_BUILDERS`).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from lamp_pyg.graphs.edge_list import EdgeInput
from lamp_pyg.graphs.kinds import (GRAPH_KINDS, KIND_BUILDERS, BuiltGraph, bind_params,
                                   build_edge_list)
from lamp_pyg.graphs.labels import LabelInput, check_label_names, is_int_like
from lamp_pyg.io.safe_load import load_plain

__all__ = ["LabelGraph", "LabelInput"]


_SAVE_FORMAT = "lamp_pyg.LabelGraph/1"


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
        if not is_int_like(num_nodes) or int(num_nodes) < 1:
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
        self.label_names: List[str] = check_label_names(label_names, L)
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
    def _from_built(cls, built: BuiltGraph, kind: str) -> "LabelGraph":
        """A graph from a kind builder's result (:mod:`lamp_pyg.graphs.kinds`)."""
        return cls._from_arrays(built.src, built.dst, built.weight, built.num_labels,
                                built.loop_weight, built.label_names, kind, built.params)

    @classmethod
    def from_labels(cls, Y: Optional[LabelInput], kind: str = "prior",
                    label_names: Optional[Sequence[str]] = None,
                    num_labels: Optional[int] = None, **params: Any) -> "LabelGraph":
        r"""Builds a label graph from the training label matrix :math:`\mathbf{Y}`.

        With :math:`C = \mathbf{Y}^{\top}\mathbf{Y}` the co-occurrence counts, the
        kinds are (every kind also gets all self-loops :math:`(i, i)`):

        * ``prior`` (LaMP_pr): undirected, :math:`\{(j, i), (i, j) : i \neq j,
          C_{ij} \geq \text{min\_count}\}`, i.e. the labels that co-occur in at
          least ``min_count`` training examples. Parameter ``min_count`` (default
          ``1``).
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

        Each kind is one builder in :data:`lamp_pyg.graphs.kinds.KIND_BUILDERS`;
        :data:`lamp_pyg.graphs.GRAPH_KINDS` lists them.  Edge weights are
        :math:`C_{ij}` (self-loops: :math:`C_{ii}`), also for ``full``,
        ``edgeless`` and ``given``; with ``Y=None`` (only allowed for those three)
        they are ones.

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
        p = bind_params(kind, params)
        if label_names is not None and not isinstance(label_names, str):
            label_names = list(label_names)
        return cls._from_built(KIND_BUILDERS[kind](Y, label_names, num_labels, **p), kind)

    @classmethod
    def from_edge_list(cls, edges: EdgeInput, label_names: Union[Sequence[str], int],
                       undirected: bool = True,
                       Y: Optional[LabelInput] = None) -> "LabelGraph":
        r"""Builds a ``given`` label graph from user-supplied edges (e.g. a topic
        hierarchy's parent-child pairs), plus all self-loops.

        A pair ``(a, b)`` is the edge :math:`a \rightarrow b` (``a`` sends to
        ``b``); with ``undirected=True`` the edge :math:`b \rightarrow a` is added
        too.  Labels are given by name or by index; a string that is a label name is
        always read as the name, otherwise a string of decimal digits is read as an
        index.

        Args:
            edges: Either a path to a UTF-8 text file with one whitespace-separated
                pair ``a b`` per line (blank lines and ``#`` comments are skipped;
                label names therefore cannot contain whitespace or ``#``), or an
                iterable of pairs, or an integer array/tensor of shape ``[E, 2]``.
            label_names (list[str] or int): The label names, or just :math:`L`
                (then names default to ``label_0``, ... and pairs use indices).
            undirected (bool, optional): Add each edge in both directions.
                (default: :obj:`True`)
            Y (optional): Training labels as in :meth:`from_labels`; if given, edge
                weights are co-occurrence counts, otherwise ones.

        Raises:
            ValueError: For an unknown label name or out-of-range index, a line
                or entry that is not a pair, a file that is not UTF-8 text, or
                ``edges`` that are neither a path nor iterable.  For a file it is a
                :class:`~lamp_pyg.io.base.DataFormatError` naming the file, the line
                and the offending token; for in-memory pairs the message names the
                pair's position (``edge e``).
        """
        return cls._from_built(build_edge_list(edges, label_names, undirected=undirected, Y=Y),
                               "given")

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
        r"""Loads a graph written by :meth:`save`, plain data only
        (:func:`~lamp_pyg.io.safe_load.load_plain`: a file holding any other pickled
        object is refused, :class:`~lamp_pyg.io.safe_load.UnsafeFileError`, and nothing
        in it runs)."""
        state = load_plain(path)
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
