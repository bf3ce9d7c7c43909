"""The LaMP model on small batches built with make_sample + PyG's DataLoader."""
import math

import re

import pytest
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.data import LABEL, TOKEN, TOKEN_EDGE, make_sample, window_edges
from lamp_pyg.models import LaMP, LaMPConfig, LaMPInputs, sinusoid_table
from lamp_pyg.nn import (AttentionWeights, CompleteBipartite, FeedForward, LaMPAttention, LaMPBlock,
                         SharedGraph)

L, V = 5, 12
# self-loops, 0 <-> 1, 1 -> 2, 0 -> 2, 3 -> 4; label 3 receives only from itself
LABEL_EI = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 1, 0, 3],
                         [0, 1, 2, 3, 4, 1, 0, 2, 2, 4]])
TOL = dict(atol=1e-5, rtol=1e-5)


def config(**kwargs):
    base = dict(num_labels=L, vocab_size=V, d_model=16, d_ff=24, heads=2, n_layers_enc=1,
                n_layers_dec=2, dropout=0.0)
    base.update(kwargs)
    return LaMPConfig(**base)


def make_model(seed=0, label_edge_index=LABEL_EI, **kwargs):
    torch.manual_seed(seed)
    return LaMP(config(**kwargs), label_edge_index).eval()


SAMPLE_SPECS = [  # (labels, tokens, values)
    ([0, 2], [3, 4, 5], [1.0, 0.5, 2.0]),
    ([], [6, 7, 6, 1], [0.2, 0.1, 1.5, 1.0]),  # no labels; a repeated token; UNK
    ([4], [], []),  # no input tokens at all
    ([1, 3], [8, 9], [3.0, -1.0]),
]


def samples(specs=SAMPLE_SPECS, stored="window"):
    out = []
    for labels, tokens, values in specs:
        n = len(tokens)
        if stored == "window":
            ei = window_edges(n, 1)
        else:  # every ordered pair of the sample, self-loops included = the 'full' graph
            ei = torch.tensor([[s for t in range(n) for s in range(n)],
                               [t for t in range(n) for s in range(n)]], dtype=torch.long)
        out.append(make_sample(labels, L, tokens=tokens, values=values, positions=True,
                               token_edge_index=ei))
    return out


def batch_of(data_list):
    return next(iter(DataLoader(data_list, batch_size=len(data_list), shuffle=False)))


def set_path(model, path):
    for m in model.modules():
        if isinstance(m, LaMPAttention):
            m.path = path


def logits_and_grads(model, batch):
    model.zero_grad(set_to_none=True)
    out = model(batch)
    model.loss(out, batch[LABEL].y).backward()
    return out.logits.detach(), {n: p.grad for n, p in model.named_parameters()
                                 if p.grad is not None}


# --------------------------------------------------------------------------- basics

def test_repr_and_structure():
    model = make_model(encoder_graph="full")
    assert str(model) == ("LaMP(num_labels=5, d_model=16, heads=2, n_layers_enc=1, "
                          "n_layers_dec=2, encoder_graph='full', label_edges=10)")
    assert len(model.decoder) == 2
    assert all(isinstance(m, LaMPBlock) for m in model.encoder)
    assert all(isinstance(m, FeedForward) for m in make_model().encoder)
    assert model.readout.shape == (L, 16)
    assert model.label_embedding.weight.shape == (L, 16)
    assert torch.equal(model.token_embedding.weight[0], torch.zeros(16))  # PAD row


def test_logits_shape_and_outputs():
    model = make_model()
    batch = batch_of(samples())
    out = model(batch)
    assert out.logits.shape == (4, L)
    assert torch.isfinite(out.logits).all()
    assert out.int_logits == []
    assert out.attentions is None
    loss = model.loss(out, batch[LABEL].y)
    assert loss.dim() == 0 and torch.isfinite(loss)
    # mean BCE over B x L, written out
    p = torch.sigmoid(out.logits)
    y = batch[LABEL].y
    expected = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    torch.testing.assert_close(loss, expected, **TOL)


