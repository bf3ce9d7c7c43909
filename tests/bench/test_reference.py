"""The dense reference (bench/reference.py) computes the same function as lamp_pyg's LaMP.

This is what makes bench/bench_core.py honest: both arms of the benchmark compute
identical logits (dropout off, encoder_graph='none') and identical gradients.
"""
import pytest
import torch
from torch_geometric.data import Batch

from bench.reference import ReferenceLaMP, copy_from_lamp, pad_tokens
from lamp_pyg.data.sample import make_sample
from lamp_pyg.models import LaMP, LaMPConfig

L, V = 7, 23


def random_graph(kind: str, gen: torch.Generator) -> torch.Tensor:
    if kind == "full":
        adj = torch.ones(L, L, dtype=torch.bool)
    elif kind == "edgeless":
        adj = torch.eye(L, dtype=torch.bool)
    else:  # prior-like: random symmetric plus self-loops
        upper = torch.rand(L, L, generator=gen) < 0.3
        adj = (upper.triu(1) | upper.triu(1).T) | torch.eye(L, dtype=torch.bool)
    return adj.nonzero().T.flip(0).contiguous()  # [2, E] (source, target)


def make_batch(gen: torch.Generator, B: int = 4):
    lengths = [1, 5, 3, 9][:B]
    tokens = [torch.randint(1, V, (n,), generator=gen).tolist() for n in lengths]
    labels = [torch.randperm(L, generator=gen)[:2].tolist() for _ in range(B)]
    batch = Batch.from_data_list([make_sample(y, L, tokens=t) for t, y in zip(tokens, labels)])
    return batch, pad_tokens(tokens)


def build(graph: str, heads: int, path: str = "auto", ffn: str = "conv1d",
          readout: str = "diagonal", seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    ei = random_graph(graph, gen)
    cfg = LaMPConfig(num_labels=L, vocab_size=V, d_model=16, d_ff=12, heads=heads,
                     n_layers_enc=2, n_layers_dec=2, dropout=0.0, attention_path=path)
    model = LaMP(cfg, ei)
    ref = ReferenceLaMP(L, V, ei, d_model=16, d_ff=12, heads=heads, n_layers_enc=2,
                        n_layers_dec=2, dropout=0.0, ffn=ffn, readout=readout)
    copy_from_lamp(ref, model)
    batch, padded = make_batch(gen)
    return model, ref, batch, padded


@pytest.mark.parametrize("graph", ["prior", "full", "edgeless"])
@pytest.mark.parametrize("heads", [1, 4])
def test_same_logits(graph, heads):
    model, ref, batch, padded = build(graph, heads)
    model.eval(), ref.eval()
    with torch.no_grad():
        out = model(batch).logits
        want = ref(padded)
    assert out.shape == want.shape == (4, L)
    torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("path", ["edge", "dense", "fused"])
def test_same_logits_every_attention_path(path):
    model, ref, batch, padded = build("prior", 2, path=path, seed=1)
    model.eval(), ref.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(batch).logits, ref(padded), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("ffn,readout", [("linear", "per_label"), ("conv1d", "per_label"),
                                         ("linear", "diagonal")])
def test_reference_variants_agree(ffn, readout):
    model, ref, batch, padded = build("prior", 4, ffn=ffn, readout=readout, seed=2)
    model.eval(), ref.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(batch).logits, ref(padded), atol=1e-5, rtol=1e-5)


def test_same_gradients():
    """A training step of either arm moves the shared weights identically."""
    model, ref, batch, padded = build("prior", 4, seed=3)
    model.train(), ref.train()  # dropout is 0: training mode is deterministic
    y = batch["label"].y
    model.loss(model(batch), y).backward()
    ref.loss(ref(padded), y).backward()
    pairs = [(ref.readout, model.readout),
             (ref.label_embedding.weight, model.label_embedding.weight),
             (ref.token_embedding.weight, model.token_embedding.weight),
             (ref.decoder[0].enc_attn.lin_query.weight,
              model.decoder[0].feature_to_label.attn.lin_query.weight),
             (ref.decoder[1].slf_attn.lin_key.weight,
              model.decoder[1].label_to_label.attn.lin_key.weight),
             (ref.encoder[0].lin1.weight, model.encoder[0].lin1.weight)]
    for r, m in pairs:
        torch.testing.assert_close(r.grad, m.grad, atol=1e-5, rtol=1e-4)
    # the encoder self-attention is computed and discarded: it never gets a gradient
    assert all(p.grad is None for p in ref.encoder_attn.parameters())


def test_copy_rejects_mismatched_shapes():
    model, _, _, _ = build("prior", 4)
    other = ReferenceLaMP(L, V + 1, random_graph("full", torch.Generator()), d_model=16,
                          d_ff=12, heads=4, dropout=0.0)
    with pytest.raises(ValueError, match="shape mismatch"):
        copy_from_lamp(other, model)


def test_same_logits_with_positions():
    """Sequence data (reuters): both add the same sinusoidal positions 1..n per sample."""
    gen = torch.Generator().manual_seed(5)
    torch.manual_seed(5)
    ei = random_graph("prior", gen)
    cfg = LaMPConfig(num_labels=L, vocab_size=V, d_model=16, d_ff=12, heads=4, dropout=0.0,
                     positional=True, max_positions=20)
    model = LaMP(cfg, ei).eval()
    ref = ReferenceLaMP(L, V, ei, d_model=16, d_ff=12, heads=4, dropout=0.0,
                        positional=True, max_positions=20).eval()
    copy_from_lamp(ref, model)
    lengths = [1, 5, 3, 9]
    tokens = [torch.randint(1, V, (n,), generator=gen).tolist() for n in lengths]
    labels = [[0], [1, 2], [3], [4, 6]]
    batch = Batch.from_data_list([make_sample(y, L, tokens=t, positions=True)
                                  for t, y in zip(tokens, labels)])
    assert batch["token"].pos.tolist() == [p for n in lengths for p in range(1, n + 1)]
    with torch.no_grad():
        torch.testing.assert_close(model(batch).logits, ref(pad_tokens(tokens)),
                                   atol=1e-5, rtol=1e-5)
        no_pos = ReferenceLaMP(L, V, ei, d_model=16, d_ff=12, heads=4, dropout=0.0).eval()
        copy_from_lamp(no_pos, model)
        assert not torch.allclose(no_pos(pad_tokens(tokens)), ref(pad_tokens(tokens)), atol=1e-3)
