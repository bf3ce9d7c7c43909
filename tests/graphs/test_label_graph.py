"""Tests for lamp_pyg.graphs.LabelGraph.

Most tests use one hand-written label matrix (5 training examples, 5 labels; label 4
never occurs) whose co-occurrence counts are worked out here once:

    example 0: {0, 1}      freq:  C00=4  C11=3  C22=2  C33=1  C44=0
    example 1: {0, 1, 2}   pairs: C01=2  C02=2  C12=1  C13=1  (all others 0)
    example 2: {0, 2}
    example 3: {0}
    example 4: {1, 3}

Edges are written as (source, target) pairs, listed in (target, source) order.
"""
import tracemalloc

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from lamp_pyg.graphs import LabelGraph

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


# --------------------------------------------------------------------------- kinds
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


def test_constructor_adds_missing_self_loops_and_canonicalises():
    g = LabelGraph(torch.tensor([[2, 0, 2], [1, 1, 1]]), 3, edge_weight=[5.0, 6.0, 7.0])
    assert edges(g) == [(0, 0), (0, 1), (1, 1), (2, 1), (2, 2)]
    assert g.edge_weight.tolist() == [1.0, 6.0, 1.0, 5.0, 1.0]  # first duplicate wins
    assert g.kind == "custom" and g.label_names == ["label_0", "label_1", "label_2"]


# --------------------------------------------------------------------------- inputs
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("kind,params", ALL_KINDS)
def test_input_forms_agree(kind, params):
    ref = LabelGraph.from_labels(dense(), kind, label_names=NAMES, **params)
    Yd = dense()
    forms = [
        (ROWS, {"num_labels": L}),
        ([list(reversed(r)) for r in ROWS], {}),  # unsorted rows; L from label_names
        (tuple(np.array(r) for r in ROWS), {"num_labels": L}),
        (Yd.astype(bool), {}),
        (Yd.astype(np.float32), {}),
        (torch.tensor(Yd), {}),
        (torch.tensor(Yd, dtype=torch.bool), {}),
        (torch.tensor(Yd, dtype=torch.float).to_sparse(), {}),
        (torch.tensor(Yd, dtype=torch.float).to_sparse_csr(), {}),
    ]
    for Y, extra in forms:
        assert LabelGraph.from_labels(Y, kind, label_names=NAMES, **extra, **params) == ref


def test_scipy_sparse_input():
    sp = pytest.importorskip("scipy.sparse")
    ref = LabelGraph.from_labels(dense(), "knn", k=2)
    assert LabelGraph.from_labels(sp.csr_matrix(dense()), "knn", k=2) == ref
    assert LabelGraph.from_labels(sp.coo_matrix(dense().astype(bool)), "knn", k=2) == ref
    with pytest.raises(ValueError, match="binary"):
        LabelGraph.from_labels(sp.csr_matrix(dense() * 3), "prior")


def test_equality_detects_differences():
    a = LabelGraph.from_labels(dense(), "prior")
    assert a == LabelGraph.from_labels(dense(), "prior")
    assert a != LabelGraph.from_labels(dense(), "prior", min_count=2)
    assert a != LabelGraph.from_labels(dense(), "prior", label_names=NAMES)
    b = LabelGraph.from_labels(dense(), "prior")
    b.edge_weight[0] += 1
    assert a != b


@pytest.mark.parametrize("Y,match", [
    (np.array([[0, 2], [1, 0]]), "binary"),
    (np.array([[0, 0.5]]), "binary"),
    (np.array([[0, np.nan]]), "binary"),
    (torch.tensor([[0.0, -1.0]]), "binary"),
    (np.array([1, 0, 1]), "2-D"),
    (np.zeros((2, 3, 4)), "2-D"),
    (torch.zeros(3), "2-D"),
    (np.zeros((3, 0)), "at least one label"),
    ("abc", "expected a multi-hot label matrix"),
])
def test_bad_label_matrix(Y, match):
    with pytest.raises(ValueError, match=match):
        LabelGraph.from_labels(Y, "prior")