def test_prepared_inputs_and_attentions():
    model = make_model(encoder_graph="full")
    batch = batch_of(samples())
    inputs = model.prepare(batch)
    assert isinstance(inputs, LaMPInputs)
    assert inputs.num_graphs == 4
    assert isinstance(inputs.feature_to_label, CompleteBipartite)
    assert inputs.feature_to_label.num_edges == (3 + 4 + 0 + 2) * L
    assert inputs.token_edges.num_edges == 9 + 16 + 0 + 4
    ref = model(batch).logits
    torch.testing.assert_close(model(inputs).logits, ref)
    out = model(batch, return_attention_weights=True)
    torch.testing.assert_close(out.logits, ref)
    assert len(out.attentions) == 2
    assert all(set(a) == {"feature_to_label", "label_to_label"} for a in out.attentions)


def test_batch_independence_and_empty_sample():
    """A sample's logits do not depend on the other samples of its batch; the sample
    without tokens gets finite logits (its labels receive a zero feature message)."""
    for encoder_graph in ("none", "full", "stored"):
        model = make_model(encoder_graph=encoder_graph, positional=True, feature_values=True)
        data = samples()
        together = model(batch_of(data)).logits
        assert torch.isfinite(together).all()
        for i, d in enumerate(data):
            torch.testing.assert_close(model(batch_of([d])).logits[0], together[i], **TOL)


# --------------------------------------------------------------------------- execution paths

@pytest.mark.parametrize("encoder_graph", ["none", "full", "stored"])
def test_all_paths_agree(encoder_graph):
    model = make_model(encoder_graph=encoder_graph, positional=True, feature_values=True)
    batch = batch_of(samples())
    results = {}
    for path in ("edge", "dense", "fused"):
        set_path(model, path)
        if encoder_graph == "stored" and path == "dense":
            # stored token edges are an explicit edge_index: the dense path cannot run them
            for block in model.encoder:
                block.attn.path = "edge"
        results[path] = logits_and_grads(model, batch)
    ref_logits, ref_grads = results["edge"]
    assert len(ref_grads) == sum(1 for p in model.parameters())  # every parameter is used
    for path in ("dense", "fused"):
        logits, grads = results[path]
        torch.testing.assert_close(logits, ref_logits, **TOL)
        assert grads.keys() == ref_grads.keys()
        for n in ref_grads:
            torch.testing.assert_close(grads[n], ref_grads[n], **TOL, msg=f"{path}: {n}")


def test_auto_uses_dense_for_the_label_graph():
    model = make_model()
    out = model(batch_of(samples()), return_attention_weights=True)
    # tiny complete graphs: dense is the cheapest path for both attention sublayers
    l2l = SharedGraph(model.label_edge_index, L, L, 4)
    for layer, att in zip(model.decoder, out.attentions):
        assert layer.label_to_label.attn.choose_path(l2l) == "dense"
        assert isinstance(att["label_to_label"], AttentionWeights)
        assert torch.equal(att["label_to_label"].to_edge_index(), l2l.to_edge_index())
        assert att["label_to_label"].alpha.shape == (l2l.to_edge_index().size(1), model.config.heads)


# --------------------------------------------------------------------------- encoder graphs

def test_stored_complete_graph_equals_full():
    full = make_model(encoder_graph="full")
    stored = make_model(encoder_graph="stored")
    stored.load_state_dict(full.state_dict())
    batch = batch_of(samples(stored="complete"))
    torch.testing.assert_close(stored(batch).logits, full(batch).logits, **TOL)
    # ... and a window graph is a different encoder
    window = batch_of(samples(stored="window"))
    assert not torch.allclose(stored(window).logits, full(window).logits, atol=1e-4)


def test_encoder_none_is_tokenwise():
    """encoder_graph='none' (the released code): tokens never see each other, so the
    order of a sample's tokens is irrelevant; 'full' self-attention also ignores order but
    lets tokens interact, so it differs from 'none'."""
    spec = [([0], [3, 4, 5], [1.0, 1.0, 1.0])]
    rev = [([0], [5, 4, 3], [1.0, 1.0, 1.0])]
    for eg in ("none", "full"):
        model = make_model(encoder_graph=eg)
        torch.testing.assert_close(model(batch_of(samples(rev))).logits,
                                   model(batch_of(samples(spec))).logits, **TOL)


def test_stored_encoder_needs_edges():
    model = make_model(encoder_graph="stored")
    batch = batch_of([make_sample([0], L, tokens=[3, 4])])
    with pytest.raises(ValueError, match="stored"):
        model(batch)


# --------------------------------------------------------------------------- positions, values

