"""One sample as a HeteroData (lamp_pyg.data.sample) and how PyG batches it."""
import math

import pytest
import torch
from torch_geometric.data import Batch, HeteroData
from torch_geometric.loader import DataLoader

from lamp_pyg.data import LABEL, TOKEN, TOKEN_EDGE, make_sample, window_edges


def one_batch(samples):
    batches = list(DataLoader(samples, batch_size=len(samples), shuffle=False))
    assert len(batches) == 1
    return batches[0]


# --------------------------------------------------------------------------- make_sample

def test_make_sample_tokens():
    data = make_sample([2, 0], 4, tokens=[5, 6, 7])
    assert isinstance(data, HeteroData)
    assert set(data.node_types) == {LABEL, TOKEN}
    assert data.edge_types == []  # token -> label edges are implicit, never stored
    assert torch.equal(data[LABEL].y, torch.tensor([[1.0, 0.0, 1.0, 0.0]]))
    assert data[LABEL].y.dtype == torch.float
    assert data[LABEL].num_nodes == 4
    assert torch.equal(data[TOKEN].x, torch.tensor([5, 6, 7]))
    assert data[TOKEN].x.dtype == torch.long
    assert data[TOKEN].num_nodes == 3
    for key in ("value", "pos", "vec"):
        assert key not in data[TOKEN]


def test_make_sample_values_positions_edges():
    ei = torch.tensor([[0, 1], [1, 2]])
    data = make_sample(torch.tensor([1]), 3, tokens=torch.tensor([9, 8, 7]),
                       values=[0.5, 1.0, -2.0], positions=True, token_edge_index=ei)
    assert torch.equal(data[TOKEN].value, torch.tensor([0.5, 1.0, -2.0]))
    assert data[TOKEN].value.dtype == torch.float
    assert torch.equal(data[TOKEN].pos, torch.tensor([1, 2, 3]))  # 0 is PAD
    assert data.edge_types == [TOKEN_EDGE]
    assert torch.equal(data[TOKEN_EDGE].edge_index, ei)


def test_make_sample_vec():
    data = make_sample([0], 2, vec=[0.1, 0.2, 0.3, 0.4])
    assert data[TOKEN].vec.shape == (1, 4)
    assert data[TOKEN].num_nodes == 1
    assert "x" not in data[TOKEN]


def test_make_sample_empty_labels_and_tokens():
    data = make_sample([], 5, tokens=[], positions=True, values=[])
    assert torch.equal(data[LABEL].y, torch.zeros(1, 5))
    assert data[TOKEN].num_nodes == 0
    assert data[TOKEN].x.shape == (0,) and data[TOKEN].x.dtype == torch.long
    assert data[TOKEN].pos.shape == (0,)


def test_make_sample_errors():
    with pytest.raises(ValueError, match="label index out of range"):
        make_sample([3], 3, tokens=[1])
    with pytest.raises(ValueError, match="label index out of range"):
        make_sample([-1], 3, tokens=[1])
    with pytest.raises(ValueError, match="exactly one"):
        make_sample([0], 3)
    with pytest.raises(ValueError, match="exactly one"):
        make_sample([0], 3, tokens=[1], vec=[1.0])
    with pytest.raises(ValueError, match="cannot be combined with vec"):
        make_sample([0], 3, vec=[1.0, 2.0], values=[1.0, 2.0])
    with pytest.raises(ValueError, match="cannot be combined with vec"):
        make_sample([0], 3, vec=[1.0, 2.0], positions=True)
    with pytest.raises(ValueError, match="negative token id"):
        make_sample([0], 3, tokens=[4, -1])
    with pytest.raises(ValueError, match="values has 1 entries for 2 tokens"):
        make_sample([0], 3, tokens=[4, 5], values=[1.0])
    with pytest.raises(ValueError, match="NaN"):
        make_sample([0], 3, tokens=[4, 5], values=[1.0, math.nan])
    with pytest.raises(ValueError, match="NaN"):
        make_sample([0], 3, tokens=[4, 5], values=[1.0, math.inf])
    with pytest.raises(ValueError, match="NaN"):
        make_sample([0], 3, vec=[1.0, math.nan])
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        make_sample([0], 3, tokens=[4, 5], token_edge_index=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="outside"):
        make_sample([0], 3, tokens=[4, 5], token_edge_index=torch.tensor([[0], [2]]))
    with pytest.raises(ValueError, match="outside"):
        make_sample([0], 3, tokens=[4, 5], token_edge_index=torch.tensor([[-1], [0]]))


# --------------------------------------------------------------------------- window_edges

def test_window_edges():
    assert torch.equal(window_edges(4, 1), torch.tensor([
        [0, 1, 2, 1, 2, 3],
        [1, 2, 3, 0, 1, 2],
    ]))
    ei = window_edges(4, 2)
    pairs = set(map(tuple, ei.t().tolist()))
    expected = {(i, j) for i in range(4) for j in range(4) if 0 < abs(i - j) <= 2}
    assert pairs == expected and ei.size(1) == len(expected)  # no duplicates, no self-loops
    # a window wider than the sequence is the complete graph without self-loops
    assert set(map(tuple, window_edges(3, 10).t().tolist())) == \
        {(i, j) for i in range(3) for j in range(3) if i != j}
    for n in (0, 1):
        ei = window_edges(n, 3)
        assert ei.shape == (2, 0) and ei.dtype == torch.long
    with pytest.raises(ValueError, match="window"):
        window_edges(5, 0)


# --------------------------------------------------------------------------- batching

