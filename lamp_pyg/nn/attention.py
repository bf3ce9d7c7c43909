r"""LaMP's multi-head attention as a PyG :class:`MessagePassing` layer."""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.dense.linear import Linear
from torch_geometric.utils import softmax

from lamp_pyg.nn.dropout import dropout, keep_mask
from lamp_pyg.nn.edges import CompleteBipartite, SharedGraph

PATHS = ("auto", "edge", "dense", "fused")
EdgeSet = Union[Tensor, CompleteBipartite, SharedGraph]


class DenseAttention(NamedTuple):
    """Attention weights of the dense path.

    ``weights`` is ``[B, H, T, S]`` (target rows padded to ``T``, source columns to
    ``S``); ``mask`` is ``[B, 1, 1, S]`` (complete bipartite: key padding) or
    ``[T, S]`` (shared graph: ``mask[target, source]``).
    """

    weights: Tensor
    mask: Tensor


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
    released code. A target node without incoming edges gets a zero vector.
    Residual, LayerNorm and the feed-forward sublayer live in
    :class:`~lamp_pyg.nn.LaMPBlock`.

    ``edge_index`` may be a plain ``[2, E]`` tensor (messages flow
    ``edge_index[0] -> edge_index[1]``) or an implicit edge set
    (:class:`~lamp_pyg.nn.CompleteBipartite`, :class:`~lamp_pyg.nn.SharedGraph`).
    Three execution paths compute the same function:

    - ``"edge"``: PyG's per-edge :meth:`propagate`; materialises
      ``[E, heads, head_channels]`` messages.
    - ``"dense"``: masked dense attention per graph (``[B, heads, T, S]`` scores)
      for implicit edge sets; never builds per-edge tensors.
    - ``"fused"``: per-edge scores only (``[E, heads]``), computed in chunks by a
      custom autograd function that recomputes messages in the backward pass;
      memory grows with the number of edges, for very large sparse graphs.

    For a :class:`~lamp_pyg.nn.CompleteBipartite` edge set whose :math:`B` graphs all
    have the same :math:`T` targets with the same features (LaMP's first decoder
    layer: every sample's labels start from the shared label embeddings), the target
    features may be given once, ``[T, F]``: the query projection then runs once per
    batch instead of once per sample.

    ``"auto"`` picks the path needing the least memory (plain ``edge_index``
    tensors use ``"edge"`` while its messages fit in :obj:`edge_memory_budget`
    bytes, else ``"fused"``).

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
          if :obj:`return_attention_weights=True`, the attention weights:
          ``(edge_index [2, E], alpha [E, heads])`` on the per-edge paths,
          :class:`DenseAttention` on the dense path.
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
            E = edge_index.size(1)
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
        H, C = self.heads, self.head_channels
        query = self.lin_query(x[1]).view(-1, H, C)  # [N_dst, H, C] (or [T, H, C] shared)
        key = self.lin_key(x[0]).view(-1, H, C)  # [N_src, H, C]
        value = self.lin_value(x[0]).view(-1, H, C)  # [N_src, H, C]

        path = self.choose_path(edge_index)
        shared = _shared_targets(x[1], edge_index)
        if shared and path != "dense":  # per-edge paths index queries per target node
            query = query.repeat(edge_index.num_graphs, 1, 1)  # [B * T, H, C]
        if path == "dense":
            if isinstance(edge_index, Tensor):
                raise ValueError("path='dense' needs an implicit edge set "
                                 "(CompleteBipartite or SharedGraph), got an edge_index tensor")
            out, weights = self._dense(query, key, value, edge_index,
                                       bool(return_attention_weights))  # [N_dst, H, C]
            attn = DenseAttention(*weights)
        else:
            ei = edge_index if isinstance(edge_index, Tensor) else edge_index.to_edge_index()
            if path == "edge":
                out = self.propagate(ei, query=query, key=key, value=value,
                                     size=(key.size(0), query.size(0)))
                alpha = self._alpha
                self._alpha = None
            else:
                out, alpha = fused_edge_attention(query, key, value, ei, self.dropout,
                                                  self.training)
            attn = (ei, alpha)

        out = out.reshape(-1, H * C)  # [N_dst, H * C]
        if self.lin_out is not None:
            out = self.lin_out(out)  # [N_dst, out_channels]
        if return_attention_weights:
            return out, attn
        return out

    def message(self, query_i: Tensor, key_j: Tensor, value_j: Tensor, index: Tensor,
                ptr: Optional[Tensor], size_i: Optional[int]) -> Tensor:
        alpha = (query_i * key_j).sum(dim=-1).float() / math.sqrt(self.head_channels)  # [E, H]
        alpha = softmax(alpha, index, ptr, size_i)  # fp32 statistics, also under bf16
        self._alpha = alpha
        alpha = dropout(alpha, p=self.dropout, training=self.training)
        return value_j * alpha.unsqueeze(-1).to(value_j.dtype)  # [E, H, C]

    def _dense(self, query: Tensor, key: Tensor, value: Tensor,
               edges: Union[CompleteBipartite, SharedGraph],
               need_weights: bool = True) -> Tuple[Tensor, Tensor]:
        H, C = self.heads, self.head_channels
        if isinstance(edges, SharedGraph):
            B, T, S = edges.num_graphs, edges.num_dst, edges.num_src
            q = query.view(B, T, H, C).transpose(1, 2)  # [B, H, T, C]
            k = key.view(B, S, H, C).transpose(1, 2)  # [B, H, S, C]
            v = value.view(B, S, H, C).transpose(1, 2)  # [B, H, S, C]
            mask = edges.dense_mask()  # [T, S]
            dst_idx = None
        else:
            B, T, S = edges.num_graphs, edges.max_dst, edges.max_src
            if query.size(0) == T and B > 1:
                # targets shared by all graphs (see _shared_targets): broadcast over B
                q, dst_idx = query.view(1, T, H, C), None
            elif query.size(0) == B * T:
                # every graph has exactly T targets (LaMP's labels): padding is the
                # identity, skip its copies (and the gather back below)
                q, dst_idx = query.view(B, T, H, C), None
            else:
                q, _, dst_idx = _pad(query, edges.dst_batch, B, T)  # [B, T, H, C]
            k, key_mask, _ = _pad(key, edges.src_batch, B, S)  # [B, S, H, C], [B, S]
            v, _, _ = _pad(value, edges.src_batch, B, S)
            q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
            mask = key_mask.view(B, 1, 1, S)

        # scale the [B, H, T, C] queries, not the [B, H, T, S] scores: one big pass fewer
        scores = torch.matmul(q * (1.0 / math.sqrt(C)), k.transpose(-1, -2))  # [B, H, T, S]
        # Same numbers as masked_softmax(scores, mask) with two [B, H, T, S] passes (and
        # buffers) fewer: a target without incoming edges softmaxes over all sources here
        # (no NaN) and its output row is zeroed below, where the tensor is [B, H, T, C].
        has_any = mask.any(dim=-1, keepdim=True)  # [T, 1] or [B, 1, 1, 1]
        # (in place: the scaled scores are a temporary nobody saved for backward)
        # softmax statistics in fp32, also under bf16 autocast (a no-op in fp32)
        weights = torch.softmax(scores.float().masked_fill_(~(mask | ~has_any), float("-inf")),
                                dim=-1)  # [B, H, T, S]
        del scores
        dropped = dropout(weights, p=self.dropout, training=self.training)
        out = torch.matmul(dropped.to(v.dtype), v).masked_fill(~has_any, 0.0)  # [B, H, T, C]
        out = out.transpose(1, 2)  # [B, T, H, C]
        if need_weights:
            weights = weights.masked_fill(~has_any, 0.0)
        out = out.reshape(B * T, H, C)
        if dst_idx is not None:
            out = out[dst_idx]  # [N_dst, H, C]
        return out, (weights, mask)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"heads={self.heads}, head_channels={self.head_channels}, "
                f"dropout={self.dropout}, path={self.path!r})")


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


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """Softmax over the last dim restricted to ``mask``; rows with no ``True`` give zeros
    (and zero gradients), never NaN."""
    has_any = mask.any(dim=-1, keepdim=True)
    scores = scores.masked_fill(~mask, float("-inf")).masked_fill(~has_any, 0.0)
    return torch.softmax(scores, dim=-1).masked_fill(~(mask & has_any), 0.0)


