"""The fused path's chunk size is a speed knob only: results are bitwise the same."""
import pytest
import torch

from lamp_pyg.nn import fused_edge_attention


@pytest.mark.parametrize("dropout,training", [(0.0, False), (0.3, True)])
def test_fused_result_does_not_depend_on_chunk(dropout, training):
    g = torch.Generator().manual_seed(0)
    N, H, C, E = 40, 2, 4, 300
    edge_index = torch.stack([torch.randint(0, N, (E,), generator=g),
                              torch.randint(0, N - 3, (E,), generator=g)])  # 3 silent targets
    base = [torch.randn(N, H, C, generator=g) for _ in range(3)]
    grad = torch.randn(N, H, C, generator=g)
    results = []
    for chunk in (None, 1 << 18, 64, 7, 1):
        q, k, v = (t.clone().requires_grad_() for t in base)
        torch.manual_seed(1)
        out, alpha = fused_edge_attention(q, k, v, edge_index, dropout, training, chunk)
        out.backward(grad)
        results.append([out.detach(), alpha, q.grad, k.grad, v.grad])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert torch.equal(a, b)
