r"""The ``"dense"`` execution path of :class:`~lamp_pyg.nn.LaMPAttention`: masked dense
attention per graph over an implicit edge set (``[B, heads, T, S]`` scores), never
building per-edge tensors."""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Tuple, Union

import torch
from torch import Tensor

from lamp_pyg.nn.dropout import dropout as apply_dropout
from lamp_pyg.nn.edges import CompleteBipartite, SharedGraph


class _Operands(NamedTuple):
    """Padded per-graph operands of the dense path."""

    query: Tensor  # [B, H, T, C], or [1, H, T, C] for targets shared by all graphs
    key: Tensor  # [B, H, S, C]
    value: Tensor  # [B, H, S, C]
    bias: Tensor  # [T, S] or [B, 1, 1, S]: log(number of edges), -inf where none
    has_any: Tensor  # [T, 1] or [B, 1, 1, 1]: the target row has an incoming edge
    dst_idx: Optional[Tensor]  # [N_dst]: row of each target node in the flat [B * T]


def dense_attention(query: Tensor, key: Tensor, value: Tensor,
                    edges: Union[CompleteBipartite, SharedGraph], dropout: float = 0.0,
                    training: bool = False, shared_targets: bool = False,
                    need_weights: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
    r"""Edge-softmax attention of ``query [N_dst, H, C]`` over ``key``, ``value``
    ``[N_src, H, C]`` along an implicit edge set, computed per graph as

    .. math::
        \mathbf{O}_b = \operatorname{dropout}\Big(\operatorname{softmax}\big(
        \mathbf{Q}_b \mathbf{K}_b^{\top} / \sqrt{C} + \log \mathbf{N}_b\big)\Big)
        \mathbf{V}_b

    where :math:`(\mathbf{N}_b)_{ts}` is the number of edges from source :math:`s` to
    target :math:`t` of graph :math:`b` (:math:`\log 0 = -\infty`: no edge, no weight;
    :math:`\log c` gives a pair listed :math:`c` times the weight of its :math:`c`
    edges, as on the per-edge paths). Targets without incoming edges get zeros. The
    softmax runs in the inputs' dtype, at least float32 (bf16 / fp16 inputs).

    Args:
        query (Tensor): ``[N_dst, H, C]``, or ``[T, H, C]`` when
            :obj:`shared_targets` (one row per target position, shared by the
            :math:`B` graphs of a :class:`CompleteBipartite`).
        key (Tensor): ``[N_src, H, C]``.
        value (Tensor): ``[N_src, H, C]``.
        edges (CompleteBipartite or SharedGraph): the edge set.
        dropout (float, optional): Dropout on the attention weights.
        training (bool, optional): Apply dropout.
        shared_targets (bool, optional): ``query`` holds one row per target position.
        need_weights (bool, optional): Also return the weights.

    Returns:
        ``out [N_dst, H, C]`` (``[B * T, H, C]`` for shared targets) and, if
        :obj:`need_weights`, ``alpha [E, H]`` (before dropout) in the edge order of
        ``edges.to_edge_index()``, else :obj:`None`.
    """
    stat = torch.promote_types(torch.promote_types(query.dtype, key.dtype), torch.float32)
    if isinstance(edges, SharedGraph):
        ops = _shared_graph_operands(query, key, value, edges, stat)
    else:
        ops = _complete_bipartite_operands(query, key, value, edges, shared_targets, stat)
    out, weights = _masked_attention(ops, stat, dropout, training, need_weights)
    B, H, T, C = out.shape
    out = out.transpose(1, 2).reshape(B * T, H, C)  # [B * T, H, C]
    if ops.dst_idx is not None:
        out = out[ops.dst_idx]  # [N_dst, H, C]
    alpha = None if weights is None else dense_to_edge_weights(weights, edges)
    return out, alpha


def _masked_attention(ops: _Operands, stat: torch.dtype, p: float, training: bool,
                      need_weights: bool) -> Tuple[Tensor, Optional[Tensor]]:
    C = ops.query.size(-1)
    # scale the [B, H, T, C] queries, not the [B, H, T, S] scores: one big pass fewer
    scores = torch.matmul(ops.query * (1.0 / math.sqrt(C)),
                          ops.key.transpose(-1, -2))  # [B, H, T, S]
    # Softmax statistics in `stat` (.to is a no-op when the scores already are). The
    # bias is added in place (the scores are a temporary nobody saved for backward). A
    # target without incoming edges has a zero bias row, so a finite softmax over all
    # sources (no NaN), and its output row is zeroed below, where the tensor is
    # [B, H, T, C].
    weights = torch.softmax(scores.to(stat).add_(ops.bias), dim=-1)  # [B, H, T, S]
    del scores
    dropped = apply_dropout(weights, p=p, training=training)
    out = torch.matmul(dropped.to(ops.value.dtype), ops.value)  # [B, H, T, C]
    out = out.masked_fill(~ops.has_any, 0.0)
    if not need_weights:
        return out, None
    return out, weights.masked_fill(~ops.has_any, 0.0)


def _shared_graph_operands(query: Tensor, key: Tensor, value: Tensor, edges: SharedGraph,
                           stat: torch.dtype) -> _Operands:
    H, C = query.size(1), query.size(2)
    B, T, S = edges.num_graphs, edges.num_dst, edges.num_src
    q = query.view(B, T, H, C).transpose(1, 2)  # [B, H, T, C]
    k = key.view(B, S, H, C).transpose(1, 2)  # [B, H, S, C]
    v = value.view(B, S, H, C).transpose(1, 2)  # [B, H, S, C]
    counts = edges.dense_counts(stat)  # [T, S]
    has_any = counts.sum(dim=-1, keepdim=True) > 0  # [T, 1]
    bias = counts.log_().masked_fill_(~has_any, 0.0)  # [T, S]
    return _Operands(q, k, v, bias, has_any, None)


def _complete_bipartite_operands(query: Tensor, key: Tensor, value: Tensor,
                                 edges: CompleteBipartite, shared_targets: bool,
                                 stat: torch.dtype) -> _Operands:
    H, C = query.size(1), query.size(2)
    B, T, S = edges.num_graphs, edges.max_dst, edges.max_src
    if shared_targets:  # one query row per target position: broadcast over the graphs
        q, dst_idx = query.view(1, T, H, C), None
    elif query.size(0) == B * T:
        # every graph has exactly T targets (LaMP's labels): padding is the identity,
        # skip its copies (and the gather back)
        q, dst_idx = query.view(B, T, H, C), None
    else:
        q, _, dst_idx = _pad(query, edges.dst_batch, B, T)  # [B, T, H, C]
    k, key_mask, _ = _pad(key, edges.src_batch, B, S)  # [B, S, H, C], [B, S]
    v, _, _ = _pad(value, edges.src_batch, B, S)  # [B, S, H, C]
    mask = key_mask.view(B, 1, 1, S)
    has_any = mask.any(dim=-1, keepdim=True)  # [B, 1, 1, 1]
    bias = torch.zeros(mask.shape, dtype=stat, device=mask.device).masked_fill_(
        ~(mask | ~has_any), float("-inf"))  # [B, 1, 1, S]
    return _Operands(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), bias, has_any,
                     dst_idx)