def test_batching_offsets_with_empty_sample_in_the_middle():
    L = 4
    samples = [
        make_sample([0, 3], L, tokens=[5, 6, 7], positions=True,
                    token_edge_index=window_edges(3, 1)),
        make_sample([], L, tokens=[], positions=True, token_edge_index=window_edges(0, 1)),
        make_sample([1], L, tokens=[8, 9], positions=True,
                    token_edge_index=torch.tensor([[1], [0]])),
    ]
    batch = one_batch(samples)
    assert batch.num_graphs == 3
    assert torch.equal(batch[LABEL].y, torch.tensor([
        [1.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
    ]))
    assert batch[LABEL].num_nodes == 3 * L
    assert torch.equal(batch[LABEL].batch, torch.arange(3).repeat_interleave(L))
    # token ids and positions are not offset; the batch vector skips the empty sample
    assert torch.equal(batch[TOKEN].x, torch.tensor([5, 6, 7, 8, 9]))
    assert torch.equal(batch[TOKEN].pos, torch.tensor([1, 2, 3, 1, 2]))
    assert torch.equal(batch[TOKEN].batch, torch.tensor([0, 0, 0, 2, 2]))
    assert torch.equal(batch[TOKEN].ptr, torch.tensor([0, 3, 3, 5]))
    # token edges: sample 0 as is, sample 1 has none, sample 2 offset by 3 (not 3 + 0 + ...)
    assert torch.equal(batch[TOKEN_EDGE].edge_index, torch.tensor([
        [0, 1, 1, 2, 4],
        [1, 2, 0, 1, 3],
    ]))


def test_batching_values_and_vec():
    batch = one_batch([make_sample([0], 2, tokens=[3, 4], values=[0.5, 2.0]),
                       make_sample([1], 2, tokens=[5], values=[-1.0])])
    assert torch.equal(batch[TOKEN].value, torch.tensor([0.5, 2.0, -1.0]))
    batch = one_batch([make_sample([0], 2, vec=[1.0, 2.0, 3.0]),
                       make_sample([], 2, vec=[4.0, 5.0, 6.0])])
    assert torch.equal(batch[TOKEN].vec, torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert torch.equal(batch[TOKEN].batch, torch.tensor([0, 1]))
    assert batch[LABEL].y.shape == (2, 2)


def test_batching_all_label_sets_empty():
    batch = one_batch([make_sample([], 3, tokens=[1]), make_sample([], 3, tokens=[2])])
    assert torch.equal(batch[LABEL].y, torch.zeros(2, 3))


def test_batching_over_several_loader_batches():
    samples = [make_sample([i % 3], 3, tokens=list(range(1, i + 2))) for i in range(5)]
    batches = list(DataLoader(samples, batch_size=2))
    assert [b.num_graphs for b in batches] == [2, 2, 1]
    assert torch.equal(batches[1][TOKEN].batch, torch.tensor([0, 0, 0, 1, 1, 1, 1]))
    assert torch.equal(batches[2][LABEL].y, torch.tensor([[0.0, 1.0, 0.0]]))


# --------------------------------------------------------------------------- the trap

def test_one_dimensional_index_attribute_on_an_edge_store_batches_wrongly():
    """PyG treats any attribute whose name contains 'index' as a [2, E] edge index: it is
    concatenated along the last dimension and offset by (num_src_nodes, num_dst_nodes).
    A 1-D tensor broadcast against that [2, 1] increment silently becomes [2, 2E]."""
    def sample(n, pairs, perm_index):
        d = HeteroData()
        d[TOKEN].num_nodes = n
        d[TOKEN_EDGE].edge_index = torch.tensor(pairs).t()
        d[TOKEN_EDGE].perm_index = torch.tensor(perm_index)  # 1-D, one entry per edge
        return d

    batch = Batch.from_data_list([sample(3, [(0, 1), (1, 2)], [1, 0]),
                                  sample(2, [(1, 0), (0, 1)], [0, 1])])
    assert batch[TOKEN_EDGE].edge_index.shape == (2, 4)  # the [2, E] attribute is fine
    perm = batch[TOKEN_EDGE].perm_index
    assert perm.shape == (2, 4)  # not [4]: the trap
    assert torch.equal(perm, torch.tensor([[1, 0, 3, 4], [1, 0, 3, 4]]))

    # on a node store an '*index*' attribute is not offset at all
    a, b = HeteroData(), HeteroData()
    a[TOKEN].num_nodes, a[TOKEN].word_index = 3, torch.tensor([0, 2])
    b[TOKEN].num_nodes, b[TOKEN].word_index = 2, torch.tensor([1])
    assert torch.equal(Batch.from_data_list([a, b])[TOKEN].word_index, torch.tensor([0, 2, 1]))


@pytest.mark.parametrize("kwargs", [
    dict(tokens=[3, 4, 5], values=[1.0, 2.0, 3.0], positions=True,
         token_edge_index=window_edges(3, 2)),
    dict(tokens=[]),
    dict(vec=[1.0, 2.0]),
])
def test_our_layout_never_sets_the_trap(kwargs):
    """Why make_sample is safe: the only '*index*' attribute it stores is the [2, E]
    edge_index of the token graph; token-level tensors (x, value, pos) live on the node
    store, which PyG concatenates along dim 0 without offsets, and the target is [1, L]."""
    data = make_sample([0], 3, **kwargs)
    for store in data.edge_stores:
        assert set(store.keys()) == {"edge_index"}
        assert store.edge_index.dim() == 2 and store.edge_index.size(0) == 2
    for store in data.node_stores:
        assert not any("index" in key for key in store.keys())
    assert data[LABEL].y.shape == (1, 3)
