"""lamp_pyg.nn.dropout: the cheap-mask dropout behaves like F.dropout."""
import pytest
import torch
import torch.nn.functional as F

from lamp_pyg.nn import dropout
from lamp_pyg.nn.dropout import keep_mask


@pytest.mark.parametrize("p", [0.1, 0.2, 0.5])
def test_drop_rate_and_scale(p):
    torch.manual_seed(0)
    keep, scale = keep_mask((1000, 1000), p)
    assert keep.dtype == torch.uint8 and keep.shape == (1000, 1000)
    rate = 1.0 - keep.float().mean().item()
    assert abs(rate - p) < 5e-3  # 1e6 draws: binomial s.d. <= 5e-4
    q = round(p * 65536) / 65536
    assert scale == pytest.approx(1.0 / (1.0 - q))


def test_every_word_position_is_uniform():
    """Each int64 gives four int16 words; the top word must not be biased (random_ over
    the full int64 range, not [0, 2^63))."""
    torch.manual_seed(1)
    keep, _ = keep_mask((400_000, 4), 0.5)
    per_position = 1.0 - keep.float().mean(0)
    assert torch.all((per_position - 0.5).abs() < 5e-3), per_position


def test_unbiased_and_masked_gradient():
    torch.manual_seed(2)
    x = torch.randn(300, 400, requires_grad=True)
    y = dropout(x, 0.3, training=True)
    dropped = y == 0
    assert 0.28 < dropped.float().mean() < 0.32
    scale = 1 / (1 - round(0.3 * 65536) / 65536)
    torch.testing.assert_close(y[~dropped], x[~dropped] * scale)
    g = torch.randn_like(x)
    y.backward(g)
    torch.testing.assert_close(x.grad, torch.where(dropped, 0.0, g * scale))
    # mean preserved like F.dropout: E[y] = x
    ones = torch.ones(2000, 1000)
    assert dropout(ones, 0.2).mean().item() == pytest.approx(1.0, abs=5e-3)


def test_identity_in_eval_and_p0_and_seeded():
    x = torch.randn(5, 7)
    assert dropout(x, 0.5, training=False) is x
    assert dropout(x, 0.0, training=True) is x
    torch.manual_seed(3)
    a = dropout(x, 0.5)
    torch.manual_seed(3)
    b = dropout(x, 0.5)
    torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="dropout probability"):
        dropout(x, 1.0)


def test_bf16_keeps_dtype():
    x = torch.randn(64, 32, dtype=torch.bfloat16)
    assert dropout(x, 0.2).dtype == torch.bfloat16
    assert F.dropout(x, 0.2).dtype == dropout(x, 0.2).dtype
