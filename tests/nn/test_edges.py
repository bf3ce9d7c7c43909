"""Implicit edge sets (lamp_pyg.nn.edges) against hand-written expectations."""
import pytest
import torch

from lamp_pyg.nn import CompleteBipartite, SharedGraph


def brute_force_complete_bipartite(src_batch, dst_batch):
    """Every (source, target) pair of the same graph, sorted by target then source."""
    pairs = [(s, t) for t in range(dst_batch.numel()) for s in range(src_batch.numel())
             if int(src_batch[s]) == int(dst_batch[t])]
    if not pairs:
        return torch.empty(2, 0, dtype=torch.long)
    return torch.tensor(pairs, dtype=torch.long).t()


# --------------------------------------------------------------------------- CompleteBipartite

def test_complete_bipartite_fields():
    cb = CompleteBipartite.from_batch(torch.tensor([0, 0, 1, 1, 1]), torch.tensor([0, 0, 1, 1]), 2)
    assert cb.num_graphs == 2
    assert cb.max_src == 3
    assert cb.max_dst == 2
    assert cb.num_edges == 2 * 2 + 3 * 2
    # the description holds plain Python ints, never tensors (static under torch.compile)
    assert all(type(v) is int for v in (cb.num_graphs, cb.max_src, cb.max_dst, cb.num_edges))


def test_complete_bipartite_to_edge_index():
    cb = CompleteBipartite.from_batch(torch.tensor([0, 0, 1, 1, 1]), torch.tensor([0, 0, 1, 1]), 2)
    expected = torch.tensor([
        [0, 1, 0, 1, 2, 3, 4, 2, 3, 4],
        [0, 0, 1, 1, 2, 2, 2, 3, 3, 3],
    ])
    ei = cb.to_edge_index()
    assert ei.dtype == torch.long
    assert torch.equal(ei, expected)


def test_complete_bipartite_empty_graphs():
    # graph 1 has no sources (a sample without tokens), graph 3 no targets
    src_batch = torch.tensor([0, 2, 2])
    dst_batch = torch.tensor([0, 1, 1, 2])
    cb = CompleteBipartite.from_batch(src_batch, dst_batch, 4)
    assert (cb.max_src, cb.max_dst, cb.num_edges) == (2, 2, 1 + 0 + 2)
    expected = torch.tensor([
        [0, 1, 2],
        [0, 3, 3],
    ])
    assert torch.equal(cb.to_edge_index(), expected)


def test_complete_bipartite_no_edges_at_all():
    cb = CompleteBipartite.from_batch(torch.empty(0, dtype=torch.long),
                                      torch.tensor([0, 0, 1]), 2)
    assert (cb.max_src, cb.max_dst, cb.num_edges) == (0, 2, 0)
    assert cb.to_edge_index().shape == (2, 0)

    cb = CompleteBipartite.from_batch(torch.empty(0, dtype=torch.long),
                                      torch.empty(0, dtype=torch.long), 0)
    assert (cb.num_graphs, cb.max_src, cb.max_dst, cb.num_edges) == (0, 0, 0, 0)
    assert cb.to_edge_index().shape == (2, 0)


@pytest.mark.parametrize("src_sizes,dst_sizes", [
    ([3, 1, 4], [2, 2, 2]),
    ([0, 5, 0, 2], [3, 1, 2, 4]),
    ([1], [7]),
])
def test_complete_bipartite_matches_brute_force(src_sizes, dst_sizes):
    B = len(src_sizes)
    src_batch = torch.arange(B).repeat_interleave(torch.tensor(src_sizes))
    dst_batch = torch.arange(B).repeat_interleave(torch.tensor(dst_sizes))
    cb = CompleteBipartite.from_batch(src_batch, dst_batch, B)
    assert cb.num_edges == sum(s * t for s, t in zip(src_sizes, dst_sizes))
    assert cb.max_src == max(src_sizes) and cb.max_dst == max(dst_sizes)
    assert torch.equal(cb.to_edge_index(), brute_force_complete_bipartite(src_batch, dst_batch))