def dense_to_edge_weights(weights: Tensor, edges: Union[CompleteBipartite, SharedGraph]
                          ) -> Tensor:
    """Per-edge ``alpha [E, H]`` in the order of ``edges.to_edge_index()`` from dense
    ``weights [B, H, T, S]``; the weight of a pair listed :math:`c` times is split
    evenly over its :math:`c` edges."""
    H = weights.size(1)
    if isinstance(edges, SharedGraph):
        src, dst = edges.edge_index  # [E0] each
        counts = edges.dense_counts(weights.dtype)[dst, src]  # [E0]
        alpha = weights[:, :, dst, src] / counts  # [B, H, E0]
        return alpha.transpose(1, 2).reshape(-1, H)  # [B * E0, H]
    B, _, T, S = weights.shape
    valid = (_lengths_mask(edges.dst_batch, B, T).unsqueeze(-1)
             & _lengths_mask(edges.src_batch, B, S).unsqueeze(1))  # [B, T, S]
    return weights.permute(0, 2, 3, 1)[valid]  # [E, H], sorted by (target, source)


def _lengths_mask(batch: Tensor, B: int, N: int) -> Tensor:
    """``[B, N]``: position ``i`` of graph ``b`` holds a node (sorted ``batch``)."""
    counts = torch.zeros(B, dtype=torch.long, device=batch.device).scatter_add_(
        0, batch, torch.ones_like(batch))  # [B]
    return torch.arange(N, device=batch.device) < counts.unsqueeze(-1)


def _pad(x: Tensor, batch: Tensor, B: int, N: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Scatters sorted, batched rows ``x [n, ...]`` into ``[B, N, ...]`` with static shapes.

    Returns the padded tensor, the ``[B, N]`` validity mask and each row's flat
    position ``b * N + i``.
    """
    counts = torch.zeros(B, dtype=torch.long, device=x.device).scatter_add_(
        0, batch, torch.ones_like(batch))  # [B]
    start = torch.cumsum(counts, 0) - counts  # [B]
    pos = torch.arange(batch.numel(), device=x.device) - start[batch]  # [n]
    flat = batch * N + pos  # [n]
    out = x.new_zeros((B * N,) + tuple(x.shape[1:])).index_copy(0, flat, x)
    valid = torch.zeros(B * N, dtype=torch.bool, device=x.device).index_fill(0, flat, True)
    return out.view((B, N) + tuple(x.shape[1:])), valid.view(B, N), flat