def _pad(x: Tensor, batch: Tensor, B: int, N: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Scatters sorted, batched rows ``x [n, ...]`` into ``[B, N, ...]`` with static shapes.

    Returns the padded tensor, the ``[B, N]`` validity mask and each row's flat
    position ``b * N + i``.
    """
    counts = torch.zeros(B, dtype=torch.long, device=x.device).scatter_add_(
        0, batch, torch.ones_like(batch))
    start = torch.cumsum(counts, 0) - counts  # [B]
    pos = torch.arange(batch.numel(), device=x.device) - start[batch]  # [n]
    flat = batch * N + pos  # [n]
    out = x.new_zeros((B * N,) + tuple(x.shape[1:])).index_copy(0, flat, x)
    valid = torch.zeros(B * N, dtype=torch.bool, device=x.device).index_fill(0, flat, True)
    return out.view((B, N) + tuple(x.shape[1:])), valid.view(B, N), flat


# ---------------------------------------------------------------------- fused path
class _FusedEdgeAttention(torch.autograd.Function):
    """Edge-softmax attention that keeps only ``[E, H]`` per-edge tensors.

    Messages ``alpha_e * v_src(e)`` and score terms are computed chunk by chunk in
    both passes, so peak memory is ``O(E * H + chunk * H * C + N * H * C)``.
    """

    @staticmethod
    def forward(ctx, query, key, value, src, dst, p, training, chunk):
        E, H, C = src.numel(), query.size(1), query.size(2)
        scale = 1.0 / math.sqrt(C)
        scores = query.new_empty(E, H)
        for s in range(0, E, chunk):
            e = slice(s, s + chunk)
            scores[e] = (query.index_select(0, dst[e])
                         * key.index_select(0, src[e])).sum(-1) * scale
        alpha = softmax(scores, dst, num_nodes=query.size(0))  # [E, H]
        del scores
        keep, scale_d = None, 1.0
        if training and p > 0:
            keep, scale_d = keep_mask(alpha.shape, p, alpha.device)  # uint8 0/1
            alpha_d = (alpha * keep).mul_(scale_d)
        else:
            alpha_d = alpha
        out = query.new_zeros(query.shape)
        for s in range(0, E, chunk):
            e = slice(s, s + chunk)
            out.index_add_(0, dst[e], value.index_select(0, src[e]) * alpha_d[e].unsqueeze(-1))
        ctx.save_for_backward(query, key, value, src, dst, alpha, keep)
        ctx.scale_d, ctx.chunk, ctx.scale = scale_d, chunk, scale
        ctx.mark_non_differentiable(alpha)
        return out, alpha

    @staticmethod
    def backward(ctx, grad_out, _grad_alpha):
        query, key, value, src, dst, alpha, keep = ctx.saved_tensors
        scale_d, chunk, scale = ctx.scale_d, ctx.chunk, ctx.scale
        E = src.numel()
        alpha_d = alpha if keep is None else (alpha * keep).mul_(scale_d)
        grad_v = torch.zeros_like(value)
        d_alpha = alpha.new_empty(alpha.shape)  # dL / d alpha (before dropout)
        for s in range(0, E, chunk):
            e = slice(s, s + chunk)
            g = grad_out.index_select(0, dst[e])  # [e, H, C]
            grad_v.index_add_(0, src[e], g * alpha_d[e].unsqueeze(-1))
            d_alpha[e] = (g * value.index_select(0, src[e])).sum(-1)
        if keep is not None:
            d_alpha = (d_alpha * keep).mul_(scale_d)
        # softmax backward: d_score = alpha * (d_alpha - sum_row(alpha * d_alpha))
        row = torch.zeros_like(query[:, :, 0]).index_add_(0, dst, alpha * d_alpha)  # [N, H]
        d_score = alpha * (d_alpha - row.index_select(0, dst)) * scale  # [E, H]
        grad_q = torch.zeros_like(query)
        grad_k = torch.zeros_like(key)
        for s in range(0, E, chunk):
            e = slice(s, s + chunk)
            ds = d_score[e].unsqueeze(-1)
            grad_q.index_add_(0, dst[e], ds * key.index_select(0, src[e]))
            grad_k.index_add_(0, src[e], ds * query.index_select(0, dst[e]))
        return grad_q, grad_k, grad_v, None, None, None, None, None


CHUNK_BYTES = 1 << 23  # per [chunk, H, C] temporary of the fused path


def fused_edge_attention(query: Tensor, key: Tensor, value: Tensor, edge_index: Tensor,
                         dropout: float = 0.0, training: bool = False,
                         chunk: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Memory-lean edge-softmax attention (see :class:`LaMPAttention`, path ``"fused"``).

    ``chunk`` edges are processed at a time (default: as many as fit a ~8 MiB
    ``[chunk, H, C]`` temporary). The result does not depend on it. Small chunks are
    faster on CPU: their temporaries are recycled by the allocator instead of being
    freshly mapped and page-faulted on every step.

    Returns ``(out [N_dst, H, C], alpha [E, H])``.
    """
    if chunk is None:
        per_edge = query.size(1) * query.size(2) * query.element_size()
        chunk = max(1, CHUNK_BYTES // max(1, per_edge))
    dtype = query.dtype
    work = torch.promote_types(torch.promote_types(dtype, key.dtype), value.dtype)
    work = torch.promote_types(work, torch.float32)  # bf16 autocast: compute in fp32
    query, key, value = query.to(work), key.to(work), value.to(work)
    out, alpha = _FusedEdgeAttention.apply(query, key, value, edge_index[0], edge_index[1],
                                           dropout, training, chunk)
    return out.to(dtype), alpha
