"""One multi-label example as a PyG ``HeteroData`` (see ARCHITECTURE.md for the layout).

Node types: ``token`` (input features / words / atoms) and ``label`` (one node per
label). Token -> label edges are implicit: every token of a sample sends to every
label of the same sample, so they are never stored (on delicious they would be
~235M edges). Stored edge type: ``('token', 'to', 'token')`` for an input graph
with explicit edges (sliding window, molecule bonds).
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

TOKEN, LABEL = "token", "label"
TOKEN_EDGE = (TOKEN, "to", TOKEN)


def window_edges(num_tokens: int, window: int) -> Tensor:
    """Edges between tokens at most ``window`` positions apart (both directions, no self-loops)."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    i = torch.arange(num_tokens)
    src, dst = [], []
    for k in range(1, window + 1):
        src += [i[:-k], i[k:]]
        dst += [i[k:], i[:-k]]
    if not src or num_tokens < 2:
        return torch.empty(2, 0, dtype=torch.long)
    return torch.stack([torch.cat(src), torch.cat(dst)])


def make_sample(labels: Union[Sequence[int], Tensor], num_labels: int, *,
                tokens: Optional[Union[Sequence[int], Tensor]] = None,
                values: Optional[Union[Sequence[float], Tensor]] = None,
                positions: bool = False,
                vec: Optional[Union[Sequence[float], Tensor]] = None,
                token_edge_index: Optional[Tensor] = None) -> HeteroData:
    """Builds one sample.

    Args:
        labels: indices of the sample's positive labels (may be empty).
        num_labels: :math:`L`.
        tokens: token / feature ids ``[S]`` (may be empty). Mutually exclusive with ``vec``.
        values: feature values ``[S]`` (features-as-nodes for dense vectors).
        positions: store ``pos = 1..S`` for sequences (sinusoidal encoding).
        vec: a dense feature vector ``[F]``: the original's single linear "token".
        token_edge_index: stored input graph ``[2, E]`` over the tokens.

    Raises:
        ValueError: on out-of-range labels or token ids, NaN/inf values, or edges
            naming tokens that do not exist.
    """
    data = HeteroData()
    y = torch.zeros(1, num_labels)
    lab = torch.as_tensor(labels, dtype=torch.long).view(-1)
    if lab.numel() and (int(lab.min()) < 0 or int(lab.max()) >= num_labels):
        raise ValueError(f"label index out of range [0, {num_labels}): {lab.tolist()}")
    y[0, lab] = 1.0
    data[LABEL].y = y  # [1, L] -> batches to [B, L]
    data[LABEL].num_nodes = num_labels

    if (tokens is None) == (vec is None):
        raise ValueError("give exactly one of tokens (ids) or vec (a dense feature vector)")
    if vec is not None:
        if values is not None or positions:
            raise ValueError("values and positions describe token ids; they cannot be "
                             "combined with vec (the linear-token mode)")
        v = torch.as_tensor(vec, dtype=torch.float).view(1, -1)
        if not torch.isfinite(v).all():
            raise ValueError("vec holds NaN or inf")
        data[TOKEN].vec = v  # [1, F]
        data[TOKEN].num_nodes = 1
    else:
        x = torch.as_tensor(tokens, dtype=torch.long).view(-1)
        if x.numel() and int(x.min()) < 0:
            raise ValueError(f"negative token id in {x.tolist()[:20]}")
        data[TOKEN].x = x  # [S]
        data[TOKEN].num_nodes = x.numel()
        if values is not None:
            val = torch.as_tensor(values, dtype=torch.float).view(-1)
            if val.numel() != x.numel():
                raise ValueError(f"values has {val.numel()} entries for {x.numel()} tokens")
            if not torch.isfinite(val).all():
                raise ValueError("feature values hold NaN or inf")
            data[TOKEN].value = val  # [S]
        if positions:
            data[TOKEN].pos = torch.arange(1, x.numel() + 1)  # [S], 0 is PAD
    if token_edge_index is not None:
        ei = torch.as_tensor(token_edge_index, dtype=torch.long)
        n = data[TOKEN].num_nodes
        if ei.dim() != 2 or ei.size(0) != 2:
            raise ValueError(f"token_edge_index must be [2, E], got {tuple(ei.shape)}")
        if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= n):
            raise ValueError(f"token_edge_index names tokens outside [0, {n})")
        data[TOKEN_EDGE].edge_index = ei
    return data