def test_sinusoid_table_by_hand():
    table = sinusoid_table(5, 4)
    assert table.shape == (6, 4)
    assert torch.equal(table[0], torch.zeros(4))  # PAD
    for p in (1, 3, 5):
        expected = [math.sin(p), math.cos(p), math.sin(p / 100.0), math.cos(p / 100.0)]
        torch.testing.assert_close(table[p], torch.tensor(expected), **TOL)


def test_positional():
    model = make_model(positional=True, max_positions=8)
    assert model.position_table.shape == (9, 16)
    assert "position_table" not in model.state_dict()  # frozen, rebuilt, not saved
    assert not model.position_table.requires_grad
    spec = [([0], [3, 4, 5], [1.0, 1.0, 1.0])]
    rev = [([0], [5, 4, 3], [1.0, 1.0, 1.0])]
    a, b = model(batch_of(samples(spec))).logits, model(batch_of(samples(rev))).logits
    assert not torch.allclose(a, b, atol=1e-4)  # order now matters
    plain = make_model(positional=False, max_positions=8)
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(plain(batch_of(samples(spec))).logits, a, atol=1e-4)


def test_feature_values():
    model = make_model(feature_values=True)
    assert model.value_embedding.weight.shape == (V, 16)
    plain = make_model(feature_values=False)
    plain.load_state_dict(model.state_dict(), strict=False)  # all but value_embedding
    zero = [(lab, tok, [0.0] * len(tok)) for lab, tok, _ in SAMPLE_SPECS]
    # value 0: E_id[f] + 0 * E_val[f] == E_id[f]
    torch.testing.assert_close(model(batch_of(samples(zero))).logits,
                               plain(batch_of(samples(zero))).logits, **TOL)
    # E_id + v * E_val: the embedding is affine in v
    tok = torch.tensor([3, 4])
    h = lambda v: (model.token_embedding(tok)
                   + torch.tensor(v).unsqueeze(-1) * model.value_embedding(tok))
    torch.testing.assert_close(h([2.0, 2.0]) - h([1.0, 1.0]), model.value_embedding(tok))
    assert not torch.allclose(model(batch_of(samples())).logits,
                              plain(batch_of(samples())).logits, atol=1e-4)


def test_linear_token_mode():
    torch.manual_seed(0)
    model = LaMP(config(vocab_size=0, input_dim=4), LABEL_EI).eval()
    assert model.token_embedding is None and model.input_proj.in_features == 4
    data = [make_sample([0, 1], L, vec=[0.1, 0.2, 0.3, 0.4]),
            make_sample([], L, vec=[1.0, -1.0, 0.0, 2.0]),
            make_sample([4], L, vec=[0.0, 0.0, 0.0, 0.0])]
    batch = batch_of(data)
    out = model(batch)
    assert out.logits.shape == (3, L)
    assert torch.isfinite(out.logits).all()
    torch.testing.assert_close(model(batch_of(data[1:2])).logits[0], out.logits[1], **TOL)
    with pytest.raises(ValueError, match="vec of size 4"):
        model(batch_of([make_sample([0], L, vec=[1.0, 2.0])]))
    with pytest.raises(ValueError, match="vec of size 4"):
        model(batch_of([make_sample([0], L, tokens=[3])]))
    with pytest.raises(ValueError, match="no batch\\['token'\\].x"):
        make_model()(batch)


# --------------------------------------------------------------------------- int_preds

@pytest.mark.parametrize("n_dec", [1, 2, 3])
def test_int_preds(n_dec):
    plain = make_model(n_layers_dec=n_dec)
    model = make_model(n_layers_dec=n_dec, int_preds=True)
    model.load_state_dict(plain.state_dict())
    batch = batch_of(samples())
    y = batch[LABEL].y
    out, ref = model(batch), plain(batch)
    assert len(out.int_logits) == 2 * n_dec - 1
    assert all(z.shape == (4, L) for z in out.int_logits)
    torch.testing.assert_close(out.logits, ref.logits)
    loss, base = model.loss(out, y), plain.loss(ref, y)
    assert loss > base
    extra = sum(torch.nn.functional.binary_cross_entropy_with_logits(z, y)
                for z in out.int_logits)
    torch.testing.assert_close(loss, base + 0.2 * extra, **TOL)
    # the intermediate readouts use detached readout weights
    g_int = torch.autograd.grad(loss, model.readout)[0]
    g_ref = torch.autograd.grad(base, plain.readout)[0]
    torch.testing.assert_close(g_int, g_ref, **TOL)


