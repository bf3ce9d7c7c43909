"""Checkpoints: written atomically, read with clear errors."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

import torch


class CheckpointError(RuntimeError):
    """An unreadable checkpoint, or one that does not fit the current run."""


def save_checkpoint(state: Dict[str, Any], path: Path) -> None:
    """``torch.save`` to a temporary file, then an atomic rename: a kill mid-write
    leaves the previous checkpoint intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path, map_location="cpu") -> Dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as e:  # truncated zip, not a torch file, ...
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(e).__name__}: {e})") from None
    for key in ("model", "config", "meta", "label_graph"):
        if not isinstance(state, dict) or key not in state:
            raise CheckpointError(f"checkpoint {path} is not a lamp-pyg checkpoint (no {key!r})")
    return state


def check_compatible(state: Dict[str, Any], config: Dict[str, Any], path: Path) -> None:
    """Refuses to resume a checkpoint made for another dataset, graph or model."""
    for section in ("data", "graph", "model"):
        old, new = state["config"].get(section), config.get(section)
        if old != new:
            diff = sorted(k for k in set(old or {}) | set(new or {})
                          if (old or {}).get(k) != (new or {}).get(k))
            raise CheckpointError(
                f"checkpoint {path} was made with a different '{section}' section "
                f"(differs in: {', '.join(f'{section}.{k}' for k in diff)}): "
                f"use a new run_dir, or the config it was made with")


def model_from_checkpoint(ck: Dict[str, Any]):
    """The :class:`~lamp_pyg.models.LaMP` stored in a loaded checkpoint, in eval mode."""
    from lamp_pyg.models import LaMP, LaMPConfig
    model = LaMP(LaMPConfig(**{**ck["meta"]["model_kwargs"], **ck["config"]["model"]}),
                 ck["label_graph"]["edge_index"])
    model.load_state_dict(ck["model"])
    return model.eval()
