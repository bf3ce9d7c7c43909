"""The run directory: one training at a time, and its per-epoch log.

A run holds an exclusive ``flock`` on ``<run_dir>/lock`` for as long as it trains. The
operating system releases it when the process ends in any way (a kill -9 included), so
there is no stale lock to clean up; a second training started into the same directory
stops at once with the holder's pid.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

try:  # POSIX; on other systems runs are not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


class RunDirError(RuntimeError):
    """The run directory cannot be used (a file, or in use by another training)."""


def check_run_dir(run_dir: Path) -> None:
    """Fails early when ``run_dir`` cannot be a run directory."""
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"run directory {run_dir} is a file: give a folder (--run-dir)")


class RunLock:
    """Context manager holding the run directory's lock (created with the directory)."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / "lock"
        self.fd: Optional[int] = None

    def __enter__(self) -> "RunLock":
        check_run_dir(self.path.parent)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(self.fd, 64).decode(errors="replace").strip() or "unknown"
                os.close(self.fd)
                self.fd = None
                raise RunDirError(
                    f"run directory {self.path.parent} is in use by another training "
                    f"(pid {holder}): wait for it to finish, or choose another --run-dir"
                ) from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the flock
            self.fd = None


def append_metrics(run_dir: Path, record: Dict[str, Any]) -> None:
    """One epoch's line in ``metrics.jsonl`` (and TensorBoard when it is installed)."""
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    writer = _tensorboard(run_dir)
    if writer is not None:
        for k, v in record.items():
            if k != "epoch" and isinstance(v, (int, float)):
                writer.add_scalar(k, v, record["epoch"])
        writer.flush()


def rewrite_metrics(run_dir: Path, history: List[Dict[str, Any]]) -> None:
    """``metrics.jsonl`` rewritten from a checkpoint's per-epoch history (a kill between
    writing last.pt and appending the epoch's line must not lose or repeat an epoch)."""
    tmp = run_dir / "metrics.jsonl.tmp"
    tmp.write_text("".join(json.dumps({k: v for k, v in h.items() if k != "record"}) + "\n"
                           for h in history))
    os.replace(tmp, run_dir / "metrics.jsonl")


_WRITERS: Dict[str, Any] = {}


def _tensorboard(run_dir: Path):
    """A TensorBoard writer in ``run_dir/tensorboard`` when tensorboard is installed."""
    key = str(run_dir)
    if key not in _WRITERS:
        try:
            from torch.utils.tensorboard import SummaryWriter
            _WRITERS[key] = SummaryWriter(str(run_dir / "tensorboard"))
        except ImportError:  # tensorboard not installed: the JSONL log is the record
            _WRITERS[key] = None
    return _WRITERS[key]
