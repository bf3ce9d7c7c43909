"""Multi-label losses (lamp_pyg.models.losses) against formulas written out by hand."""
import pytest
import torch
import torch.nn.functional as F

from lamp_pyg.models.losses import multilabel_loss

Z = torch.tensor([[2.0, -1.0, 0.3], [-3.0, 0.5, 4.0]], dtype=torch.float64)
Y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=torch.float64)


def test_bce_and_label_smoothing():
    torch.testing.assert_close(multilabel_loss(Z, Y), F.binary_cross_entropy_with_logits(
        Z.float(), Y.float()))
    smooth = Y * 0.8 + 0.1
    torch.testing.assert_close(multilabel_loss(Z, Y, label_smoothing=0.2),
                               F.binary_cross_entropy_with_logits(Z.float(), smooth.float()))


def test_asl_is_the_papers_formula():
    p = torch.sigmoid(Z)
    pm = (p - 0.05).clamp(min=0)
    by_hand = -(Y * (1 - p) ** 1.0 * torch.log(p)
                + (1 - Y) * pm ** 4 * torch.log(1 - pm)).mean()
    torch.testing.assert_close(multilabel_loss(Z, Y, "asl", gamma_neg=4, gamma_pos=1, clip=0.05),
                               by_hand.float())


def test_asl_without_focusing_or_clipping_is_bce():
    torch.testing.assert_close(multilabel_loss(Z, Y, "asl", gamma_neg=0, gamma_pos=0, clip=0),
                               multilabel_loss(Z, Y), atol=1e-6, rtol=1e-6)


def test_asl_is_finite_for_extreme_logits_and_differentiable():
    z = torch.tensor([[80.0, -80.0, 0.0]], requires_grad=True)
    loss = multilabel_loss(z, torch.tensor([[0.0, 1.0, 1.0]]), "asl")
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_unknown_loss():
    with pytest.raises(ValueError, match="loss must be one of"):
        multilabel_loss(Z, Y, "hinge")
