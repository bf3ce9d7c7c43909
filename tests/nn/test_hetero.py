"""LaMPAttention and LaMPBlock under ``torch_geometric.nn.to_hetero`` on a word / label
graph, checked against the per-relation computation written out by hand."""
import pytest
import torch
import torch_geometric.transforms as T
from torch_geometric.data import HeteroData
from torch_geometric.nn import Linear, MessagePassing, to_hetero

from lamp_pyg.nn import FeedForward, LaMPAttention, LaMPBlock

TOL = dict(atol=1e-5, rtol=1e-5)
D = 16
WL, LL, LW = ("word", "to", "label"), ("label", "to", "label"), ("label", "rev_to", "word")


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    data = HeteroData()
    data["word"].x = torch.randn(6, 5, generator=g)
    data["label"].x = torch.randn(3, 7, generator=g)
    data[WL].edge_index = torch.tensor([[0, 1, 2, 3, 4, 5, 5], [0, 0, 1, 1, 2, 2, 0]])
    data[LL].edge_index = torch.tensor([[0, 1, 1, 2, 0, 1, 2], [1, 0, 2, 1, 0, 1, 2]])
    # to_hetero needs every node type to receive messages: add label -> word edges
    data = T.ToUndirected()(data)
    assert set(data.edge_types) == {WL, LL, LW}
    return data


class TwoBlocks(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = Linear(-1, D)
        self.block1 = LaMPBlock((-1, -1), D, heads=2, ff_channels=24)
        self.block2 = LaMPBlock((-1, -1), D, heads=2, ff_channels=24)

    def forward(self, x, edge_index):
        x = self.lin(x)
        x = self.block1(x, edge_index)
        return self.block2(x, edge_index)


class PostAggregationBlocks(torch.nn.Module):
    """The LaMPBlock docstring's recipe: relations aggregated first, then one residual,
    LayerNorm and feed-forward sublayer per node type."""

    def __init__(self):
        super().__init__()
        self.lin = Linear(-1, D)
        self.attn1 = LaMPAttention((-1, -1), D, heads=2)
        self.norm1 = torch.nn.LayerNorm(D)
        self.ffn1 = FeedForward(D, 24)
        self.attn2 = LaMPAttention((-1, -1), D, heads=2)
        self.norm2 = torch.nn.LayerNorm(D)
        self.ffn2 = FeedForward(D, 24)

    def forward(self, x, edge_index):
        x = self.lin(x)
        x = self.ffn1(self.norm1(x + self.attn1(x, edge_index)))
        return self.ffn2(self.norm2(x + self.attn2(x, edge_index)))


def _key(et):
    return "__".join(et)


def _relations(data):
    """(edge type, source type, target type, edge_index) of every relation."""
    return [(et, et[0], et[2], data[et].edge_index) for et in data.edge_types]


def test_lamp_block_is_a_message_passing_layer():
    # to_hetero duplicates MessagePassing modules per edge type and aggregates their
    # outputs per node type; any other module would stay edge-level
    assert isinstance(LaMPBlock(8, 8), MessagePassing)


def test_to_hetero_two_stacked_lamp_blocks(data):
    torch.manual_seed(0)
    model = to_hetero(TwoBlocks(), data.metadata(), aggr="sum")
    out = model(data.x_dict, data.edge_index_dict)
    assert set(out) == {"word", "label"}
    assert out["word"].shape == (6, D) and out["label"].shape == (3, D)

    # by hand: every relation runs its own block, outputs summed per target type
    x = {nt: model.lin[nt](data[nt].x) for nt in data.node_types}
    for block in (model.block1, model.block2):
        new = {nt: 0 for nt in data.node_types}
        for et, src, dst, ei in _relations(data):
            new[dst] = new[dst] + block[_key(et)]((x[src], x[dst]), ei)
        x = new
    for nt in data.node_types:
        torch.testing.assert_close(out[nt], x[nt], **TOL)

    loss = sum(o.square().sum() for o in out.values())
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_to_hetero_lamp_attention_with_post_aggregation_sublayers(data):
    torch.manual_seed(0)
    model = to_hetero(PostAggregationBlocks(), data.metadata(), aggr="sum")
    out = model(data.x_dict, data.edge_index_dict)
    assert out["word"].shape == (6, D) and out["label"].shape == (3, D)

    x = {nt: model.lin[nt](data[nt].x) for nt in data.node_types}
    for attn, norm, ffn in ((model.attn1, model.norm1, model.ffn1),
                            (model.attn2, model.norm2, model.ffn2)):
        msg = {nt: 0 for nt in data.node_types}
        for et, src, dst, ei in _relations(data):
            msg[dst] = msg[dst] + attn[_key(et)]((x[src], x[dst]), ei)
        x = {nt: ffn[nt](norm[nt](x[nt] + msg[nt])) for nt in data.node_types}
    for nt in data.node_types:
        torch.testing.assert_close(out[nt], x[nt], **TOL)