def test_bad_label_lists():
    with pytest.raises(ValueError, match="needs num_labels"):
        LabelGraph.from_labels(ROWS, "prior")
    with pytest.raises(ValueError, match=r"label index 7 in example 1 is out of range.*\[0, 5\)"):
        LabelGraph.from_labels([[0], [7]], "prior", num_labels=5)
    with pytest.raises(ValueError, match="out of range"):
        LabelGraph.from_labels([[-1]], "prior", num_labels=5)
    with pytest.raises(ValueError, match="listed twice in example 0"):
        LabelGraph.from_labels([[0, 1, 1, 0]], "prior", num_labels=5)  # a dense row by mistake
    with pytest.raises(ValueError, match="integer label indices"):
        LabelGraph.from_labels([[0.5]], "prior", num_labels=5)
    with pytest.raises(ValueError, match="not a list"):
        LabelGraph.from_labels([1, 2], "prior", num_labels=5)
    with pytest.raises(ValueError, match="does not match"):
        LabelGraph.from_labels(dense(), "prior", num_labels=4)


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


# --------------------------------------------------------------------------- given
def test_from_edge_list_names_and_indices():
    g = LabelGraph.from_edge_list([("a", "b"), ("c", "d")], NAMES)
    assert edges(g) == [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2), (3, 2), (2, 3), (3, 3),
                        (4, 4)]
    assert g.kind == "given" and g.edge_weight.tolist() == [1.0] * 9
    assert g.params["weight"] == "ones" and g.params["num_examples"] is None
    assert LabelGraph.from_edge_list([(0, 1), (2, 3)], NAMES) == g
    assert LabelGraph.from_edge_list(np.array([[0, 1], [2, 3]]), NAMES) == g
    assert LabelGraph.from_edge_list(torch.tensor([[0, 1], [2, 3]]), NAMES) == g
    assert LabelGraph.from_edge_list([("a", 1), (np.int64(2), "d")], NAMES) == g

    directed = LabelGraph.from_edge_list([("a", "b"), ("c", "d")], NAMES, undirected=False)
    assert edges(directed) == [(0, 0), (0, 1), (1, 1), (2, 2), (2, 3), (3, 3), (4, 4)]

    by_count = LabelGraph.from_edge_list([(0, 1), (2, 3)], 5)
    assert by_count.label_names == [f"label_{i}" for i in range(5)]
    assert edges(by_count) == edges(g)


def test_from_edge_list_with_counts_and_via_from_labels():
    g = LabelGraph.from_edge_list([("a", "b"), ("c", "d")], NAMES, Y=dense())
    assert weights_match_counts(g)
    assert g.params["num_examples"] == 5 and g.params["weight"] == "count"
    assert LabelGraph.from_labels(dense(), "given", label_names=NAMES,
                                  edges=[("a", "b"), ("c", "d")]) == g
    assert LabelGraph.from_labels(ROWS, "given", label_names=NAMES,
                                  edges=[("a", "b"), ("c", "d")]) == g


def test_from_edge_list_file(tmp_path):
    path = tmp_path / "hierarchy.txt"
    path.write_text("# parent child\n\na b   # a comment\n  c\t3\n")
    g = LabelGraph.from_edge_list(path, NAMES)
    assert edges(g) == edges(LabelGraph.from_edge_list([(0, 1), (2, 3)], NAMES))
    assert g.params["source"] == str(path) and g.params["num_given_pairs"] == 2
    assert LabelGraph.from_edge_list(str(path), NAMES) == g


def test_numeric_names_take_precedence_over_indices(tmp_path):
    names = ["10", "0", "x"]  # "0" is the name of label 1
    g = LabelGraph.from_edge_list([("0", "x")], names, undirected=False)
    assert (1, 2) in edges(g) and (0, 2) not in edges(g)
    g = LabelGraph.from_edge_list([("2", "0")], names, undirected=False)  # "2" -> index 2
    assert (2, 1) in edges(g)


