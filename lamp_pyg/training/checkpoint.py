"""Checkpoints: written atomically, read with clear errors, resumed only when nothing
that changes the trajectory has changed."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional

import torch

from lamp_pyg.io.safe_load import UnreadableFileError, UnsafeFileError, load_plain
from lamp_pyg.training.config import Config
from lamp_pyg.typed_yaml import to_dict

#: config keys that may differ when a run is resumed: they change how long it runs,
#: how fast, where files are, and what is reported, not what a step computes
RESUME_MAY_CHANGE = (
    "train.epochs", "train.patience", "train.num_threads", "train.checkpoint_minutes",
    "train.progress", "train.device", "train.eval_batch_size", "train.dist_timeout_minutes",
    "eval.plots", "eval.per_label_thresholds", "eval.at_least_one",
    "data.root", "data.path", "data.cache", "data.train", "data.valid", "data.test",
    "data.labels", "run_dir",
)


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


#: what a checkpoint holds at the top level, and the type each entry must have
CHECKPOINT_KEYS = {"model": dict, "model_config": dict, "config": dict, "meta": dict,
                   "label_graph": dict}

#: how a user opts in to loading a checkpoint that holds more than plain data
TRUST_HINT = ("If it comes from a source you trust, load it with trusted=True "
              "(Predictor.load / load_checkpoint) or --trust-checkpoint (lamp-pyg predict, train.py --predict).")


def load_checkpoint(path: Path, map_location="cpu", trusted: bool = False) -> Dict[str, Any]:
    """Reads a checkpoint without running code (:func:`~lamp_pyg.io.safe_load.load_plain`:
    plain data only). A file holding any other pickled object is refused, naming the
    file; ``trusted=True`` loads it anyway (any pickled object: only for a file whose
    origin you trust)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        state = load_plain(path, trusted=trusted, map_location=map_location)
    except UnsafeFileError as e:
        raise CheckpointError(f"checkpoint {path} refused: it {e.reason}. A lamp-pyg "
                              "checkpoint holds only tensors, numbers, strings, lists and "
                              "dicts, so this file was altered or not written by lamp-pyg. "
                              + TRUST_HINT) from None
    except UnreadableFileError as e:
        raise CheckpointError(f"checkpoint {path} cannot be read: it {e.reason}") from None
    for key, kind in CHECKPOINT_KEYS.items():
        if not isinstance(state, dict) or not isinstance(state.get(key), kind):
            raise CheckpointError(f"checkpoint {path} is not a checkpoint of lamp-pyg "
                                  f"(no {key!r} {kind.__name__})")
    return state


def _flat(d: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = list(v) if isinstance(v, tuple) else v
    return out


def resume_differences(old: Dict[str, Any], new: Dict[str, Any],
                       defaults: Optional[Dict[str, Any]] = None) -> List[str]:
    """Dotted config keys that differ between two config dicts and may not change on
    resume (everything but :data:`RESUME_MAY_CHANGE`). A key that ``old`` lacks (a
    checkpoint of a version before that setting existed) is no difference while ``new``
    keeps its value in ``defaults``: new settings default to what earlier versions did."""
    a, b, d = _flat(old), _flat(new), _flat(defaults or {})
    return sorted(k for k in set(a) | set(b)
                  if a.get(k) != b.get(k) and k not in RESUME_MAY_CHANGE
                  and not (k not in a and k in d and b.get(k) == d[k]))


def check_resumable(state: Dict[str, Any], config: Dict[str, Any], data_files: List[str],
                    path: Path) -> None:
    """Refuses to resume ``state`` under a config that changes what a step computes, or on
    data whose content differs (``data_files``: the SHA-256 of each source file)."""
    diff = resume_differences(state["config"], config, to_dict(Config()))
    if diff:
        shown = ", ".join(f"{k} ({_flat(state['config']).get(k)!r} -> {_flat(config).get(k)!r})"
                          for k in diff[:8])
        raise CheckpointError(
            f"cannot resume {path}: the config differs in {shown}"
            f"{' ...' if len(diff) > 8 else ''}. Resume with the settings it was made with "
            f"(see config.yaml beside it) or use a new run_dir; keys that may change on "
            f"resume: {', '.join(RESUME_MAY_CHANGE)}")
    old_files = sorted(state["meta"].get("source", {}).get("files", {}).values())
    if old_files != sorted(data_files):
        raise CheckpointError(f"cannot resume {path}: the data files' content differs from "
                              "the data it was trained on (their SHA-256 hashes differ)")


def model_from_checkpoint(ck: Dict[str, Any], path: Optional[Path] = None):
    """The :class:`~lamp_pyg.models.LaMP` (or shortlist model) stored in a loaded
    checkpoint, in eval mode. A checkpoint whose model settings or weights do not build
    this version's model is a :class:`CheckpointError` naming ``path``."""
    from lamp_pyg.models import LaMPConfig, build_model
    try:
        model = build_model(LaMPConfig(**ck["model_config"]), ck["label_graph"]["edge_index"])
        model.load_state_dict(ck["model"])
    except (TypeError, ValueError, KeyError, RuntimeError) as e:
        raise CheckpointError(f"checkpoint {path or '(in memory)'} does not hold a model of "
                              f"this lamp-pyg version ({type(e).__name__}: "
                              f"{str(e).splitlines()[0][:300]})") from None
    return model.eval()
