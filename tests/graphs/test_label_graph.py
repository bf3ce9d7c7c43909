"""Tests for the LabelGraph class (lamp_pyg.graphs.label_graph): construction, inspection,
conversions and persistence.

The hand-written label matrix and its counts are in tests/graphs/helpers.py; the kinds,
label inputs, edge lists and co-occurrence counting have their own test files.
"""
import pytest
import torch
from torch_geometric.data import Data

from lamp_pyg.graphs import LabelGraph
from tests.graphs.helpers import ALL_KINDS, L, NAMES, ROWS, dense, edges


def test_constructor_adds_missing_self_loops_and_canonicalises():
    g = LabelGraph(torch.tensor([[2, 0, 2], [1, 1, 1]]), 3, edge_weight=[5.0, 6.0, 7.0])
    assert edges(g) == [(0, 0), (0, 1), (1, 1), (2, 1), (2, 2)]
    assert g.edge_weight.tolist() == [1.0, 6.0, 1.0, 5.0, 1.0]  # first duplicate wins
    assert g.kind == "custom" and g.label_names == ["label_0", "label_1", "label_2"]


def test_equality_detects_differences():
    a = LabelGraph.from_labels(dense(), "prior")
    assert a == LabelGraph.from_labels(dense(), "prior")
    assert a != LabelGraph.from_labels(dense(), "prior", min_count=2)
    assert a != LabelGraph.from_labels(dense(), "prior", label_names=NAMES)
    b = LabelGraph.from_labels(dense(), "prior")
    b.edge_weight[0] += 1
    assert a != b


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
