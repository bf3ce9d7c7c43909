"""bf16 autocast (train.precision): every attention path runs and stays close to fp32."""
import pytest
import torch

from lamp_pyg.nn import CompleteBipartite, LaMPAttention, SharedGraph
from lamp_pyg.training.setup import autocast


@pytest.mark.parametrize("path", ["edge", "dense", "fused"])
def test_bf16_autocast_close_to_fp32_on_every_path(path):
    torch.manual_seed(0)
    B, L, d = 3, 5, 32
    src_batch = torch.tensor([0, 0, 0, 0, 2, 2])  # sample 1 has no tokens
    cb = CompleteBipartite.from_batch(src_batch, torch.arange(B).repeat_interleave(L), B)
    sg = SharedGraph(torch.tensor([[0, 1, 2, 3, 4, 1], [0, 1, 2, 3, 4, 0]]), L, L, B)
    xs, xd = torch.randn(6, d, requires_grad=True), torch.randn(B * L, d, requires_grad=True)
    att = LaMPAttention(d, d, heads=4, path=path)
    for edges, x in ((cb, (xs, xd)), (sg, xd)):
        ref = att(x, edges)
        with autocast("bf16", torch.device("cpu")):
            out = att(x, edges)
        assert out.dtype == torch.bfloat16
        out.float().sum().backward()
        assert torch.isfinite(xd.grad).all()
        assert (out.float() - ref).abs().max() < 0.05  # bf16 has ~3 significant digits
        if edges is cb:  # sample 1 has no tokens: its labels receive no message
            assert out[5:10].float().abs().max() == 0


def test_fp32_and_auto_fallback_are_no_ops():
    assert not torch.is_autocast_enabled("cpu")
    with autocast("fp32", torch.device("cpu")):
        assert not torch.is_autocast_enabled("cpu")
