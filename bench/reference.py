r"""A plain dense PyTorch reference of LaMP, computed the way the released code does it.

This is the yardstick of ``bench/bench_core.py``: it reproduces the *cost* of
QData/LaMP's ``lamp/{Models,Encoders,Decoders,Layers,SubLayers}.py`` (graph
encoder, graph decoder, bag-of-features input), not a tuned implementation:

- every batch is padded to its longest input ``[B, S]`` (PAD = 0) and every
  tensor is dense, fp32;
- each encoder layer computes multi-head self-attention over the padded tokens
  (PAD keys masked) and then throws it away, exactly like ``EncoderLayer``
  (``enc_output = self.pos_ffn(enc_input)``): the encoder is a token-wise FFN
  applied to every padded position, plus wasted attention work;
- the decoder starts from the label embedding, repeated per sample; each
  layer is label -> token attention (PAD keys masked), FFN, label -> label
  attention masked by the label graph as one ``[L, L]`` mask (no mask at all
  for a complete graph, as the original's ``label_mask='none'``), FFN;
- heads are laid out as the original's ``(heads * B, len, d_k)`` with
  ``permute(...).contiguous()``; scores via ``bmm``, masked with ``-inf``,
  ``softmax``, dropout, ``bmm``; output projection (``heads > 1``), dropout,
  residual, post-LayerNorm;
- the FFN is the original's ``Conv1d(kernel_size=1)`` pair (``ffn='conv1d'``;
  ``'linear'`` gives the same numbers with ``F.linear``);
- the readout is the original's ``Linear(d, L)`` over every label state
  followed by ``torch.diagonal`` (``readout='diagonal'``, a ``[B, L, L]``
  product); ``'per_label'`` computes only the diagonal.

Parameters have the shapes of :class:`lamp_pyg.models.LaMP` (``encoder_graph='none'``)
so :func:`copy_from_lamp` can copy a lamp_pyg model's weights; the encoder
self-attention weights exist only here (the original has them too, they never
get a gradient).

Usage::

    ref = ReferenceLaMP(num_labels=L, vocab_size=V, label_edge_index=ei)
    copy_from_lamp(ref, lamp_model)
    logits = ref(tokens)            # tokens: Long[B, S], 0 = PAD
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from lamp_pyg.models.lamp import sinusoid_table

PAD = 0


class MultiHeadAttention(torch.nn.Module):
    """The original ``SubLayers.MultiHeadAttention`` (post-LN, residual from the query).

    ``mask`` is True where attention is NOT allowed (the original's convention) and
    broadcasts against ``[heads * B, len_q, len_k]``.
    """

    def __init__(self, d: int, heads: int, dropout: float):
        super().__init__()
        self.d, self.heads, self.d_k = d, heads, d // heads
        self.dropout = dropout
        self.lin_query = torch.nn.Linear(d, d, bias=False)
        self.lin_key = torch.nn.Linear(d, d, bias=False)
        self.lin_value = torch.nn.Linear(d, d, bias=False)
        self.lin_out = torch.nn.Linear(d, d, bias=False) if heads > 1 else None
        self.norm = torch.nn.LayerNorm(d, eps=1e-5)
        std = math.sqrt(2.0 / (d + self.d_k))
        for lin in (self.lin_query, self.lin_key, self.lin_value):
            torch.nn.init.normal_(lin.weight, mean=0.0, std=std)
        if self.lin_out is not None:
            torch.nn.init.xavier_normal_(self.lin_out.weight)

    def forward(self, q: Tensor, kv: Tensor, mask: Optional[Tensor]) -> Tensor:
        H, dk = self.heads, self.d_k
        B, Lq, _ = q.shape
        Lk = kv.size(1)
        residual = q
        q = self.lin_query(q).view(B, Lq, H, dk)
        k = self.lin_key(kv).view(B, Lk, H, dk)
        v = self.lin_value(kv).view(B, Lk, H, dk)
        q = q.permute(2, 0, 1, 3).contiguous().view(-1, Lq, dk)  # (H*B) x Lq x dk
        k = k.permute(2, 0, 1, 3).contiguous().view(-1, Lk, dk)
        v = v.permute(2, 0, 1, 3).contiguous().view(-1, Lk, dk)
        attn = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(dk)  # (H*B) x Lq x Lk
        if mask is not None:
            attn = attn.masked_fill(mask, float("-inf"))
        attn = torch.softmax(attn, dim=2)
        attn = F.dropout(attn, p=self.dropout, training=self.training)
        out = torch.bmm(attn, v)  # (H*B) x Lq x dk
        out = out.view(H, B, Lq, dk).permute(1, 2, 0, 3).contiguous().view(B, Lq, -1)
        if self.lin_out is not None:
            out = self.lin_out(out)
        out = F.dropout(out, p=self.dropout, training=self.training)
        return self.norm(out + residual)


class FeedForward(torch.nn.Module):
    """The original ``PositionwiseFeedForward`` (two kernel-1 convolutions), post-LN.

    Weights are held as ``Linear`` modules (lamp_pyg's shapes); ``impl='conv1d'``
    runs them as the original's ``Conv1d`` on ``[B, d, S]``.
    """

    def __init__(self, d: int, d_ff: int, dropout: float, impl: str = "conv1d"):
        super().__init__()
        if impl not in ("conv1d", "linear"):
            raise ValueError(f"impl must be 'conv1d' or 'linear', got {impl!r}")
        self.impl, self.dropout = impl, dropout
        self.lin1 = torch.nn.Linear(d, d_ff)
        self.lin2 = torch.nn.Linear(d_ff, d)
        self.norm = torch.nn.LayerNorm(d, eps=1e-5)

    def forward(self, x: Tensor) -> Tensor:  # [B, N, d]
        if self.impl == "conv1d":
            h = x.transpose(1, 2)
            h = F.conv1d(h, self.lin1.weight.unsqueeze(-1), self.lin1.bias)
            h = F.conv1d(F.relu(h), self.lin2.weight.unsqueeze(-1), self.lin2.bias)
            h = h.transpose(1, 2)
        else:
            h = self.lin2(F.relu(self.lin1(x)))
        h = F.dropout(h, p=self.dropout, training=self.training)
        return self.norm(h + x)


class ReferenceDecoderLayer(torch.nn.Module):
    def __init__(self, d: int, heads: int, d_ff: int, dropout: float, ffn: str):
        super().__init__()
        self.enc_attn = MultiHeadAttention(d, heads, dropout)
        self.ffn1 = FeedForward(d, d_ff, dropout, ffn)
        self.slf_attn = MultiHeadAttention(d, heads, dropout)
        self.ffn2 = FeedForward(d, d_ff, dropout, ffn)

    def forward(self, h: Tensor, enc: Tensor, pad_mask: Tensor,
                label_mask: Optional[Tensor]) -> Tensor:
        h = self.ffn1(self.enc_attn(h, enc, pad_mask))
        return self.ffn2(self.slf_attn(h, h, label_mask))


class ReferenceLaMP(torch.nn.Module):
    """Dense LaMP as the released code computes it (see the module docstring).

    Args:
        num_labels: :math:`L`.
        vocab_size: token id range, 0 = PAD.
        label_edge_index: ``[2, E0]`` label graph (source, target), with self-loops
            (lamp_pyg's convention). A complete graph gives no mask.
        d_model, d_ff, heads, n_layers_enc, n_layers_dec, dropout: as ``LaMPConfig``.
        encoder_attention: compute (and discard) the encoder self-attention, as the
            released code does.
        positional: add the original's frozen sinusoidal position encodings
            (sequence data such as reuters); the table is lamp_pyg's
            ``sinusoid_table``, the same formula as the original's.
        ffn: ``'conv1d'`` (original) or ``'linear'``.
        readout: ``'diagonal'`` (original: ``Linear(d, L)`` then diagonal) or
            ``'per_label'``.
    """

    def __init__(self, num_labels: int, vocab_size: int, label_edge_index: Tensor,
                 d_model: int = 512, d_ff: int = 512, heads: int = 4,
                 n_layers_enc: int = 2, n_layers_dec: int = 2, dropout: float = 0.1,
                 encoder_attention: bool = True, ffn: str = "conv1d",
                 readout: str = "diagonal", positional: bool = False,
                 max_positions: int = 1024):
        super().__init__()
        if readout not in ("diagonal", "per_label"):
            raise ValueError(f"readout must be 'diagonal' or 'per_label', got {readout!r}")
        L, d = num_labels, d_model
        self.num_labels, self.readout_mode = L, readout
        self.encoder_attention = encoder_attention
        ei = torch.as_tensor(label_edge_index, dtype=torch.long)
        allowed = torch.zeros(L, L, dtype=torch.bool)
        allowed[ei[1], ei[0]] = True  # allowed[target, source]
        # the original: label_mask='none' (complete graph) -> no mask at all
        self.register_buffer("label_mask", None if bool(allowed.all()) else ~allowed)

        self.token_embedding = torch.nn.Embedding(vocab_size, d, padding_idx=PAD)
        # sequences (reuters): frozen sinusoids, row 0 (PAD) zero, first real position 1
        self.register_buffer("position_table", sinusoid_table(max_positions, d)
                             if positional else None, persistent=False)
        self.encoder_attn = torch.nn.ModuleList(
            [MultiHeadAttention(d, heads, dropout) for _ in range(n_layers_enc)])
        self.encoder = torch.nn.ModuleList(
            [FeedForward(d, d_ff, dropout, ffn) for _ in range(n_layers_enc)])
        self.label_embedding = torch.nn.Embedding(L, d)
        self.decoder = torch.nn.ModuleList(
            [ReferenceDecoderLayer(d, heads, d_ff, dropout, ffn) for _ in range(n_layers_dec)])
        self.readout = torch.nn.Parameter(torch.empty(L, d))
        torch.nn.init.normal_(self.token_embedding.weight)
        with torch.no_grad():
            self.token_embedding.weight[PAD].zero_()
        torch.nn.init.normal_(self.label_embedding.weight)
        torch.nn.init.xavier_normal_(self.readout)

    def forward(self, tokens: Tensor) -> Tensor:
        """``tokens``: ``Long[B, S]`` padded with 0. Returns logits ``[B, L]``."""
        B, S = tokens.shape
        H = self.decoder[0].enc_attn.heads if len(self.decoder) else 1
        pad = tokens.eq(PAD)  # [B, S]
        enc = self.token_embedding(tokens)  # [B, S, d]
        if self.position_table is not None:
            pos = torch.arange(1, S + 1, device=tokens.device).expand(B, S).masked_fill(pad, 0)
            enc = enc + self.position_table[pos]  # [B, S, d]
        enc_self_mask = pad.unsqueeze(1).expand(B, S, S).repeat(H, 1, 1)  # (H*B) x S x S
        for attn, ffn in zip(self.encoder_attn, self.encoder):
            if self.encoder_attention:
                attn(enc, enc, enc_self_mask)  # computed and thrown away, as released
            enc = ffn(enc)

        labels = torch.arange(self.num_labels, device=tokens.device).repeat(B, 1)  # [B, L]
        h = self.label_embedding(labels)  # [B, L, d]
        dec_enc_mask = pad.unsqueeze(1).repeat(H, 1, 1)  # (H*B) x 1 x S
        for layer in self.decoder:
            h = layer(h, enc, dec_enc_mask, self.label_mask)

        if self.readout_mode == "diagonal":
            return torch.diagonal(F.linear(h, self.readout), 0, 1, 2)  # [B, L]
        return (h * self.readout).sum(-1)

    def loss(self, logits: Tensor, y: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, y.float())


def pad_tokens(token_lists: Sequence[Sequence[int]], max_len: Optional[int] = None) -> Tensor:
    """``Long[B, S]`` with each row's ids left-aligned and 0 (PAD) after them."""
    S = max_len or max(len(t) for t in token_lists)
    out = torch.zeros(len(token_lists), S, dtype=torch.long)
    for i, t in enumerate(token_lists):
        out[i, :len(t)] = torch.as_tensor(list(t), dtype=torch.long)
    return out


@torch.no_grad()
def copy_from_lamp(ref: ReferenceLaMP, lamp) -> ReferenceLaMP:
    """Copies the weights of a ``lamp_pyg.models.LaMP`` (``encoder_graph='none'``,
    token-id input) into ``ref``. Raises on any shape mismatch."""
    c = lamp.config
    if c.encoder_graph != "none":
        raise ValueError("the reference mirrors encoder_graph='none' (the released code)")
    pairs: List = [(ref.token_embedding.weight, lamp.token_embedding.weight),
                   (ref.label_embedding.weight, lamp.label_embedding.weight),
                   (ref.readout, lamp.readout)]

    def attn_pairs(r, blk):
        a = blk.attn
        out = [(r.lin_query.weight, a.lin_query.weight), (r.lin_key.weight, a.lin_key.weight),
               (r.lin_value.weight, a.lin_value.weight),
               (r.norm.weight, blk.norm.weight), (r.norm.bias, blk.norm.bias)]
        if (r.lin_out is None) != (a.lin_out is None):
            raise ValueError("output projection present in one model only")
        if r.lin_out is not None:
            out.append((r.lin_out.weight, a.lin_out.weight))
        return out

    if len(ref.encoder) != len(lamp.encoder) or len(ref.decoder) != len(lamp.decoder):
        raise ValueError("layer counts differ")
    for r, m in zip(ref.encoder, lamp.encoder):
        pairs += list(zip(_ffn_params(r), _ffn_params(m)))
    for r, m in zip(ref.decoder, lamp.decoder):
        f2l, l2l = m.feature_to_label, m.label_to_label
        pairs += attn_pairs(r.enc_attn, f2l)
        pairs += list(zip(_ffn_params(r.ffn1), _ffn_params(f2l.ffn)))
        pairs += attn_pairs(r.slf_attn, l2l)
        pairs += list(zip(_ffn_params(r.ffn2), _ffn_params(l2l.ffn)))
    missing = {id(p) for p in lamp.parameters()} - {id(src) for _, src in pairs}
    if missing:
        raise ValueError(f"{len(missing)} lamp_pyg parameters have no counterpart here")
    for dst, src in pairs:
        if dst.shape != src.shape:
            raise ValueError(f"shape mismatch {tuple(dst.shape)} vs {tuple(src.shape)}")
        dst.copy_(src)
    return ref


def _ffn_params(m) -> List[Tensor]:
    return [m.lin1.weight, m.lin1.bias, m.lin2.weight, m.lin2.bias, m.norm.weight, m.norm.bias]