@pytest.mark.parametrize("path", ["dense", "fused", "edge"])
def test_checkpoint_activations_same_numbers_under_dropout(path):
    """Recomputing decoder blocks in backward gives the same loss and gradients, with
    the same dropout masks (the RNG state is replayed)."""
    plain = make_model(dropout=0.3, attention_path=path).train()
    ck = make_model(dropout=0.3, attention_path=path, checkpoint_activations=True).train()
    ck.load_state_dict(plain.state_dict())
    batch = batch_of(samples())
    torch.manual_seed(11)
    out_p, g_p = logits_and_grads(plain, batch)
    torch.manual_seed(11)
    out_c, g_c = logits_and_grads(ck, batch)
    torch.testing.assert_close(out_c, out_p, **TOL)
    assert g_c.keys() == g_p.keys()
    for name in g_p:
        torch.testing.assert_close(g_c[name], g_p[name], **TOL, msg=name)
    torch.manual_seed(12)
    out_other, _ = logits_and_grads(ck, batch)
    assert not torch.allclose(out_other, out_c)  # dropout is really on


def test_shared_first_layer_queries_equal_per_sample_queries():
    """The first decoder layer projects the shared label embeddings once per batch; the
    result equals feeding every sample its own copy."""
    model = make_model()
    batch = batch_of(samples())
    inputs = model.prepare(batch)
    out = model(inputs).logits
    blk = model.decoder[0].feature_to_label
    B = inputs.num_graphs
    h_tok = model.token_embedding(inputs.x)
    for layer in model.encoder:
        h_tok = layer(h_tok)
    shared = blk((h_tok, model.label_embedding.weight), inputs.feature_to_label)
    repeated = blk((h_tok, model.label_embedding.weight.repeat(B, 1)), inputs.feature_to_label)
    assert shared.shape == repeated.shape == (B * L, 16)
    torch.testing.assert_close(shared, repeated, **TOL)
    assert out.shape == (B, L)


def decoder_states_by_hand(model, batch):
    """Every decoder block's ``[B * L, d]`` output, written out (FFN-only encoder)."""
    B = batch.num_graphs
    h_tok = model.token_embedding(batch[TOKEN].x)
    for ffn in model.encoder:
        h_tok = ffn(h_tok)
    f2l = CompleteBipartite.from_batch(batch[TOKEN].batch, batch[LABEL].batch, B)
    l2l = SharedGraph(LABEL_EI, L, L, B)
    h = model.label_embedding.weight.repeat(B, 1)
    states = []
    for layer in model.decoder:
        h = layer.feature_to_label((h_tok, h), f2l)
        states.append(h)
        h = layer.label_to_label(h, l2l)
        states.append(h)
    return states


def test_decoder_wiring_by_hand():
    """Labels start from their embedding (the same for every sample); each decoder layer is
    feature -> label then label -> label over the shared label graph; logits are
    <u_i, w_i>. Intermediate readouts come after every block but the last."""
    model = make_model(n_layers_dec=2, int_preds=True)
    batch = batch_of(samples())
    out = model(batch)
    B = batch.num_graphs
    states = decoder_states_by_hand(model, batch)
    readout = [torch.einsum("bld,ld->bl", s.view(B, L, -1), model.readout) for s in states]
    torch.testing.assert_close(out.logits, readout[-1], **TOL)
    assert len(out.int_logits) == 3
    for z, r in zip(out.int_logits, readout[:-1]):
        torch.testing.assert_close(z, r, **TOL)


# --------------------------------------------------------------------------- label graph

def test_label_graph_is_one_buffer_not_in_the_batch():
    model = make_model()
    # stored once, deduplicated and sorted by (target, source) like LabelGraph
    expected = sorted(zip(LABEL_EI[1].tolist(), LABEL_EI[0].tolist()))
    assert list(zip(*model.label_edge_index.flip(0).tolist())) == expected
    assert "label_edge_index" in dict(model.named_buffers())
    assert torch.equal(model.state_dict()["label_edge_index"], model.label_edge_index)
    assert "label_edge_index" not in dict(model.named_parameters())
    batch = batch_of(samples())
    assert set(batch.edge_types) == {TOKEN_EDGE}  # no label -> label edges per sample
    assert not any(LABEL in et for et in batch.edge_types)
    # the buffer really is the graph the decoder uses
    ref = model(batch).logits
    model.label_edge_index = torch.stack([torch.arange(L), torch.arange(L)])
    assert not torch.allclose(model(batch).logits, ref, atol=1e-4)
    other = make_model(label_edge_index=torch.stack([torch.arange(L), torch.arange(L)]))
    torch.testing.assert_close(other(batch).logits, model(batch).logits)


