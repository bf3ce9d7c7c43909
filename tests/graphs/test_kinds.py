"""Tests for the label-graph kinds (lamp_pyg.graphs.kinds) via LabelGraph.from_labels.

The hand-written label matrix and its counts are in tests/graphs/helpers.py.
"""
import tracemalloc

import numpy as np
import pytest
import torch

from lamp_pyg.graphs import LabelGraph
from tests.graphs.helpers import ALL_KINDS, C, L, NAMES, dense, edges, weights_match_counts


def test_prior_edges_weights_and_symmetry():
    g = LabelGraph.from_labels(dense(), "prior", label_names=NAMES)
    assert edges(g) == [(0, 0), (1, 0), (2, 0),
                        (0, 1), (1, 1), (2, 1), (3, 1),
                        (0, 2), (1, 2), (2, 2),
                        (1, 3), (3, 3),
                        (4, 4)]
    assert g.edge_weight.tolist() == [4, 2, 2, 2, 3, 1, 1, 2, 1, 2, 1, 1, 0]
    assert weights_match_counts(g)
    assert g.is_undirected()
    mask = g.to_dense_mask()
    assert torch.equal(mask, mask.t())
    assert g.kind == "prior" and g.num_nodes == 5 and g.num_edges == 13
    assert g.label_names == NAMES
    assert g.params == {"num_examples": 5, "weight": "count", "min_count": 1}


def test_prior_min_count():
    g = LabelGraph.from_labels(dense(), "prior", min_count=2)
    assert edges(g) == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (0, 2), (2, 2), (3, 3),
                        (4, 4)]
    assert g.params["min_count"] == 2


def test_full_and_edgeless():
    full = LabelGraph.from_labels(dense(), "full")
    assert full.num_edges == L * L and full.density == 1.0
    assert edges(full) == [(s, t) for t in range(L) for s in range(L)]
    assert weights_match_counts(full)  # zero counts kept as weight 0

    el = LabelGraph.from_labels(dense(), "edgeless")
    assert edges(el) == [(i, i) for i in range(L)]
    assert el.edge_weight.tolist() == [4, 3, 2, 1, 0]
    assert el.density == pytest.approx(1 / L)
    assert el.degree_stats()["isolated"] == L


def test_full_and_edgeless_without_labels_have_unit_weights():
    g = LabelGraph.from_labels(None, "full", num_labels=3)
    assert g.num_edges == 9 and g.edge_weight.tolist() == [1.0] * 9
    assert g.params == {"num_examples": None, "weight": "ones"}
    g = LabelGraph.from_labels(None, "edgeless", label_names=["x", "y"])
    assert edges(g) == [(0, 0), (1, 1)] and g.label_names == ["x", "y"]
    with pytest.raises(ValueError, match="expected a label matrix"):
        LabelGraph.from_labels(None, "prior", num_labels=3)


def test_conditional_threshold_and_direction():
    # j -> i iff P(j | i) = C_ij / C_ii >= tau.
    g = LabelGraph.from_labels(dense(), "conditional", tau=0.5)
    assert edges(g) == [(0, 0), (1, 0), (2, 0),   # P(1|0) = P(2|0) = 2/4: exactly tau
                        (0, 1), (1, 1),           # P(0|1) = 2/3; P(2|1) = P(3|1) = 1/3
                        (0, 2), (1, 2), (2, 2),   # P(0|2) = 1, P(1|2) = 1/2
                        (1, 3), (3, 3),           # P(1|3) = 1
                        (4, 4)]
    assert weights_match_counts(g)
    assert not g.is_undirected()
    # The direction: label 3 listens to 1 (P(1|3) = 1) but 1 does not listen to 3.
    assert (1, 3) in edges(g) and (3, 1) not in edges(g)
    # Default tau = 0.4 gives the same graph here; tau = 0.6 drops the 0.5 edges.
    assert LabelGraph.from_labels(dense(), "conditional").params["tau"] == 0.4
    g6 = LabelGraph.from_labels(dense(), "conditional", tau=0.6)
    assert edges(g6) == [(0, 0), (0, 1), (1, 1), (0, 2), (2, 2), (1, 3), (3, 3), (4, 4)]
    g1 = LabelGraph.from_labels(dense(), "conditional", tau=1)
    assert edges(g1) == [(0, 0), (1, 1), (0, 2), (2, 2), (1, 3), (3, 3), (4, 4)]


def test_knn_top_k_ties_and_degree():
    g = LabelGraph.from_labels(dense(), "knn", k=1)
    # label 0: C01 = C02 = 2 -> tie, the smaller index (1) wins.
    assert edges(g) == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (2, 2), (1, 3), (3, 3),
                        (4, 4)]
    assert weights_match_counts(g)
    available = (C > 0).sum(1) - (np.diag(C) > 0)  # co-occurring other labels: 2,3,2,1,0
    assert available.tolist() == [2, 3, 2, 1, 0]
    for k in (1, 2, 3, 10):
        gk = LabelGraph.from_labels(dense(), "knn", k=k)
        assert gk.in_degree().tolist() == (np.minimum(k, available) + 1).tolist()
    g2 = LabelGraph.from_labels(dense(), "knn", k=2)
    # label 1: 0 (count 2), then the tie 2 vs 3 (count 1) -> 2.
    assert [s for s, t in edges(g2) if t == 1] == [0, 1, 2]


def test_knn_symmetric():
    g = LabelGraph.from_labels(dense(), "knn", k=1, symmetric=True)
    assert edges(g) == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (3, 1), (0, 2), (2, 2),
                        (1, 3), (3, 3), (4, 4)]
    assert g.is_undirected()
    assert weights_match_counts(g)


