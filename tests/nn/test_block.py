"""LaMPBlock and FeedForward: repr, shapes, post-LN residual structure written out by hand."""
import pytest
import torch

from lamp_pyg.nn import CompleteBipartite, FeedForward, LaMPAttention, LaMPBlock, SharedGraph

TOL = dict(atol=1e-5, rtol=1e-5)


def layer_norm(x, eps=1e-5):
    """LayerNorm without affine parameters (they start at weight 1, bias 0)."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def ffn_by_hand(ffn, x):
    h = torch.relu(x @ ffn.lin1.weight.t() + ffn.lin1.bias) @ ffn.lin2.weight.t() + ffn.lin2.bias
    return layer_norm(x + h)


# --------------------------------------------------------------------------- FeedForward

def test_feed_forward_repr():
    assert str(FeedForward(16, 64)) == "FeedForward(16, 64, dropout=0.0)"
    assert str(FeedForward(8, 32, dropout=0.1)) == "FeedForward(8, 32, dropout=0.1)"


def test_feed_forward_by_hand():
    torch.manual_seed(0)
    ffn = FeedForward(8, 20)
    assert ffn.lin1.weight.shape == (20, 8) and ffn.lin2.weight.shape == (8, 20)
    assert ffn.norm.eps == 1e-5
    x = torch.randn(5, 8)
    out = ffn(x)
    assert out.shape == (5, 8)
    torch.testing.assert_close(out, ffn_by_hand(ffn, x), **TOL)
    # post-LN: every output row is normalised
    torch.testing.assert_close(out.mean(-1), torch.zeros(5), atol=1e-5, rtol=0)


def test_feed_forward_dropout():
    torch.manual_seed(0)
    ffn = FeedForward(8, 16, dropout=0.5)
    x = torch.randn(30, 8)
    ffn.train()
    assert not torch.allclose(ffn(x), ffn(x))
    ffn.eval()
    torch.testing.assert_close(ffn(x), ffn_by_hand(ffn, x), **TOL)


def test_feed_forward_reset_parameters():
    torch.manual_seed(0)
    ffn = FeedForward(8, 16)
    with torch.no_grad():
        ffn.norm.weight.fill_(3.0)
    before = ffn.lin1.weight.detach().clone()
    ffn.reset_parameters()
    assert not torch.equal(ffn.lin1.weight, before)
    assert torch.equal(ffn.norm.weight, torch.ones(8))


# --------------------------------------------------------------------------- LaMPBlock

def test_block_repr():
    assert str(LaMPBlock(16, 32, heads=4, ff_channels=64, dropout=0.1)) == \
        "LaMPBlock(16, 32, heads=4, ff_channels=64, dropout=0.1)"
    assert str(LaMPBlock((-1, 8), 8)) == "LaMPBlock((-1, 8), 8, heads=1, ff_channels=8, dropout=0.0)"
    block = LaMPBlock(8, 8, heads=2, dropout=0.2, path="fused")
    assert isinstance(block.attn, LaMPAttention)
    assert block.attn.path == "fused" and block.attn.dropout == 0.2 and block.attn.heads == 2
    assert block.ffn.dropout == 0.2


@pytest.mark.parametrize("path", ["edge", "dense", "fused"])
def test_block_bipartite_residual_from_target(path):
    torch.manual_seed(0)
    # 5 source nodes of width 6 -> 4 target nodes of width 8; graph 1 has no sources
    src_batch = torch.tensor([0, 0, 2, 2, 2])
    dst_batch = torch.tensor([0, 1, 1, 2])
    cb = CompleteBipartite.from_batch(src_batch, dst_batch, 3)
    x_src, x_dst = torch.randn(5, 6), torch.randn(4, 8)
    block = LaMPBlock((6, 8), 8, heads=2, ff_channels=12, path=path)
    out = block((x_src, x_dst), cb)
    assert out.shape == (4, 8)

    attn = block.attn((x_src, x_dst), cb)
    expected = ffn_by_hand(block.ffn, layer_norm(x_dst + attn))
    torch.testing.assert_close(out, expected, **TOL)
    # targets 1 and 2 (graph 1, no sources) keep their own state: FFN(LN(x_dst))
    torch.testing.assert_close(out[1:3], ffn_by_hand(block.ffn, layer_norm(x_dst[1:3])), **TOL)


def test_block_non_bipartite_and_attention_weights():
    torch.manual_seed(0)
    sg = SharedGraph(torch.tensor([[0, 1, 2, 1], [0, 1, 2, 0]]), 3, 3, 2)
    x = torch.randn(6, 8)
    block = LaMPBlock(8, 8, heads=2)
    out = block(x, sg)
    assert out.shape == (6, 8)
    expected = ffn_by_hand(block.ffn, layer_norm(x + block.attn(x, sg)))
    torch.testing.assert_close(out, expected, **TOL)

    out2, att = block(x, sg, return_attention_weights=True)
    torch.testing.assert_close(out2, out)
    _, att_ref = block.attn(x, sg, return_attention_weights=True)
    torch.testing.assert_close(att.alpha, att_ref.alpha)


def test_block_lazy_source_channels():
    block = LaMPBlock((-1, 8), 8, heads=2)
    cb = CompleteBipartite.from_batch(torch.tensor([0, 1]), torch.tensor([0, 1, 1]), 2)
    assert block((torch.randn(2, 11), torch.randn(3, 8)), cb).shape == (3, 8)
    assert block.attn.lin_key.weight.shape == (8, 11)


def test_block_target_width_must_match_channels():
    block = LaMPBlock((6, 7), 8)
    cb = CompleteBipartite.from_batch(torch.tensor([0]), torch.tensor([0]), 1)
    with pytest.raises(ValueError, match="7 channels: expected channels=8"):
        block((torch.randn(1, 6), torch.randn(1, 7)), cb)


def test_block_dropout_and_reset():
    torch.manual_seed(0)
    sg = SharedGraph(torch.tensor([[0, 1, 2, 0], [0, 1, 2, 2]]), 3, 3, 4)
    x = torch.randn(12, 8)
    block = LaMPBlock(8, 8, heads=2, dropout=0.5).train()
    assert not torch.allclose(block(x, sg), block(x, sg))
    block.eval()
    torch.testing.assert_close(block(x, sg), block(x, sg))

    before = {n: p.detach().clone() for n, p in block.named_parameters()}
    block.reset_parameters()
    changed = {n for n, p in block.named_parameters() if not torch.equal(before[n], p)}
    assert {"attn.lin_query.weight", "attn.lin_out.weight", "ffn.lin1.weight"} <= changed


@pytest.mark.parametrize("path", ["edge", "dense", "fused"])
def test_block_shared_targets_broadcast_in_the_residual(path):
    torch.manual_seed(0)
    B, T = 3, 4
    edges = CompleteBipartite.from_batch(torch.tensor([0, 0, 1, 2, 2, 2]),
                                         torch.arange(B).repeat_interleave(T), B)
    block = LaMPBlock((5, 8), 8, heads=2, path=path).eval()
    x_src, x_lab = torch.randn(6, 5), torch.randn(T, 8)
    torch.testing.assert_close(block((x_src, x_lab), edges),
                               block((x_src, x_lab.repeat(B, 1)), edges), atol=1e-5, rtol=1e-5)