@pytest.mark.parametrize("content,line,token", [
    ("a b\nb zz\n", 2, "'zz'"),
    ("a b\n# c\nc 9\n", 3, "'9'"),
    ("a b c\n", 1, "extra token 'c'"),
    ("a b\n\nd\n", 3, "only 'd'"),
    ("a -1\n", 1, "'-1'"),
])
def test_from_edge_list_file_errors(tmp_path, content, line, token):
    path = tmp_path / "edges.txt"
    path.write_text(content)
    with pytest.raises(ValueError) as err:
        LabelGraph.from_edge_list(path, NAMES)
    msg = str(err.value)
    assert str(path) in msg and f"line {line}:" in msg and token in msg


def test_from_edge_list_pair_errors(tmp_path):
    with pytest.raises(ValueError, match="edge 1: unknown label 'zz'"):
        LabelGraph.from_edge_list([("a", "b"), ("zz", "a")], NAMES)
    with pytest.raises(ValueError, match=r"edge 0: unknown label 5 .*\[0, 5\)"):
        LabelGraph.from_edge_list([(5, 0)], NAMES)
    with pytest.raises(ValueError, match="edge 0: expected a pair"):
        LabelGraph.from_edge_list([("a", "b", "c")], NAMES)
    with pytest.raises(ValueError, match=r"shape \[E, 2\]"):
        LabelGraph.from_edge_list(torch.tensor([[0, 1, 2], [1, 2, 3]]), NAMES)
    with pytest.raises(ValueError, match="edge 1: unknown label 7"):
        LabelGraph.from_edge_list(np.array([[0, 1], [7, 0]]), NAMES)
    with pytest.raises(ValueError, match="not found"):
        LabelGraph.from_edge_list(tmp_path / "missing.txt", NAMES)
    with pytest.raises(ValueError, match=r"one column per label \(5\), got 4"):
        LabelGraph.from_edge_list([(0, 1)], NAMES, Y=np.zeros((2, 4)))


# --------------------------------------------------------------------------- inspection
def test_density_degree_stats_repr_summary():
    g = LabelGraph.from_labels(dense(), "prior")
    assert g.density == pytest.approx(13 / 25)
    assert g.off_diagonal_density == pytest.approx((13 - 5) / 20)
    assert g.degree_stats() == {"min": 1, "mean": pytest.approx(2.6), "max": 4, "isolated": 1}
    assert repr(g) == "LabelGraph(kind=prior, num_labels=5, num_edges=13, density=0.520)"
    s = g.summary()
    assert s.splitlines()[0] == repr(g)
    assert "5 training examples" in s and "min_count=1" in s and "1 of 5" in s
    k = LabelGraph.from_labels(dense(), "knn", k=2)
    assert k.degree_stats() == {"min": 1, "mean": pytest.approx(12 / 5), "max": 3,
                                "isolated": 1}
    assert LabelGraph.from_labels(None, "full", num_labels=1).off_diagonal_density == 0.0


def test_dense_mask_orientation():
    g = LabelGraph.from_labels(dense(), "conditional", tau=0.6)
    mask = g.to_dense_mask()
    assert mask.dtype == torch.bool and mask.shape == (L, L)
    # edge 1 -> 3 (source 1, target 3): row = target, column = source
    assert mask[3, 1] and not mask[1, 3]
    expected = torch.zeros(L, L, dtype=torch.bool)
    for s, t in edges(g):
        expected[t, s] = True
    assert torch.equal(mask, expected)
    assert int(mask.sum()) == g.num_edges


@pytest.mark.parametrize("kind,params", ALL_KINDS)
def test_data_round_trip(kind, params):
    g = LabelGraph.from_labels(dense(), kind, label_names=NAMES, **params)
    data = g.to_data()
    assert isinstance(data, Data)
    assert torch.equal(data.edge_index, g.edge_index)
    assert torch.equal(data.edge_weight, g.edge_weight)
    assert data.num_nodes == L and data.label_names == NAMES and data.kind == kind
    assert data.params == g.params
    back = LabelGraph.from_data(data)
    assert back == g
    assert repr(back) == repr(g)
    data.edge_weight[0] = 99.0  # to_data copies
    assert g.edge_weight[0] != 99.0


