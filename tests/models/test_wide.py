"""The wide path (model.wide): per-label logits straight from the input features."""
import pytest
import torch

from lamp_pyg.models import LaMP
from lamp_pyg.models.wide import WidePath
from tests.models.test_lamp import LABEL_EI, L, V, batch_of, config, make_model, samples

SPECS = [([0, 2], [4, 5, 6], [1.0, 0.5, 2.0]),
         ([1], [7, 7, 8, 9], [0.2, 0.1, 1.5, 1.0]),  # a repeated token
         ([], [10], [3.0])]


def _plain_bags(specs, weight_of):
    """[B, V] bags by hand: sum of weight_of(tokens, values)[t] * onehot(token t)."""
    out = torch.zeros(len(specs), V)
    for b, (_, toks, vals) in enumerate(specs):
        for t, w in zip(toks, weight_of(toks, vals)):
            out[b, t] += w
    return out


@pytest.mark.parametrize("feature_values", [False, True])
def test_linear_wide_path_is_logistic_regression_on_the_bag(feature_values):
    torch.manual_seed(0)
    model = make_model(wide="linear", feature_values=feature_values)
    W, b = torch.randn(V, L), torch.randn(L)
    with torch.no_grad():
        model.wide.bag.weight.copy_(W)
        model.wide.bias.copy_(b)
        model.readout.zero_()  # LaMP's own logits are 0: only the wide path is left
    batch = batch_of(samples(SPECS))
    # every token of a sample counts 1/sqrt(S) (an l2-normalised bag), or its value;
    # the sample's BOS/EOS-free tokens are the ones samples() gave it
    weight_of = ((lambda toks, vals: vals) if feature_values else
                 (lambda toks, vals: [len(toks) ** -0.5] * len(toks)))
    expected = _plain_bags(SPECS, weight_of) @ W + b
    torch.testing.assert_close(model(batch).logits, expected, atol=1e-5, rtol=1e-5)


def test_linear_wide_path_starts_as_plain_lamp():
    torch.manual_seed(0)
    wide = make_model(seed=3, wide="linear")
    plain = make_model(seed=3)
    plain.load_state_dict({k: v for k, v in wide.state_dict().items()
                           if not k.startswith("wide.")})
    batch = batch_of(samples(SPECS))
    torch.testing.assert_close(wide(batch).logits, plain(batch).logits)


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_wide_path_ignores_token_order_and_learns(kind):
    model = make_model(wide=kind)
    model.eval()
    shuffled = [(l, t[::-1], v[::-1]) for l, t, v in SPECS]
    with torch.no_grad():  # move the wide path off zero, then compare the two orders
        for p in model.wide.parameters():
            p.add_(0.1 * torch.randn_like(p))
    a, b = (model.wide(*_wide_inputs(model, specs)) for specs in (SPECS, shuffled))
    torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)
    model.train()
    out = model(batch_of(samples(SPECS)))
    model.loss(out, batch_of(samples(SPECS))["label"].y).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all()
               for p in model.wide.parameters())


def _wide_inputs(model, specs):
    inputs = model.prepare(batch_of(samples(specs)))
    return inputs.x, inputs.bag_weights, inputs.bag_offsets, inputs.vec


def test_wide_path_on_a_dense_vector():
    torch.manual_seed(0)
    model = LaMP(config(vocab_size=0, input_dim=4, wide="linear"), LABEL_EI).eval()
    from lamp_pyg.data import make_sample
    from torch_geometric.loader import DataLoader
    X = torch.randn(3, 4)
    batch = next(iter(DataLoader([make_sample([0], L, vec=x) for x in X], batch_size=3)))
    with torch.no_grad():
        model.readout.zero_()
        model.wide.bag.weight.normal_()
    torch.testing.assert_close(model(batch).logits, X @ model.wide.bag.weight.T + model.wide.bias)


def test_repr_and_choices():
    assert "wide='mlp'" in repr(make_model(wide="mlp"))
    assert repr(WidePath("linear", 3, 10, 0, 8, 0.0)) == "WidePath(linear, (10, 3))"
    with pytest.raises(ValueError, match="wide: expected one of 'none', 'linear', 'mlp'"):
        config(wide="deep")
