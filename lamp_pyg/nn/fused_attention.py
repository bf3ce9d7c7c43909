r"""The ``"fused"`` execution path of :class:`~lamp_pyg.nn.LaMPAttention`: edge-softmax
attention that keeps only ``[E, heads]`` per-edge tensors, for very large sparse graphs."""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.utils import softmax

from lamp_pyg.nn.dropout import keep_mask

CHUNK_BYTES = 1 << 23  # per [chunk, H, C] temporary of the fused path


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


def fused_edge_attention(query: Tensor, key: Tensor, value: Tensor, edge_index: Tensor,
                         dropout: float = 0.0, training: bool = False,
                         chunk: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    r"""Memory-lean edge-softmax attention (:class:`~lamp_pyg.nn.LaMPAttention`, path
    ``"fused"``) of ``query [N_dst, H, C]`` over ``key``, ``value [N_src, H, C]``:

    .. math::
        \mathbf{o}_i = \sum_{e = (j, i)} \operatorname{dropout}(\alpha_e)\, \mathbf{v}_j,
        \qquad \alpha_e = \operatorname{softmax}_{e' = (j', i)}
        \big(\mathbf{q}_i^{\top} \mathbf{k}_{j} / \sqrt{C}\big)_e

    The softmax runs in the inputs' dtype, at least float32 (bf16 / fp16 inputs).
    ``edge_index`` is a ``[2, E]`` (source, target) tensor; duplicated edges are
    separate edges.

    ``chunk`` edges are processed at a time (default: as many as fit a ~8 MiB
    ``[chunk, H, C]`` temporary). The result does not depend on it. Small chunks are
    faster on CPU: their temporaries are recycled by the allocator instead of being
    freshly mapped and page-faulted on every step.

    Returns ``(out [N_dst, H, C], alpha [E, H])``.
    """
    if edge_index.layout != torch.strided or edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError("fused_edge_attention needs a [2, E] edge_index tensor, got "
                         f"{edge_index.layout} of shape {tuple(edge_index.shape)}")
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
