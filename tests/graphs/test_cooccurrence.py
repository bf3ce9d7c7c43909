"""Tests for the sparse co-occurrence counting (lamp_pyg.graphs.cooccurrence), against a
dense brute force, for any chunking."""
import numpy as np
import pytest
import torch

from lamp_pyg.graphs import LabelGraph
from tests.graphs.helpers import dense, edges


def _reference_edges(Y, kind, **params):
    """Dense brute force (small L only): sorted (source, target) list and weights."""
    C = Y.T.astype(np.int64) @ Y.astype(np.int64)
    n = C.shape[0]
    keep = np.eye(n, dtype=bool)
    for i in range(n):  # target
        others = [j for j in range(n) if j != i and C[i, j] > 0]
        if kind == "prior":
            chosen = [j for j in others if C[i, j] >= params.get("min_count", 1)]
        elif kind == "conditional":
            chosen = [j for j in others if C[i, j] / C[i, i] >= params["tau"]]
        else:
            chosen = sorted(others, key=lambda j: (-C[i, j], j))[:params["k"]]
        keep[i, chosen] = True
    if params.get("symmetric"):
        keep |= keep.T
    pairs = [(j, i) for i in range(n) for j in range(n) if keep[i, j]]
    return pairs, [float(C[i, j]) for j, i in pairs]


@pytest.mark.parametrize("num_labels,chunk", [(60, 1), (60, 7), (60, 50), (60, None),
                                              (400, 100), (400, None)])
def test_matches_brute_force_for_any_chunking(monkeypatch, num_labels, chunk):
    import lamp_pyg.graphs.cooccurrence as module

    if chunk is not None:
        monkeypatch.setattr(module, "_MAX_PAIRS_PER_CHUNK", chunk)
    rng = np.random.default_rng(1)
    rows = [rng.choice(num_labels, size=rng.integers(0, 9), replace=False,
                       p=np.linspace(1, 3, num_labels) / np.linspace(1, 3, num_labels).sum())
            for _ in range(300)]
    Y = dense(rows, num_labels)
    for kind, params in [("prior", {}), ("prior", {"min_count": 3}),
                         ("conditional", {"tau": 0.3}), ("knn", {"k": 4}),
                         ("knn", {"k": 2, "symmetric": True})]:
        g = LabelGraph.from_labels(rows, kind, num_labels=num_labels, **params)
        pairs, weights = _reference_edges(Y, kind, **params)
        assert edges(g) == pairs, (kind, params)
        assert g.edge_weight.tolist() == weights, (kind, params)
    full = LabelGraph.from_labels(rows, "full", num_labels=num_labels)
    C_full = Y.T @ Y
    assert full.edge_weight.view(num_labels, num_labels).tolist() == C_full.tolist()
    given = LabelGraph.from_edge_list([(0, 59), (3, 3), (10, 20), (2, 0)], num_labels, Y=rows)
    assert torch.equal(given.edge_weight, torch.tensor(
        [C_full[t, s] for s, t in edges(given)], dtype=torch.float32))
