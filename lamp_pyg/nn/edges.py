r"""Implicit edge sets for batches of graphs.

LaMP's two attention sublayers run over edge sets that are complete or
identical across the samples of a batch:

- feature -> label attention: every token of sample :math:`b` sends to every
  label of sample :math:`b` (:class:`CompleteBipartite`);
- label -> label attention: the same label graph for every sample
  (:class:`SharedGraph`).

Storing these as explicit ``[2, E]`` tensors wastes memory (on delicious the
token -> label edges of the training set alone are ~235M), so layers accept
these small descriptions instead and either expand them to an ``edge_index``
(:meth:`to_edge_index`, the per-edge path) or run dense masked attention on them
without ever materialising per-edge tensors.

All Python ``int`` fields are computed where the batch is built (see
:meth:`CompleteBipartite.from_batch`), so a compiled forward never has to read
data-dependent sizes.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor


class CompleteBipartite(NamedTuple):
    r"""Every source node of graph :math:`b` connects to every target node of graph :math:`b`.

    A set by construction: each (source, target) pair of a graph is one edge, once.

    Attributes:
        src_batch (LongTensor): graph id of each source node ``[N_src]``, sorted.
        dst_batch (LongTensor): graph id of each target node ``[N_dst]``, sorted.
        num_graphs (int): number of graphs :math:`B`.
        max_src (int): largest number of source nodes in one graph.
        max_dst (int): largest number of target nodes in one graph.
        num_edges (int): :math:`\sum_b S_b T_b`.
    """

    src_batch: Tensor
    dst_batch: Tensor
    num_graphs: int
    max_src: int
    max_dst: int
    num_edges: int

    @classmethod
    def from_batch(cls, src_batch: Tensor, dst_batch: Tensor,
                   num_graphs: int) -> "CompleteBipartite":
        """Builds the description from two sorted batch vectors (reads sizes once)."""
        for name, b in (("src_batch", src_batch), ("dst_batch", dst_batch)):
            if b.dim() != 1:
                raise ValueError(f"{name} must be 1-D, got shape {tuple(b.shape)}")
            if b.numel() > 0 and (int(b.min()) < 0 or int(b.max()) >= num_graphs):
                raise ValueError(f"{name} holds graph ids outside [0, {num_graphs})")
            if b.numel() > 1 and bool((b[1:] < b[:-1]).any()):
                raise ValueError(f"{name} must be sorted (as PyG batches are)")
        ns = torch.bincount(src_batch, minlength=num_graphs)
        nd = torch.bincount(dst_batch, minlength=num_graphs)
        return cls(src_batch, dst_batch, num_graphs,
                   int(ns.max()) if num_graphs else 0,
                   int(nd.max()) if num_graphs else 0, int((ns * nd).sum()))

    def to_edge_index(self) -> Tensor:
        """Explicit ``[2, E]`` edge index (source, target), sorted by target."""
        # Static shapes only (scatter_add_ instead of bincount, repeat_interleave with
        # output_size=num_edges), so torch.compile traces this without graph breaks.
        device, E = self.dst_batch.device, self.num_edges
        ns = torch.zeros(self.num_graphs, dtype=torch.long, device=device).scatter_add_(
            0, self.src_batch, torch.ones_like(self.src_batch))  # [B] sources per graph
        src_ptr = torch.cumsum(ns, 0) - ns
        # each target node t of graph b receives from src_ptr[b] .. src_ptr[b] + ns[b] - 1
        deg = ns[self.dst_batch]  # [N_dst]
        dst = torch.repeat_interleave(torch.arange(self.dst_batch.numel(), device=device), deg,
                                      output_size=E)
        start = torch.repeat_interleave(src_ptr[self.dst_batch], deg, output_size=E)
        offs = torch.arange(E, device=device) - torch.repeat_interleave(
            torch.cumsum(deg, 0) - deg, deg, output_size=E)
        return torch.stack([start + offs, dst])


class SharedGraph(NamedTuple):
    r"""One edge set repeated for each of :math:`B` graphs.

    Graph :math:`b` owns source nodes ``b * num_src .. (b + 1) * num_src - 1`` and
    target nodes ``b * num_dst .. (b + 1) * num_dst - 1`` (contiguous, as the label
    nodes of a PyG batch are).

    A shared graph means exactly its :meth:`to_edge_index` on every execution path
    of :class:`~lamp_pyg.nn.LaMPAttention`. In particular ``edge_index`` is a
    multiset, as a plain PyG ``edge_index`` is: a (source, target) pair listed
    :math:`c` times is :math:`c` edges, each one message with its own attention
    weight (the dense path adds :math:`\log c` to the pair's score, see
    :meth:`dense_counts`). Nothing is deduplicated here, as this description is
    built inside (compiled) forward passes; deduplicate once where the graph is made
    (e.g. :func:`torch_geometric.utils.coalesce`, as :class:`~lamp_pyg.models.LaMP`
    does) if duplicates are not meant.

    Attributes:
        edge_index (LongTensor): ``[2, E0]`` (source, target) within one graph.
        num_src (int): source nodes per graph.
        num_dst (int): target nodes per graph.
        num_graphs (int): number of graphs :math:`B`.
    """

    edge_index: Tensor
    num_src: int
    num_dst: int
    num_graphs: int

    @property
    def num_edges(self) -> int:
        return self.edge_index.size(1) * self.num_graphs

    def to_edge_index(self) -> Tensor:
        """Explicit ``[2, B * E0]`` edge index with per-graph offsets."""
        B, E0 = self.num_graphs, self.edge_index.size(1)
        b = torch.arange(B, device=self.edge_index.device).repeat_interleave(E0)
        src = self.edge_index[0].repeat(B) + b * self.num_src
        dst = self.edge_index[1].repeat(B) + b * self.num_dst
        return torch.stack([src, dst])

    def dense_mask(self) -> Tensor:
        """Bool ``[num_dst, num_src]`` with ``mask[target, source] = True`` for each edge."""
        mask = torch.zeros(self.num_dst, self.num_src, dtype=torch.bool,
                           device=self.edge_index.device)
        mask[self.edge_index[1], self.edge_index[0]] = True
        return mask

    def dense_counts(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """``[num_dst, num_src]`` number of edges from each source to each target
        (duplicates counted), as ``dtype``."""
        counts = torch.zeros(self.num_dst, self.num_src, dtype=dtype,
                             device=self.edge_index.device)
        ones = torch.ones(self.edge_index.size(1), dtype=dtype, device=counts.device)
        return counts.index_put_((self.edge_index[1], self.edge_index[0]), ones,
                                 accumulate=True)  # [T, S]