@pytest.mark.parametrize("kind,params", ALL_KINDS)
def test_self_loops_always_present(kind, params):
    Y = dense()
    assert Y[:, 4].sum() == 0  # label 4 never occurs in training
    g = LabelGraph.from_labels(Y, kind, label_names=NAMES, **params)
    assert g.to_dense_mask().diagonal().all()
    assert (4, 4) in edges(g)
    # sorted by (target, source), no duplicates
    key = (g.edge_index[1] * L + g.edge_index[0]).tolist()
    assert key == sorted(set(key))
    assert g.edge_index.dtype == torch.long and g.edge_weight.dtype == torch.float32


def test_bad_names_and_params():
    with pytest.raises(ValueError, match="expected 5 label names.*got 4"):
        LabelGraph.from_labels(dense(), "prior", label_names=NAMES[:4])
    with pytest.raises(ValueError, match="distinct"):
        LabelGraph.from_labels(dense(), "prior", label_names=["a", "b", "a", "c", "d"])
    with pytest.raises(ValueError, match="unknown label graph kind 'dense'"):
        LabelGraph.from_labels(dense(), "dense")
    with pytest.raises(ValueError, match="unknown parameter.*k.*for kind 'prior'"):
        LabelGraph.from_labels(dense(), "prior", k=3)
    with pytest.raises(ValueError, match="needs the parameter.*k"):
        LabelGraph.from_labels(dense(), "knn")
    for k in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="expected k to be an integer >= 1"):
            LabelGraph.from_labels(dense(), "knn", k=k)
    for tau in (0, 0.0, -0.1, 1.01, 2, "0.5"):
        with pytest.raises(ValueError, match=r"expected tau in \(0, 1\]"):
            LabelGraph.from_labels(dense(), "conditional", tau=tau)
    with pytest.raises(ValueError, match="min_count"):
        LabelGraph.from_labels(dense(), "prior", min_count=0)


def test_knn_large_L_is_sparse_and_fast():
    num_labels, n, per_row, k = 10_000, 20_000, 5, 5
    rng = np.random.default_rng(0)
    rows = [rng.choice(num_labels, size=per_row, replace=False) for _ in range(n)]

    # Reference, independently: the co-occurring other labels of every label.
    neighbours = [dict() for _ in range(num_labels)]
    for r in rows:
        for i in r:
            for j in r:
                if i != j:
                    neighbours[i][j] = neighbours[i].get(j, 0) + 1
    available = np.array([len(d) for d in neighbours])

    tracemalloc.start()  # numpy reports its allocations to tracemalloc
    try:
        g = LabelGraph.from_labels(rows, "knn", num_labels=num_labels, k=k)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # A dense L x L float32 matrix alone would be 400 MB.
    assert peak < 100 * 2**20, f"peak numpy/python allocation {peak / 2**20:.0f} MB"

    expected_deg = np.minimum(k, available) + 1
    assert g.num_edges == int(expected_deg.sum())
    assert g.in_degree().numpy().tolist() == expected_deg.tolist()
    if (available >= k).all():
        assert g.num_edges == num_labels * (k + 1)
    # top-k by count, ties by label index, for a sample of labels
    src, dst = g.edge_index.numpy()
    for i in rng.choice(num_labels, size=50, replace=False):
        want = sorted(neighbours[i], key=lambda j: (-neighbours[i][j], j))[:k]
        got = src[(dst == i) & (src != i)].tolist()
        assert got == sorted(want)
        w = g.edge_weight.numpy()[(dst == i) & (src != i)]
        assert w.tolist() == [neighbours[i][j] for j in sorted(want)]


# --------------------------------------------------------------------------- the table
def test_graph_kinds_table():
    from lamp_pyg.graphs import GRAPH_KINDS, KIND_BUILDERS
    from lamp_pyg.graphs.kinds import REQUIRED, kind_params

    assert GRAPH_KINDS == ("prior", "full", "edgeless", "conditional", "knn", "given")
    assert GRAPH_KINDS == tuple(KIND_BUILDERS)
    assert {kind for kind, _ in ALL_KINDS} == set(GRAPH_KINDS)
    assert {kind: kind_params(kind) for kind in GRAPH_KINDS} == {
        "prior": {"min_count": 1}, "full": {}, "edgeless": {}, "conditional": {"tau": 0.4},
        "knn": {"k": REQUIRED, "symmetric": False},
        "given": {"edges": REQUIRED, "undirected": True}}
    with pytest.raises(ValueError, match="expected one of prior, full, edgeless, conditional, "
                                         "knn, given"):
        LabelGraph.from_labels(dense(), "priors")


def test_from_labels_dispatches_through_the_table(monkeypatch):
    from lamp_pyg.graphs import kinds

    def build_chain(Y, label_names, num_labels, *, step=1):
        """i -> i + step."""
        src = np.arange(num_labels - step)
        return kinds.BuiltGraph(src, src + step, np.ones(src.size), num_labels, 1.0,
                                [f"label_{i}" for i in range(num_labels)], {"step": step})

    monkeypatch.setitem(kinds.KIND_BUILDERS, "chain", build_chain)
    g = LabelGraph.from_labels(None, "chain", num_labels=4, step=2)
    assert edges(g) == [(0, 0), (1, 1), (0, 2), (2, 2), (1, 3), (3, 3)]
    assert g.kind == "chain" and g.params == {"step": 2}
    with pytest.raises(ValueError, match="unknown parameter.*k.*for kind 'chain': expected step"):
        LabelGraph.from_labels(None, "chain", num_labels=4, k=1)
