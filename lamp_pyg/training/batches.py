"""Which samples go into which batch: seeded training orders and length-sorted scoring."""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.data.dataset import LaMPDataset
from lamp_pyg.models import LaMP
from lamp_pyg.training.distributed import World, gather, my_share, shard
from lamp_pyg.training.setup import autocast, epoch_seed


def epoch_order(n: int, seed: int, epoch: int) -> List[int]:
    """A seeded permutation of the ``n`` training samples for epoch ``epoch``."""
    g = torch.Generator().manual_seed(epoch_seed(seed, epoch))
    return torch.randperm(n, generator=g).tolist()


def bucketed_order(lengths: np.ndarray, batch_size: int, seed: int, epoch: int,
                   chunk_batches: int = 50) -> List[int]:
    """A training order whose batches hold inputs of similar length: shuffle, sort each
    chunk of ``chunk_batches`` batches by length, cut it into batches, shuffle the
    batches. Every sample appears exactly once; seeded like :func:`epoch_order`."""
    g = torch.Generator().manual_seed(epoch_seed(seed, epoch))
    perm = torch.randperm(len(lengths), generator=g).numpy()
    batches: List[np.ndarray] = []
    span = batch_size * chunk_batches
    for s in range(0, len(perm), span):
        chunk = perm[s:s + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    shuffle = torch.randperm(len(batches), generator=g).tolist()
    return [int(i) for b in shuffle for i in batches[b]]


def epoch_batches(order: Sequence[int], batch_size: int,
                  world: World = World()) -> List[Tuple[List[int], float]]:
    """This process's batches of an epoch, as ``(sample indices, loss weight)``: its share
    of each global batch of ``batch_size`` consecutive samples of ``order``. The weight
    ``world.size * share / batch`` makes DDP's gradient average the gradient of the global
    batch's mean loss; an empty share runs one sample with weight 0 (every process must
    take part in every gradient all-reduce). With one process: every batch, weight 1."""
    out = []
    for s in range(0, len(order), batch_size):
        full = list(order[s:s + batch_size])
        mine = my_share(full, world)
        out.append((mine, world.size * len(mine) / len(full)) if mine else ([full[0]], 0.0))
    return out


def length_sorted_loader(ds: LaMPDataset, batch_size: int) -> Tuple[DataLoader, np.ndarray]:
    """A loader over ``ds`` sorted by input length (batches then pad little on the
    dense feature -> label path) and the permutation that restores dataset order."""
    order = np.argsort(ds.input_sizes(), kind="stable")
    return DataLoader(ds[torch.from_numpy(order)], batch_size=batch_size), np.argsort(order)


@torch.no_grad()
def predict_scores(model: LaMP, data, device, precision: str = "fp32", batch_size: int = 128,
                   world: World = World()) -> Tuple[np.ndarray, np.ndarray]:
    """Sigmoid probabilities and targets, both ``[N, L]``, in dataset order.

    ``data`` is a :class:`LaMPDataset` (scored in batches sorted by input length, then put
    back in order) or any loader of batches. With several processes each scores its shard
    of a dataset and every process gets all the rows, in order."""
    if world.active and isinstance(data, LaMPDataset):
        part = data[torch.tensor(list(shard(len(data), world)), dtype=torch.long)]
        pieces = gather(predict_scores(model, part, device, precision, batch_size), world)
        return (np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces]))
    model.eval()
    restore = None
    loader = data
    if isinstance(data, LaMPDataset):
        loader, restore = length_sorted_loader(data, batch_size)
    scores, targets = [], []
    for batch in loader:
        batch = batch.to(device)
        with autocast(precision, device):
            logits = model(batch).logits
        scores.append(torch.sigmoid(logits.float()).cpu())
        targets.append(batch["label"].y.cpu())
    L = model.config.num_labels
    S = torch.cat(scores).numpy() if scores else np.zeros((0, L), np.float32)
    Y = torch.cat(targets).numpy().astype(np.uint8) if targets else np.zeros((0, L), np.uint8)
    if restore is not None and len(restore):
        S, Y = S[restore], Y[restore]
    return S, Y
