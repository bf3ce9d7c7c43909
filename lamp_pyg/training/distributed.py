"""Training on several processes: ``torchrun`` + ``DistributedDataParallel``.

``torchrun --nproc_per_node N train.py --config ...`` sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; :func:`init` reads them and joins the process group (gloo on CPU, NCCL on
GPUs). Without torchrun nothing here does anything (a world of one process).

The rules every rank follows:

- ``train.batch_size`` is the **global** batch: each optimiser step takes one batch of the
  epoch's seeded order and every rank computes the loss of its share
  (:func:`my_share`), weighted so that DDP's gradient average is the gradient of the whole
  batch's mean loss. A rank whose share of the last batch is empty runs one sample with
  weight 0, so that every rank takes part in every gradient all-reduce.
- Validation and test are scored in shards (:func:`shard`) and gathered in order, so every
  rank holds the same scores as one process would.
- Only rank 0 writes files and prints; every rank learns of a NaN loss, a due checkpoint or
  an error through one small all-reduce per step (:func:`any_flags`), and a collective
  that waits longer than ``train.dist_timeout_minutes`` fails instead of hanging.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, List, Sequence

import numpy as np
import torch
import torch.distributed as tdist


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.size > 1


def is_main_process() -> bool:
    """Whether this process is rank 0 (or the only one), from torchrun's environment."""
    return int(os.environ.get("RANK", "0")) == 0


def init(device_name: str, timeout_minutes: float) -> World:
    """Joins the process group that torchrun describes in the environment (or, without
    torchrun, returns a world of one)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return World()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = device_name != "cpu" and torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(local)
    if not tdist.is_initialized():
        tdist.init_process_group("nccl" if cuda else "gloo",
                                 timeout=timedelta(minutes=timeout_minutes))
    return World(rank, size, local)


def device_for(world: World, device: torch.device) -> torch.device:
    """Each rank's own GPU (``cuda:LOCAL_RANK``); the CPU stays the CPU."""
    return torch.device("cuda", world.local_rank) if device.type == "cuda" and world.active else device


def my_share(batch: Sequence[int], world: World) -> List[int]:
    """This rank's part of one global batch (contiguous, sizes differing by at most one)."""
    return [int(i) for i in np.array_split(np.asarray(batch, dtype=np.int64), world.size)[world.rank]]


def shard(n: int, world: World) -> range:
    """This rank's contiguous part of ``n`` items."""
    return range(world.rank * n // world.size, (world.rank + 1) * n // world.size)


def any_flags(flags: Sequence[bool], world: World) -> List[bool]:
    """Element-wise OR of boolean flags over all ranks (one tiny all-reduce)."""
    if not world.active:
        return list(flags)
    t = torch.tensor([float(f) for f in flags])
    tdist.all_reduce(t, op=tdist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def sum_over_ranks(values: Sequence[float], world: World) -> List[float]:
    if not world.active:
        return list(values)
    t = torch.tensor(list(values), dtype=torch.float64)
    tdist.all_reduce(t)
    return t.tolist()


def gather(obj: Any, world: World) -> List[Any]:
    """Every rank's ``obj``, in rank order (on every rank)."""
    if not world.active:
        return [obj]
    out: List[Any] = [None] * world.size
    tdist.all_gather_object(out, obj)
    return out


def barrier(world: World) -> None:
    if world.active:
        tdist.barrier()


def finish() -> None:
    """Leaves the process group (at the end of the command)."""
    if tdist.is_available() and tdist.is_initialized():
        tdist.destroy_process_group()