def test_sample_permutation_permutes_logits():
    model = make_model(encoder_graph="full", positional=True, feature_values=True)
    data = samples()
    ref = model(batch_of(data)).logits
    perm = [2, 0, 3, 1]
    out = model(batch_of([data[i] for i in perm])).logits
    torch.testing.assert_close(out, ref[perm], **TOL)


# --------------------------------------------------------------------------- training

def test_training_reduces_loss():
    # label k is on iff token 3 + k (or 6 + k) occurs
    torch.manual_seed(0)
    data = []
    for i in range(12):
        toks = sorted({3 + (i % 3), 6 + (i // 4) % 3, 3 + (i * 7) % 6})
        labels = sorted({(t - 3) % 3 for t in toks})
        data.append(make_sample(labels, 3, tokens=toks))
    model = LaMP(LaMPConfig(num_labels=3, vocab_size=9, d_model=16, d_ff=16, heads=2,
                            n_layers_enc=1, n_layers_dec=1, dropout=0.1),
                 torch.tensor([[0, 1, 2, 0, 1], [0, 1, 2, 1, 0]]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(data, batch_size=6, shuffle=True)
    model.train()
    losses = []
    for _ in range(15):
        epoch = 0.0
        for batch in loader:
            opt.zero_grad()
            loss = model.loss(model(batch), batch[LABEL].y)
            loss.backward()
            opt.step()
            epoch += loss.item()
        losses.append(epoch)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.5 * losses[0], losses


# --------------------------------------------------------------------------- bad input

@pytest.fixture
def no_compute():
    """Fails the test if any module's forward starts (errors must come before compute)."""
    handles, called = [], []

    def attach(model):
        for m in model.modules():
            if m is not model:
                handles.append(m.register_forward_pre_hook(lambda *a: called.append(1)))
        return called

    yield attach
    for h in handles:
        h.remove()


def test_bad_label_width(no_compute):
    model = make_model()
    called = no_compute(model)
    batch = batch_of([make_sample([0], L + 1, tokens=[3])])
    with pytest.raises(ValueError, match=r"y must be \[B, 5\]"):
        model(batch)
    assert not called


def test_bad_token_ids(no_compute):
    model = make_model()
    called = no_compute(model)
    with pytest.raises(ValueError, match=r"token ids must be in \[0, 12\)"):
        model(batch_of([make_sample([0], L, tokens=[3, V])]))
    batch = batch_of([make_sample([0], L, tokens=[3, 4])])
    batch[TOKEN].x[1] = -1
    with pytest.raises(ValueError, match="token ids"):
        model(batch)
    assert not called


def test_bad_values(no_compute):
    model = make_model(feature_values=True)
    called = no_compute(model)
    batch = batch_of(samples())
    batch[TOKEN].value[2] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        model(batch)
    batch = batch_of([make_sample([0], L, tokens=[3])])
    with pytest.raises(ValueError, match="no token values"):
        model(batch)
    assert not called


def test_bad_positions(no_compute):
    model = make_model(positional=True, max_positions=3)
    called = no_compute(model)
    with pytest.raises(ValueError, match="position 4 exceeds max_positions=3"):
        model(batch_of([make_sample([0], L, tokens=[3, 4, 5, 6], positions=True)]))
    with pytest.raises(ValueError, match="no token positions"):
        model(batch_of([make_sample([0], L, tokens=[3, 4])]))
    assert not called
    # exactly max_positions is fine
    assert model(batch_of([make_sample([0], L, tokens=[3, 4, 5], positions=True)])).logits.shape \
        == (1, L)


def test_label_graph_must_cover_every_label():
    with pytest.raises(ValueError, match="gives 2 of the 5 labels no incoming edge .*label 3"):
        LaMP(config(), torch.tensor([[0, 1, 2, 0], [0, 1, 2, 1]]))


def test_the_model_runs_its_decoder_layers():
    """LaMP's decoder is its DecoderLayer modules, each called once per forward pass,
    each taking the previous one's label states."""
    model = make_model(n_layers_dec=3)
    seen = []
    handles = [layer.register_forward_hook(lambda m, args, out: seen.append((m, args[1], out)))
               for layer in model.decoder]
    out = model(batch_of(samples()))
    for h in handles:
        h.remove()
    assert [m for m, _, _ in seen] == list(model.decoder)
    assert seen[0][1] is model.label_embedding.weight
    for (_, _, prev), (_, h_in, _) in zip(seen, seen[1:]):
        assert h_in is prev
    B = out.logits.size(0)
    torch.testing.assert_close(out.logits, (seen[-1][2].view(B, L, -1) * model.readout).sum(-1))


@pytest.mark.parametrize("mode", ["eval", "attention", "checkpoint"])
def test_on_block_hook_sees_each_block_output(mode):
    """The per-block hook gets (layer, block name, label states) after every block, in
    order, once per forward pass (also with activation checkpointing, and after its
    backward pass recomputes the blocks); the states equal the decoder by hand."""
    model = make_model(n_layers_dec=2, checkpoint_activations=(mode == "checkpoint"))
    if mode == "checkpoint":
        model.train()  # dropout is 0.0: the same numbers as eval
    batch = batch_of(samples())
    seen = []
    out = model(batch, return_attention_weights=(mode == "attention"),
                on_block=lambda i, name, h: seen.append((i, name, h)))
    assert [(i, name) for i, name, _ in seen] == [
        (0, "feature_to_label"), (0, "label_to_label"), (1, "feature_to_label"),
        (1, "label_to_label")]
    if mode == "checkpoint":
        model.loss(out, batch[LABEL].y).backward()
        assert len(seen) == 4
    for (_, _, got), want in zip(seen, decoder_states_by_hand(model, batch)):
        torch.testing.assert_close(got, want, **TOL)


def test_bad_label_graph():
    with pytest.raises(ValueError, match=r"labels outside \[0, 5\)"):
        LaMP(config(), torch.tensor([[0, 1], [1, 5]]))
    with pytest.raises(ValueError, match=r"labels outside \[0, 5\)"):
        LaMP(config(), torch.tensor([[-1], [0]]))
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        LaMP(config(), torch.tensor([0, 1, 2]))


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_labels=0), "num_labels"),
    (dict(vocab_size=0, input_dim=0), "exactly one"),
    (dict(vocab_size=10, input_dim=4), "exactly one"),
    (dict(encoder_graph="window"), "encoder_graph"),
    (dict(d_model=10, heads=4), "divisible"),
    (dict(heads=0), "heads: expected >= 1"),
    (dict(n_layers_dec=0), "n_layers_dec: expected >= 1"),
    (dict(dropout=1.0), "dropout: expected >= 0.0 and < 1.0"),
    (dict(attention_path="sparse"), "attention_path"),
    (dict(attention_path="dense", encoder_graph="stored"), "cannot run encoder_graph='stored'"),
])
def test_config_validate(kwargs, match):
    """A value outside its domain is refused when the config is made; a combination of
    fields when it is validated (and again when a model is built from it)."""
    try:
        cfg = config(**kwargs)
    except ValueError as e:
        assert re.search(match, str(e)), str(e)
    else:
        with pytest.raises(ValueError, match=match):
            cfg.validate()
        with pytest.raises(ValueError, match=match):
            LaMP(cfg, LABEL_EI)
    config().validate()  # the base config is valid


# --------------------------------------------------------------------------- torch.compile

def test_compiled_forward_has_no_graph_breaks():
    """prepare() reads every data-dependent size, so the forward over LaMPInputs traces as
    one graph, also on the per-edge path (CompleteBipartite.to_edge_index inside)."""
    model = make_model(encoder_graph="full", attention_path="edge", positional=True,
                       feature_values=True)
    inputs = model.prepare(batch_of(samples()))
    expected = model(inputs).logits
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(inputs)
    assert explanation.graph_break_count == 0, [str(r.reason) for r in explanation.break_reasons]
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(inputs).logits, expected, **TOL)
    torch._dynamo.reset()


def test_duplicate_label_edges_are_merged_so_paths_agree():
    dup = torch.cat([LABEL_EI, LABEL_EI[:, :3]], dim=1)
    model = make_model(label_edge_index=dup)
    assert model.label_edge_index.size(1) == LABEL_EI.size(1)
    batch = batch_of(samples())
    outs = []
    for path in ("edge", "dense", "fused"):
        for m in model.modules():
            if hasattr(m, "choose_path"):
                m.path = path
        outs.append(model(batch).logits)
    torch.testing.assert_close(outs[0], outs[1], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(outs[0], outs[2], atol=1e-5, rtol=1e-5)
