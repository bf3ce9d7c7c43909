"""``return_attention_weights=True``: one type on every path,
:class:`~lamp_pyg.nn.AttentionWeights` ``(edge_index, alpha [E, heads])`` as PyG's
``TransformerConv`` returns, with the edge set as it was passed (implicit edge sets
are not expanded) and ``alpha`` in the order of its ``to_edge_index()``."""
import pytest
import torch

from lamp_pyg.nn import AttentionWeights, LaMPAttention, LaMPBlock, SharedGraph
from tests.nn.test_attention import CASES, batch_vector, build_case

pytestmark = pytest.mark.usefixtures("scatter_backend")

PATHS = ("edge", "dense", "fused")
TOL = dict(atol=1e-5, rtol=1e-5)


def _segment_sum(alpha, index, n):
    return torch.zeros(n, alpha.size(1), dtype=alpha.dtype).index_add(0, index, alpha)


def _check_and_collect(conv, x, edges, paths, n_dst):
    """Runs every path, checks the type and the per-target sums; returns the alphas."""
    alphas = {}
    for path in paths:
        conv.path = path
        out, att = conv(x, edges, return_attention_weights=True)
        assert type(att) is AttentionWeights, path
        assert att.edge_index is edges, path  # as passed: implicit sets are not expanded
        ei = att.to_edge_index()
        assert ei.shape == (2, att.alpha.size(0)) and att.alpha.shape[1] == conv.heads
        torch.testing.assert_close(out, conv(x, edges), **TOL)
        receivers = torch.zeros(n_dst, dtype=torch.bool)
        receivers[ei[1]] = True
        sums = _segment_sum(att.alpha, ei[1], n_dst)
        torch.testing.assert_close(sums[receivers], torch.ones_like(sums[receivers]), **TOL)
        assert (sums[~receivers] == 0).all(), path
        alphas[path] = att.alpha
    return alphas


@pytest.mark.parametrize("case", list(CASES))
def test_every_path_returns_the_same_weights(case):
    x, edges, _, in_channels, n_dst = build_case(case)
    torch.manual_seed(0)
    conv = LaMPAttention(in_channels, 8, heads=2)
    alphas = _check_and_collect(conv, x, edges, PATHS, n_dst)
    assert alphas["edge"].shape == (edges.num_edges, 2)
    for path in ("dense", "fused"):
        torch.testing.assert_close(alphas[path], alphas["edge"], **TOL, msg=path)


def test_shared_targets_weights_agree():
    g = torch.Generator().manual_seed(0)
    B, T = 3, 4
    edges = build_case("cb_ragged")[1]._replace(  # 3 graphs with the same 4 targets
        dst_batch=batch_vector([T] * B), max_dst=T, num_edges=(2 + 3 + 1) * T)
    x = (torch.randn(6, 6, generator=g), torch.randn(T, 6, generator=g))
    torch.manual_seed(0)
    conv = LaMPAttention(6, 8, heads=2)
    alphas = _check_and_collect(conv, x, edges, PATHS, B * T)
    for path in ("dense", "fused"):
        torch.testing.assert_close(alphas[path], alphas["edge"], **TOL, msg=path)


@pytest.mark.parametrize("path", ["edge", "fused"])
def test_plain_edge_index_like_transformer_conv(path):
    torch.manual_seed(0)
    x = torch.randn(5, 6)
    ei = torch.tensor([[0, 1, 2, 3, 4, 1], [1, 2, 3, 0, 1, 1]])  # node 4: no incoming edge
    conv = LaMPAttention(6, 8, heads=2, path=path)
    out, (ei_out, alpha) = conv(x, ei, return_attention_weights=True)  # PyG's unpacking
    assert ei_out is ei and alpha.shape == (6, 2)
    torch.testing.assert_close(out, conv(x, ei))
    # node 1 receives from 0, 4 and 1: the weights against the scores by hand
    q = conv.lin_query(x).view(-1, 2, 4)
    k = conv.lin_key(x).view(-1, 2, 4)
    s = torch.stack([(q[1] * k[j]).sum(-1) / 2.0 for j in (0, 4, 1)])  # [3, H]
    torch.testing.assert_close(alpha[[0, 4, 5]], torch.softmax(s, 0), **TOL)
    assert isinstance(conv(x, ei, return_attention_weights=False), torch.Tensor)


def test_duplicate_edges_each_get_their_own_weight():
    e0 = torch.tensor([[0, 1, 0], [1, 1, 1]])  # (0 -> 1) twice
    sg = SharedGraph(e0, 2, 2, 2)
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(0))
    conv = LaMPAttention(6, 8, heads=2)
    for path in PATHS:
        conv.path = path
        _, (_, alpha) = conv(x, sg, return_attention_weights=True)
        torch.testing.assert_close(alpha[0], alpha[2], **TOL)  # the two copies
        torch.testing.assert_close(alpha[:3].sum(0), torch.ones(2), **TOL)


@pytest.mark.parametrize("path", PATHS)
def test_block_returns_the_attention_weights(path):
    x, edges, _, in_channels, _ = build_case("sg_no_incoming")
    torch.manual_seed(0)
    block = LaMPBlock(in_channels, 6, heads=2, path=path)
    out, att = block(x, edges, return_attention_weights=True)
    torch.testing.assert_close(out, block(x, edges))
    _, ref = block.attn(x, edges, return_attention_weights=True)
    assert type(att) is AttentionWeights and att.edge_index is edges
    torch.testing.assert_close(att.alpha, ref.alpha)
