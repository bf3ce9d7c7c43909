r"""Multi-label losses over ``[B, L]`` logits (mean over samples and labels, in fp32).

- ``bce``: binary cross-entropy, LaMP's loss; with label smoothing :math:`\varepsilon` the
  targets become :math:`y(1 - \varepsilon) + \varepsilon / 2`.
- ``asl``: the asymmetric loss of Ridnik et al., *Asymmetric Loss For Multi-Label
  Classification*, ICCV 2021. With :math:`p = \sigma(z)` and the shifted probability
  :math:`p_m = \max(p - m, 0)` of a negative,

  .. math::
      \ell = -y\,(1 - p)^{\gamma_+}\log p - (1 - y)\,p_m^{\gamma_-}\log(1 - p_m),

  which down-weights easy negatives (:math:`\gamma_- > \gamma_+`) and discards the very
  easy ones (:math:`p < m`); the paper's defaults are :math:`\gamma_- = 4`,
  :math:`\gamma_+ = 0`, :math:`m = 0.05`. With :math:`\gamma_\pm = 0, m = 0` it is BCE.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

LOSSES = ("bce", "asl")


def multilabel_loss(logits: Tensor, y: Tensor, kind: str = "bce", label_smoothing: float = 0.0,
                    gamma_neg: float = 4.0, gamma_pos: float = 0.0, clip: float = 0.05) -> Tensor:
    """The mean loss of ``logits`` ``[B, L]`` against multi-hot ``y`` ``[B, L]``."""
    z, y = logits.float(), y.float()
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(z, y)
    if kind != "asl":
        raise ValueError(f"loss must be one of {LOSSES}, got {kind!r}")
    p = torch.sigmoid(z)
    log_p = F.logsigmoid(z)  # log p, stable
    if clip > 0:
        p_neg = (p - clip).clamp(min=0.0)
        log_not_p_neg = torch.log((1.0 - p_neg).clamp(min=1e-8))
    else:
        p_neg, log_not_p_neg = p, F.logsigmoid(-z)
    pos = y * log_p * ((1.0 - p) ** gamma_pos if gamma_pos else 1.0)
    neg = (1.0 - y) * log_not_p_neg * (p_neg ** gamma_neg if gamma_neg else 1.0)
    return -(pos + neg).mean()