def test_complete_bipartite_from_batch_errors():
    ok = torch.tensor([0, 1])
    with pytest.raises(ValueError, match="sorted"):
        CompleteBipartite.from_batch(torch.tensor([1, 0, 1]), ok, 2)
    with pytest.raises(ValueError, match="sorted"):
        CompleteBipartite.from_batch(ok, torch.tensor([0, 1, 0]), 2)
    with pytest.raises(ValueError, match="outside"):
        CompleteBipartite.from_batch(torch.tensor([0, 2]), ok, 2)
    with pytest.raises(ValueError, match="outside"):
        CompleteBipartite.from_batch(ok, torch.tensor([-1, 0]), 2)
    with pytest.raises(ValueError, match="1-D"):
        CompleteBipartite.from_batch(torch.tensor([[0, 1]]), ok, 2)


def test_complete_bipartite_wrong_num_edges_is_not_silent():
    # A hand-built description with an inconsistent edge count must not yield garbage.
    cb = CompleteBipartite(torch.tensor([0, 0]), torch.tensor([0, 0]), 1, 2, 2, num_edges=3)
    with pytest.raises(RuntimeError):
        cb.to_edge_index()


# --------------------------------------------------------------------------- SharedGraph

def test_shared_graph_to_edge_index():
    sg = SharedGraph(torch.tensor([[0, 1, 2], [1, 2, 2]]), num_src=3, num_dst=3, num_graphs=2)
    assert sg.num_edges == 6
    expected = torch.tensor([
        [0, 1, 2, 3, 4, 5],
        [1, 2, 2, 4, 5, 5],
    ])
    assert torch.equal(sg.to_edge_index(), expected)


def test_shared_graph_bipartite_to_edge_index():
    # 2 sources and 3 targets per graph: offsets differ per side
    sg = SharedGraph(torch.tensor([[0, 1], [2, 0]]), num_src=2, num_dst=3, num_graphs=3)
    expected = torch.tensor([
        [0, 1, 2, 3, 4, 5],
        [2, 0, 5, 3, 8, 6],
    ])
    assert torch.equal(sg.to_edge_index(), expected)


def test_shared_graph_empty():
    sg = SharedGraph(torch.empty(2, 0, dtype=torch.long), 4, 4, 3)
    assert sg.num_edges == 0
    assert sg.to_edge_index().shape == (2, 0)
    assert not sg.dense_mask().any()


def test_shared_graph_dense_mask():
    sg = SharedGraph(torch.tensor([[0, 1, 2, 0], [1, 2, 2, 0]]), num_src=3, num_dst=3,
                     num_graphs=5)
    expected = torch.tensor([
        # source: 0      1      2
        [True, False, False],  # target 0 <- 0
        [True, False, False],  # target 1 <- 0
        [False, True, True],  # target 2 <- 1, 2
    ])
    mask = sg.dense_mask()
    assert mask.dtype == torch.bool
    assert torch.equal(mask, expected)

    sg = SharedGraph(torch.tensor([[0, 1], [2, 0]]), num_src=2, num_dst=3, num_graphs=1)
    expected = torch.tensor([[False, True], [False, False], [True, False]])
    assert torch.equal(sg.dense_mask(), expected)


def test_shared_graph_dense_counts_keep_duplicates():
    # (0 -> 1) listed twice: it counts twice, as in to_edge_index()
    sg = SharedGraph(torch.tensor([[0, 1, 0, 2], [1, 2, 1, 2]]), num_src=3, num_dst=3,
                     num_graphs=2)
    expected = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    assert torch.equal(sg.dense_counts(), expected)
    assert sg.dense_counts(torch.float64).dtype == torch.float64
    assert torch.equal(sg.dense_mask(), expected > 0)
    assert sg.num_edges == 8 and sg.to_edge_index().size(1) == 8
