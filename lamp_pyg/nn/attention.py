r"""LaMP's multi-head attention as a PyG :class:`MessagePassing` layer.

The layer lives here; its ``"dense"`` and ``"fused"`` execution engines live in
:mod:`lamp_pyg.nn.dense_attention` and :mod:`lamp_pyg.nn.fused_attention`.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Tuple, Union

import torch
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.dense.linear import Linear
from torch_geometric.utils import softmax, to_edge_index

from lamp_pyg.nn.dense_attention import dense_attention
from lamp_pyg.nn.dropout import dropout
from lamp_pyg.nn.edges import CompleteBipartite, SharedGraph
from lamp_pyg.nn.fused_attention import fused_edge_attention

PATHS = ("auto", "edge", "dense", "fused")
EdgeSet = Union[Tensor, CompleteBipartite, SharedGraph]


class AttentionWeights(NamedTuple):
    """What :class:`LaMPAttention` and :class:`~lamp_pyg.nn.LaMPBlock` return with
    :obj:`return_attention_weights=True`, on every execution path: the
    ``(edge_index, alpha)`` pair of PyG's
    :class:`~torch_geometric.nn.conv.TransformerConv`, unpackable as a tuple.

    Attributes:
        edge_index (Tensor, CompleteBipartite or SharedGraph): the edge set given to
            :meth:`forward`, as given (a ``[2, E]`` tensor; a ``torch.sparse``
            adjacency comes back as its ``[2, E]`` (source, target) edge index).
            Implicit edge sets are not expanded: :meth:`to_edge_index` does that.
        alpha (Tensor): ``[E, heads]`` attention weight of each edge (before
            dropout), in the order of :meth:`to_edge_index`. A pair listed twice is
            two edges, each with its own weight. Float32 for float32, bf16 and fp16
            inputs; float64 for float64.
    """

    edge_index: EdgeSet
    alpha: Tensor

    def to_edge_index(self) -> Tensor:
        """The explicit ``[2, E]`` (source, target) edge index ``alpha`` is aligned with."""
        if isinstance(self.edge_index, Tensor):
            return self.edge_index
        return self.edge_index.to_edge_index()


class LaMPAttention(MessagePassing):
    r"""Multi-head scaled dot-product attention over a graph, parametrised as in
    LaMP (`"Neural Message Passing for Multi-Label Classification"
    <https://arxiv.org/abs/1904.08049>`_, Lanchantin, Sekhon and Qi, ECML-PKDD 2019).

    For each target node :math:`i` and head :math:`h`:

    .. math::
        \alpha^{h}_{i,j} = \operatorname{softmax}_{j \in \mathcal{N}(i)}
        \left( \frac{(\mathbf{W}^h_Q \mathbf{x}_i)^{\top}
        (\mathbf{W}^h_K \mathbf{x}_j)}{\sqrt{d_k}} \right),
        \qquad
        \mathbf{x}^{\prime}_i = \mathbf{W}_O \,\big\Vert_{h=1}^{H}
        \sum_{j \in \mathcal{N}(i)} \operatorname{dropout}(\alpha^{h}_{i,j})\,
        \mathbf{W}^h_V \mathbf{x}_j

    with no bias on :math:`\mathbf{W}_Q, \mathbf{W}_K, \mathbf{W}_V` (initialised
    :math:`\mathcal{N}(0, 2/(d + d_k))`), and :math:`\mathbf{W}_O` a bias-free
    projection present only when :obj:`heads > 1` (xavier normal), as in the
    released code. :math:`\mathcal{N}(i)` is a multiset: an edge listed twice sends
    two messages. A target node without incoming edges gets a zero vector. The
    softmax statistics are computed in the input dtype, at least float32 (float32
    under bf16 / fp16 autocast, float64 for float64 inputs). Residual, LayerNorm and
    the feed-forward sublayer live in :class:`~lamp_pyg.nn.LaMPBlock`.

    ``edge_index`` may be a plain ``[2, E]`` tensor (messages flow
    ``edge_index[0] -> edge_index[1]``), a ``torch.sparse`` adjacency in PyG's
    transposed convention (``adj_t [N_dst, N_src]``, entry ``[i, j]`` is an edge
    ``j -> i``; its stored entries after coalescing are the edges, values are
    ignored), or an implicit edge set (:class:`~lamp_pyg.nn.CompleteBipartite`,
    :class:`~lamp_pyg.nn.SharedGraph`, which mean exactly their
    ``to_edge_index()``). Three execution paths compute the same function:

    - ``"edge"``: PyG's per-edge :meth:`propagate`; materialises
      ``[E, heads, head_channels]`` messages.
    - ``"dense"``: masked dense attention per graph (``[B, heads, T, S]`` scores)
      for implicit edge sets only; never builds per-edge tensors
      (:func:`~lamp_pyg.nn.dense_attention`).
    - ``"fused"``: per-edge scores only (``[E, heads]``), computed in chunks by a
      custom autograd function that recomputes messages in the backward pass;
      memory grows with the number of edges, for very large sparse graphs
      (:func:`~lamp_pyg.nn.fused_edge_attention`).

    For a :class:`~lamp_pyg.nn.CompleteBipartite` edge set whose :math:`B` graphs all
    have the same :math:`T` targets with the same features (LaMP's first decoder
    layer: every sample's labels start from the shared label embeddings), the target
    features may be given once, ``[T, F]``: the query projection then runs once per
    batch instead of once per sample.

    ``"auto"`` picks the path needing the least memory (explicit edges use
    ``"edge"`` while their messages fit in :obj:`edge_memory_budget` bytes, else
    ``"fused"``).

    Args:
        in_channels (int or tuple): Size of each input sample, or :obj:`-1` to
            derive it lazily. A tuple gives source and target sizes.
        out_channels (int): Size of each output sample (:math:`d` in LaMP).
        heads (int, optional): Number of attention heads. (default: :obj:`1`)
        head_channels (int, optional): Size of each head (:math:`d_k = d_v`).
            (default: :obj:`out_channels // heads`)
        dropout (float, optional): Dropout probability on the attention
            weights. (default: :obj:`0.`)
        bias (bool, optional): Add biases to the query, key and value
            projections (LaMP has none). (default: :obj:`False`)
        path (str, optional): ``"auto"``, ``"edge"``, ``"dense"`` or
            ``"fused"``. (default: :obj:`"auto"`)
        edge_memory_budget (int, optional): Bytes of per-edge messages the
            ``"edge"`` path may use under ``"auto"``. (default: 1 GiB)
        **kwargs (optional): Additional arguments of
            :class:`torch_geometric.nn.conv.MessagePassing`.

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})` or
          :math:`((|\mathcal{V_s}|, F_{s}), (|\mathcal{V_t}|, F_{t}))`,
          edge set with :math:`E` edges
        - **output:** node features :math:`(|\mathcal{V}_t|, F_{out})`, and
          if :obj:`return_attention_weights=True`, :class:`AttentionWeights`
          ``(edge_index, alpha [E, heads])`` on every path.
    """

    def __init__(
        self,
        in_channels: Union[int, Tuple[int, int]],
        out_channels: int,
        heads: int = 1,
        head_channels: Optional[int] = None,
        dropout: float = 0.0,
        bias: bool = False,
        path: str = "auto",
        edge_memory_budget: int = 1 << 30,
        **kwargs,
    ):
        kwargs.setdefault("aggr", "add")
        super().__init__(node_dim=0, **kwargs)
        if head_channels is None:
            if out_channels % heads != 0:
                raise ValueError(f"out_channels ({out_channels}) must be divisible by "
                                 f"heads ({heads}) unless head_channels is given")
            head_channels = out_channels // heads
        if path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}, got {path!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if isinstance(in_channels, int):
            in_channels = (in_channels, in_channels)

        self.in_channels = in_channels
        self.out_channels = out_channels
        self.heads = heads
        self.head_channels = head_channels
        self.dropout = dropout
        self.bias = bias
        self.path = path
        self.edge_memory_budget = edge_memory_budget
        self._alpha: Optional[Tensor] = None

        HC = heads * head_channels
        self.lin_query = Linear(in_channels[1], HC, bias=bias)
        self.lin_key = Linear(in_channels[0], HC, bias=bias)
        self.lin_value = Linear(in_channels[0], HC, bias=bias)
        if heads > 1 or HC != out_channels:
            self.lin_out = Linear(HC, out_channels, bias=False)
        else:
            self.register_module("lin_out", None)
        self.reset_parameters()

    def reset_parameters(self):
        super().reset_parameters()
        for lin in (self.lin_query, self.lin_key, self.lin_value, self.lin_out):
            if lin is None:
                continue
            lin.reset_parameters()
            if isinstance(lin.weight, torch.nn.parameter.UninitializedParameter):
                continue  # lazy: PyG's default init on first call
            if lin is self.lin_out:
                torch.nn.init.xavier_normal_(lin.weight)
            else:
                std = math.sqrt(2.0 / (lin.in_channels + self.head_channels))
                torch.nn.init.normal_(lin.weight, mean=0.0, std=std)

    # ------------------------------------------------------------------ paths
    def choose_path(self, edge_index: EdgeSet) -> str:
        """The execution path :meth:`forward` would take for this edge set."""
        if self.path != "auto":
            return self.path
        H, C = self.heads, self.head_channels
        if isinstance(edge_index, Tensor):
            E = _num_edges(edge_index)
            return "edge" if 4 * E * H * C * 4 <= self.edge_memory_budget else "fused"
        E = edge_index.num_edges
        edge_bytes = 4 * E * H * C * 4  # query_i, key_j, value_j, messages
        if isinstance(edge_index, CompleteBipartite):
            B, T, S = edge_index.num_graphs, edge_index.max_dst, edge_index.max_src
        else:
            B, T, S = edge_index.num_graphs, edge_index.num_dst, edge_index.num_src
        dense_bytes = 3 * B * H * T * S * 4 + 2 * B * S * H * C * 4  # scores, attn, dropout
        if dense_bytes <= edge_bytes:
            return "dense"
        return "edge" if edge_bytes <= self.edge_memory_budget else "fused"

    def forward(self, x: Union[Tensor, Tuple[Tensor, Tensor]], edge_index: EdgeSet,
                return_attention_weights: Optional[bool] = None):
        if isinstance(x, Tensor):
            x = (x, x)
        self._check_inputs(x, edge_index)
        if isinstance(edge_index, Tensor) and edge_index.layout == torch.sparse_coo:
            edge_index = edge_index.coalesce()  # returns it itself when it already is
        path = self.choose_path(edge_index)
        if isinstance(edge_index, Tensor):
            if path == "dense":
                what = ("an edge_index tensor" if edge_index.layout == torch.strided
                        else "a torch.sparse adjacency")
                raise ValueError("path='dense' needs an implicit edge set "
                                 f"(CompleteBipartite or SharedGraph), got {what}")
            if edge_index.layout != torch.strided:
                edge_index = _sparse_to_edge_index(edge_index, x[0].size(0), x[1].size(0))
        H, C = self.heads, self.head_channels
        query = self.lin_query(x[1]).view(-1, H, C)  # [N_dst, H, C] (or [T, H, C] shared)
        key = self.lin_key(x[0]).view(-1, H, C)  # [N_src, H, C]
        value = self.lin_value(x[0]).view(-1, H, C)  # [N_src, H, C]

        shared = _shared_targets(x[1], edge_index)
        if path == "dense":
            out, alpha = dense_attention(query, key, value, edge_index, self.dropout,
                                         self.training, shared,
                                         bool(return_attention_weights))  # [N_dst, H, C]
        else:
            if shared:  # per-edge paths index queries per target node
                query = query.repeat(edge_index.num_graphs, 1, 1)  # [B * T, H, C]
            out, alpha = self._per_edge(path, query, key, value, edge_index)

        out = out.reshape(-1, H * C)  # [N_dst, H * C]
        if self.lin_out is not None:
            out = self.lin_out(out)  # [N_dst, out_channels]
        if return_attention_weights:
            return out, AttentionWeights(edge_index, alpha)
        return out

    def _check_inputs(self, x: Tuple[Tensor, Tensor], edge_index: EdgeSet) -> None:
        """Shapes only (no data-dependent checks): a ValueError saying what was expected."""
        for name, t, width in (("source", x[0], self.in_channels[0]),
                               ("target", x[1], self.in_channels[1])):
            if t.dim() != 2:
                raise ValueError(f"{name} node features must be [N, F], got shape "
                                 f"{tuple(t.shape)}")
            if width != -1 and t.size(1) != width:
                raise ValueError(f"{name} node features have {t.size(1)} channels: expected "
                                 f"{width} (in_channels={self.in_channels})")
        if isinstance(edge_index, Tensor):
            if edge_index.layout == torch.strided and (edge_index.dim() != 2
                                                       or edge_index.size(0) != 2):
                raise ValueError("edge_index must be [2, E] (row 0: source, row 1: target), "
                                 f"got shape {tuple(edge_index.shape)}")
        elif isinstance(edge_index, SharedGraph):
            ei, B = edge_index.edge_index, edge_index.num_graphs
            if ei.dim() != 2 or ei.size(0) != 2:
                raise ValueError("SharedGraph.edge_index must be [2, E0] (source, target), "
                                 f"got shape {tuple(ei.shape)}")
            for name, t, key, n in (("source", x[0], "num_src", edge_index.num_src),
                                    ("target", x[1], "num_dst", edge_index.num_dst)):
                if t.size(0) != B * n:
                    raise ValueError(f"{name} node features have {t.size(0)} rows: expected "
                                     f"num_graphs * {key} = {B} * {n} = {B * n} "
                                     "(the SharedGraph's nodes)")
        elif isinstance(edge_index, CompleteBipartite):
            if x[0].size(0) != edge_index.src_batch.numel():
                raise ValueError(f"source node features have {x[0].size(0)} rows: expected "
                                 f"one per entry of src_batch ({edge_index.src_batch.numel()})")

    def _per_edge(self, path: str, query: Tensor, key: Tensor, value: Tensor,
                  edge_index: EdgeSet) -> Tuple[Tensor, Tensor]:
        """The ``"edge"`` or ``"fused"`` path: ``(out [N_dst, H, C], alpha [E, H])``."""
        ei = edge_index if isinstance(edge_index, Tensor) else edge_index.to_edge_index()
        if path == "fused":
            return fused_edge_attention(query, key, value, ei, self.dropout, self.training)
        out = self.propagate(ei, query=query, key=key, value=value,
                             size=(key.size(0), query.size(0)))  # [N_dst, H, C]
        alpha, self._alpha = self._alpha, None
        return out, alpha

    def message(self, query_i: Tensor, key_j: Tensor, value_j: Tensor, index: Tensor,
                ptr: Optional[Tensor], size_i: Optional[int]) -> Tensor:
        score = (query_i * key_j).sum(dim=-1)  # [E, H]
        # softmax statistics in the input dtype, at least fp32 (also under bf16 autocast)
        score = score.to(torch.promote_types(score.dtype, torch.float32))
        alpha = softmax(score / math.sqrt(self.head_channels), index, ptr, size_i)  # [E, H]
        self._alpha = alpha
        alpha = dropout(alpha, p=self.dropout, training=self.training)
        return value_j * alpha.unsqueeze(-1).to(value_j.dtype)  # [E, H, C]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"heads={self.heads}, head_channels={self.head_channels}, "
                f"dropout={self.dropout}, path={self.path!r})")


def _num_edges(edge_index: Tensor) -> int:
    """Edges of a ``[2, E]`` tensor or a ``torch.sparse`` adjacency (its stored entries,
    duplicates of an uncoalesced COO tensor counted once, as :meth:`forward` merges them)."""
    if edge_index.layout == torch.strided:
        return edge_index.size(1)
    if edge_index.layout == torch.sparse_coo:
        edge_index = edge_index.coalesce()  # values() is public for coalesced tensors only
    return edge_index.values().numel()


def _sparse_to_edge_index(adj_t: Tensor, num_src: int, num_dst: int) -> Tensor:
    """``[2, E]`` (source, target) edge index of a ``torch.sparse`` adjacency
    ``adj_t [N_dst, N_src]`` (PyG's convention: entry ``[i, j]`` is an edge ``j -> i``)."""
    if tuple(adj_t.shape) != (num_dst, num_src):
        raise ValueError("a torch.sparse adjacency must be adj_t [N_dst, N_src] = "
                         f"[{num_dst}, {num_src}] (entry [i, j]: edge j -> i), got "
                         f"{tuple(adj_t.shape)}")
    if adj_t.layout == torch.sparse_coo:
        adj_t = adj_t.coalesce()  # returns adj_t itself when it already is
    index, _ = to_edge_index(adj_t)  # [2, E] (target, source)
    return index.flip(0)  # [2, E] (source, target)


def _shared_targets(x_dst: Tensor, edges: EdgeSet) -> bool:
    """Whether ``x_dst`` holds one row per target position shared by every graph
    (``[T, F]`` for a :class:`CompleteBipartite` whose ``B`` graphs all have ``T``
    targets) instead of one row per target node (``[B * T, F]``).

    LaMP's first decoder layer is the case: every sample's labels start from the same
    embeddings, so their queries are projected once per batch, not once per sample.
    """
    if not isinstance(edges, CompleteBipartite) or edges.num_graphs < 2:
        return False
    n_dst = edges.dst_batch.numel()
    if x_dst.size(0) == n_dst:
        return False
    if x_dst.size(0) * edges.num_graphs != n_dst or x_dst.size(0) != edges.max_dst:
        raise ValueError(f"target features have {x_dst.size(0)} rows: expected one per "
                         f"target node ({n_dst}) or, when all {edges.num_graphs} graphs have "
                         f"the same targets, one per target position ({edges.max_dst})")
    return True
