r"""The wide path: per-label logits straight from the input features.

An option beyond LaMP (``model.wide``). Its logits are added to LaMP's, so the model
contains a one-vs-rest linear classifier (``linear``) or a one-hidden-layer MLP over the
bag of input features (``mlp``, the MLP baseline of the paper's table) as special cases,
and the label message passing learns what they miss. It starts at zero: the first steps
train plain LaMP.

For token / feature ids (text, bags of features, features as nodes) the input of a
sample is the bag :math:`\sum_t w_t \mathbf{e}_{x_t}` with :math:`w_t` the feature's
value (features as nodes) or :math:`1/\sqrt{S}` for each of the sample's :math:`S`
tokens (an l2-normalised bag of words); for a dense vector it is the vector.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

WIDE_KINDS = ("none", "linear", "mlp")


class WidePath(torch.nn.Module):
    r"""``linear``: :math:`z = W \mathrm{bag}(x) + b`; ``mlp``:
    :math:`z = W_2\,\mathrm{dropout}(\mathrm{ReLU}(W_1 \mathrm{bag}(x) + b_1)) + b_2`.

    Args:
        kind: ``linear`` or ``mlp``.
        num_labels: :math:`L`.
        vocab_size: token id range (0 for a dense input vector).
        input_dim: dense input size (0 for token ids).
        hidden: the MLP's hidden units.
        dropout: the MLP's dropout.
    """

    def __init__(self, kind: str, num_labels: int, vocab_size: int, input_dim: int,
                 hidden: int, dropout: float):
        super().__init__()
        if kind not in WIDE_KINDS[1:]:
            raise ValueError(f"wide must be one of {WIDE_KINDS[1:]}, got {kind!r}")
        self.kind, self.dropout = kind, dropout
        width = num_labels if kind == "linear" else hidden
        # the bag: EmbeddingBag rows for token ids, a Linear for a dense vector
        self.bag = (torch.nn.EmbeddingBag(vocab_size, width, mode="sum") if vocab_size
                    else torch.nn.Linear(input_dim, width, bias=False))
        self.bias = torch.nn.Parameter(torch.zeros(width))
        self.out = torch.nn.Linear(hidden, num_labels) if kind == "mlp" else None
        self.reset_parameters()

    def reset_parameters(self):
        if self.out is None:  # the linear path starts at zero: plain LaMP at step 0
            torch.nn.init.zeros_(self.bag.weight)
        else:
            torch.nn.init.normal_(self.bag.weight, std=self.bag.weight.size(-1) ** -0.5)
            torch.nn.init.zeros_(self.out.weight)
            torch.nn.init.zeros_(self.out.bias)
        torch.nn.init.zeros_(self.bias)

    def forward(self, x: Optional[Tensor], weights: Optional[Tensor],
                offsets: Optional[Tensor], vec: Optional[Tensor]) -> Tensor:
        """``[B, L]`` logits from token ids ``x`` ``[N_tok]`` with per-token ``weights``
        and per-sample ``offsets`` ``[B]``, or from dense vectors ``vec`` ``[B, F]``."""
        if vec is not None:
            h = self.bag(vec)  # [B, width]
        else:
            h = F.embedding_bag(x, self.bag.weight, offsets, mode="sum",
                                per_sample_weights=weights.to(self.bag.weight.dtype))
        h = h + self.bias
        if self.out is None:
            return h
        h = F.dropout(F.relu(h), self.dropout, self.training)
        return self.out(h)  # [B, L]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.kind}, {tuple(self.bag.weight.shape)}"
                f"{'' if self.out is None else f', out={self.out.out_features}'})")
