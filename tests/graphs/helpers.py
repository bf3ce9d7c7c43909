"""Shared fixtures of the label-graph tests.

Most tests use one hand-written label matrix (5 training examples, 5 labels; label 4
never occurs) whose co-occurrence counts are worked out here once:

    example 0: {0, 1}      freq:  C00=4  C11=3  C22=2  C33=1  C44=0
    example 1: {0, 1, 2}   pairs: C01=2  C02=2  C12=1  C13=1  (all others 0)
    example 2: {0, 2}
    example 3: {0}
    example 4: {1, 3}

Edges are written as (source, target) pairs, listed in (target, source) order.
"""
import numpy as np
import torch


ROWS = [[0, 1], [0, 1, 2], [0, 2], [0], [1, 3]]


L = 5


NAMES = ["a", "b", "c", "d", "e"]


def dense(rows=ROWS, num_labels=L):
    Y = np.zeros((len(rows), num_labels), dtype=np.int64)
    for i, r in enumerate(rows):
        Y[i, r] = 1
    return Y


C = np.array([  # co-occurrence counts, by hand (see module docstring)
    [4, 2, 2, 0, 0],
    [2, 3, 1, 1, 0],
    [2, 1, 2, 0, 0],
    [0, 1, 0, 1, 0],
    [0, 0, 0, 0, 0],
])


def edges(g):
    return [tuple(e) for e in g.edge_index.t().tolist()]


def weights_match_counts(g):
    src, dst = g.edge_index
    return torch.equal(g.edge_weight, torch.tensor(C[dst.numpy(), src.numpy()],
                                                   dtype=torch.float32))


ALL_KINDS = [("prior", {}), ("prior", {"min_count": 2}), ("full", {}), ("edgeless", {}),
             ("conditional", {}), ("conditional", {"tau": 0.6}), ("knn", {"k": 1}),
             ("knn", {"k": 2, "symmetric": True}),
             ("given", {"edges": [("a", "b"), ("c", "d")]})]
