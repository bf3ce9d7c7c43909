"""``torch.autograd.gradcheck`` in float64 on every execution path of LaMPAttention and
LaMPBlock (inputs and parameters), and the softmax precision rule: statistics in at
least float32, never below the input dtype."""
import pytest
import torch
from torch.func import functional_call

from lamp_pyg.nn import CompleteBipartite, LaMPAttention, LaMPBlock, SharedGraph

D, HEADS = 4, 2


def _edge_sets():
    """name -> (edge set, number of source rows, number of target rows, paths)."""
    ei = torch.tensor([[0, 1, 2, 3, 0, 0], [1, 2, 0, 1, 1, 0]])  # a multi-edge, node 3 silent
    # a duplicated edge (1 -> 0) and a label (3) without incoming edges
    sg = SharedGraph(torch.tensor([[0, 1, 1, 2, 3, 2], [0, 0, 0, 1, 2, 2]]), 4, 4, 2)
    cb = CompleteBipartite.from_batch(torch.tensor([0, 0, 2, 2, 2]),
                                      torch.tensor([0, 1, 1, 2]), 3)  # graph 1: no sources
    cb_shared = CompleteBipartite.from_batch(torch.tensor([0, 1, 1]),
                                             torch.tensor([0, 0, 1, 1]), 2)
    return {
        "edge_index": (ei, 4, 4, ("edge", "fused")),
        "shared_graph": (sg, 8, 8, ("edge", "dense", "fused")),
        "complete_bipartite": (cb, 5, 4, ("edge", "dense", "fused")),
        # target features given once for both graphs: [T, F]
        "complete_bipartite_shared_targets": (cb_shared, 3, 2, ("edge", "dense", "fused")),
    }


CASES = [(name, path) for name, (_, _, _, paths) in _edge_sets().items() for path in paths]


def _gradcheck(module, x_src, x_dst, edges):
    module = module.double()
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone().requires_grad_() for _, p in module.named_parameters()]

    def fn(x_src, x_dst, *params):
        return functional_call(module, dict(zip(names, params)), ((x_src, x_dst), edges))

    return torch.autograd.gradcheck(fn, (x_src, x_dst, *params), eps=1e-6, atol=1e-6,
                                    rtol=1e-4)


def _inputs(n_src, n_dst, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n_src, D, dtype=torch.double, generator=g, requires_grad=True),
            torch.randn(n_dst, D, dtype=torch.double, generator=g, requires_grad=True))


@pytest.mark.parametrize("case,path", CASES)
def test_attention_gradcheck_float64(case, path):
    edges, n_src, n_dst, _ = _edge_sets()[case]
    torch.manual_seed(0)
    conv = LaMPAttention(D, D, heads=HEADS, path=path)
    assert _gradcheck(conv, *_inputs(n_src, n_dst), edges)


@pytest.mark.parametrize("case,path", CASES)
def test_block_gradcheck_float64(case, path):
    edges, n_src, n_dst, _ = _edge_sets()[case]
    torch.manual_seed(0)
    block = LaMPBlock(D, D, heads=HEADS, ff_channels=6, path=path)
    assert _gradcheck(block, *_inputs(n_src, n_dst), edges)


@pytest.mark.parametrize("path", ["edge", "dense", "fused"])
def test_softmax_precision_follows_the_input(path):
    edges, n_src, n_dst, _ = _edge_sets()["shared_graph"]
    torch.manual_seed(0)
    conv = LaMPAttention(D, D, heads=HEADS, path=path)
    x = torch.randn(n_src, D)
    _, att32 = conv(x, edges, return_attention_weights=True)
    assert att32[1].dtype == torch.float32
    conv.double()
    _, att64 = conv(x.double(), edges, return_attention_weights=True)
    assert att64[1].dtype == torch.float64
    torch.testing.assert_close(att64[1].float(), att32[1], atol=1e-5, rtol=1e-5)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # bf16 inputs: fp32 statistics
        conv.float()
        out, att16 = conv(x, edges, return_attention_weights=True)
    assert out.dtype == torch.bfloat16 and att16[1].dtype == torch.float32