@pytest.mark.parametrize("kind,params", ALL_KINDS)
def test_save_load(tmp_path, kind, params):
    g = LabelGraph.from_labels(dense(), kind, label_names=NAMES, **params)
    path = tmp_path / "graph.pt"
    g.save(path)
    assert LabelGraph.load(path) == g
    state = torch.load(path, weights_only=True)  # plain tensors / lists / dicts only
    assert state["kind"] == kind and state["label_names"] == NAMES


def test_save_load_given_file_params(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("a b\n")
    g = LabelGraph.from_edge_list(path, NAMES, Y=ROWS)
    g.save(tmp_path / "g.pt")
    assert LabelGraph.load(tmp_path / "g.pt") == g


def test_load_rejects_other_files(tmp_path):
    torch.save({"edge_index": torch.zeros(2, 0)}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a saved LabelGraph"):
        LabelGraph.load(tmp_path / "x.pt")


def test_to_networkx():
    import networkx as nx

    g = LabelGraph.from_labels(dense(), "conditional", tau=0.6, label_names=NAMES)
    G = g.to_networkx()
    assert isinstance(G, nx.DiGraph)
    assert G.number_of_nodes() == L and G.number_of_edges() == g.num_edges
    assert [G.nodes[i]["name"] for i in range(L)] == NAMES
    assert G.has_edge(1, 3) and not G.has_edge(3, 1)  # source -> target
    assert G.edges[1, 3]["weight"] == 1.0 and G.edges[0, 0]["weight"] == 4.0
    assert G.has_edge(4, 4)  # self-loop of the never-seen label
    U = LabelGraph.from_labels(dense(), "prior").to_networkx(to_undirected=True)
    assert isinstance(U, nx.Graph) and not U.is_directed()
    assert U.number_of_edges() == (13 - 5) // 2 + 5


# --------------------------------------------------------------------------- vs. brute force
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


# L = 60: labels co-occur often (dense counting); L = 400: rarely (sort-based counting).
# Small chunks force many blocks and labels counted in several pieces.
@pytest.mark.parametrize("num_labels,chunk", [(60, 1), (60, 7), (60, 50), (60, None),
                                              (400, 100), (400, None)])
def test_matches_brute_force_for_any_chunking(monkeypatch, num_labels, chunk):
    import lamp_pyg.graphs.label_graph as module

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


# --------------------------------------------------------------------------- scale
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


# --------------------------------------------------------------------------- real data
def _bibtex_train_labels(path, num_labels=159):
    """Minimal inline read of a sparse MULAN ARFF: labels are the last attributes."""
    num_attrs, rows, in_data = 0, [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("%"):
                continue
            if not in_data:
                low = s.lower()
                num_attrs += low.startswith("@attribute")
                in_data = low.startswith("@data")
                continue
            first = num_attrs - num_labels
            pairs = (t.split() for t in s.strip("{}").split(",") if t.strip())
            rows.append([int(i) - first for i, v in pairs if int(i) >= first and float(v)])
    return rows


def test_bibtex_prior_density(data_root):
    path = data_root / "mulan" / "bibtex" / "bibtex-train.arff"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    rows = _bibtex_train_labels(path)
    assert len(rows) == 4880
    g = LabelGraph.from_labels(rows, "prior", num_labels=159)
    assert g.params["num_examples"] == 4880
    assert g.num_edges == 7171  # 3506 co-occurring label pairs, both directions, + 159 loops
    assert round(g.off_diagonal_density, 3) == 0.279  # LaMP: "27.9%" on bibtex
    assert round(g.density, 3) == 0.284
    assert g.is_undirected()
