"""Exponential moving average (EMA) of a model's weights, an option beyond LaMP.

After every optimiser step the average moves towards the live weights::

    decay_t = min(decay, (1 + t) / (10 + t))        # t = updates so far
    avg    <- decay_t * avg + (1 - decay_t) * weight

(the ramp keeps the first updates from being dominated by the random initial
weights). The training loop scores validation and test with the averaged weights and
saves them as the model of ``best.pt``; ``last.pt`` keeps the live weights and the
average, so a resumed run computes what an uninterrupted one does.
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, List

import torch
from torch.optim.swa_utils import get_ema_multi_avg_fn


class WeightAverage:
    """EMA of ``model``'s parameters (buffers are not averaged: LaMP's are constants).

    Args:
        model: the module whose parameters are averaged (the same parameter order is
            expected by :meth:`load_state_dict`).
        decay: the EMA decay in ``(0, 1)``, e.g. ``0.999``.
    """

    def __init__(self, model: torch.nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.params: List[torch.nn.Parameter] = [p for p in model.parameters()]
        self.shadow: List[torch.Tensor] = [p.detach().clone() for p in self.params]
        self.num_updates = 0

    def current_decay(self) -> float:
        return min(self.decay, (1.0 + self.num_updates) / (10.0 + self.num_updates))

    @torch.no_grad()
    def update(self) -> None:
        """One step of the average (call after ``optimizer.step()``)."""
        # torch's public multi-tensor EMA step (one fused foreach lerp, not a loop)
        get_ema_multi_avg_fn(self.current_decay())(
            self.shadow, [p.detach() for p in self.params], self.num_updates)
        self.num_updates += 1

    @contextlib.contextmanager
    def swapped(self) -> Iterator[None]:
        """Within the block the model holds the averaged weights; afterwards the live
        weights are back, bit for bit."""
        with torch.no_grad():
            live = [p.detach().clone() for p in self.params]
            for p, s in zip(self.params, self.shadow):
                p.copy_(s)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, w in zip(self.params, live):
                    p.copy_(w)

    def state_dict(self) -> Dict[str, Any]:
        return {"decay": self.decay, "num_updates": self.num_updates,
                "shadow": [s.clone() for s in self.shadow]}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        shadow = state["shadow"]
        if len(shadow) != len(self.shadow) or any(
                a.shape != b.shape for a, b in zip(shadow, self.shadow)):
            raise ValueError("EMA state does not match the model's parameters")
        with torch.no_grad():
            for s, v in zip(self.shadow, shadow):
                s.copy_(v)
        self.num_updates = int(state["num_updates"])
