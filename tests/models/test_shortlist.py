"""The shortlist model: K = L is the full LaMP, candidates, subgraph, ranker, prediction."""
import numpy as np
import pytest
import torch

from lamp_pyg.models import LaMP
from lamp_pyg.models import LaMPConfig, build_model
from lamp_pyg.models.shortlist import (LowRankRanker, ShortlistLaMP,
                                       TokenBatch, candidate_subgraph, labels_to_csr,
                                       predict_topk_rows, sparse_inputs)
from tests.models.test_lamp import LABEL_EI, SAMPLE_SPECS, L, V, batch_of, config, samples

TOL = dict(atol=1e-5, rtol=1e-5)
LABELS = [s[0] for s in SAMPLE_SPECS]


def short_config(**kw):
    base = dict(config().__dict__)
    base.update(kw)
    return LaMPConfig(**base)


def _randomise(module, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)


@pytest.mark.parametrize("kw", [dict(), dict(encoder_graph="full", int_preds=True),
                                dict(feature_values=True)])
def test_shortlist_of_all_labels_is_the_full_model(kw):
    """K = L, same weights, same batch: the logits of LaMP(wide='linear') to 1e-5."""
    torch.manual_seed(0)
    full = LaMP(config(wide="linear", **kw), LABEL_EI).eval()
    _randomise(full.wide)  # a non-zero ranker (the wide path starts at 0)
    short = ShortlistLaMP(short_config(shortlist=L, **kw), LABEL_EI).eval()
    short.lamp.load_state_dict(full.state_dict())
    batch = batch_of(samples())
    inputs = full.prepare(batch)
    want = full(inputs)
    got = short(TokenBatch.from_lamp(inputs))
    assert sorted(got.candidates[0].tolist()) == list(range(L))
    torch.testing.assert_close(got.logits, want.logits.gather(1, got.candidates), **TOL)
    torch.testing.assert_close(ShortlistLaMP.full_scores(got), want.logits, **TOL)
    for a, b in zip(got.int_logits, want.int_logits):
        torch.testing.assert_close(a, b.gather(1, got.candidates), **TOL)
    # the loss: the full model's loss + the ranker's own
    ranker = full.loss(want._replace(logits=full.wide(inputs.x, inputs.bag_weights,
                                                      inputs.bag_offsets, None),
                                     int_logits=[]), batch["label"].y)
    torch.testing.assert_close(short.loss(got, LABELS),
                               full.loss(want, batch["label"].y) + ranker, **TOL)


def test_candidates_are_the_rankers_top_k_with_true_labels_forced_in_training():
    torch.manual_seed(0)
    short = ShortlistLaMP(short_config(shortlist=2), LABEL_EI)
    _randomise(short.ranker, seed=3)
    inputs = sparse_inputs([(np.array([0, 1]), None), (np.array([2, 5]), None),
                            (np.array([3]), None)])
    labels = [[0, 2], [4], [1, 2, 3]]  # row 2: 3 true labels do not fit K = 2
    out = short.eval()(inputs)
    top = out.ranker_scores.topk(2, dim=1).indices
    assert torch.equal(out.candidates, top)
    full = ShortlistLaMP.full_scores(out)
    outside = torch.ones_like(full, dtype=torch.bool).scatter(1, out.candidates, False)
    assert torch.equal(full[outside], out.ranker_scores[outside])  # ranker elsewhere
    out = short.train()(inputs, targets=labels)
    assert out.forced_truncated == 1
    assert sorted(out.candidates[0].tolist()) == [0, 2]
    assert 4 in out.candidates[1].tolist()
    assert set(out.candidates[2].tolist()) < {1, 2, 3}


def test_label_states_and_readout_are_gathered_for_candidates_only():
    torch.manual_seed(0)
    short = ShortlistLaMP(short_config(shortlist=2, ranker_rank=3), LABEL_EI).train()
    inputs = sparse_inputs([(np.array([0, 1]), None), (np.array([2]), None)])
    out = short(inputs, targets=[[0], [1]])
    short.loss(out, [[0], [1]]).backward()
    used = set(out.candidates.reshape(-1).tolist())
    for p in (short.lamp.label_embedding.weight, short.lamp.readout):
        rows = set(p.grad.abs().sum(1).nonzero().view(-1).tolist())
        assert rows <= used and rows
    assert short.low_rank.labels.grad.abs().sum(1).gt(0).all()  # the ranker sees all labels


def test_candidate_subgraph_is_the_induced_subgraph():
    L_ = 6
    ei = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 2, 5], [0, 1, 2, 3, 4, 5, 2, 0, 1]])
    keys = torch.sort(ei[0] * L_ + ei[1]).values
    cand = torch.tensor([[2, 0, 4], [5, 1, 3]])
    got = candidate_subgraph(keys, cand, L_)
    want = set()
    for b in range(2):
        for i, t in enumerate(cand[b].tolist()):
            for j, s in enumerate(cand[b].tolist()):
                if (s, t) in set(zip(*ei.tolist())):
                    want.add((b * 3 + j, b * 3 + i))
    assert set(zip(*got.tolist())) == want and got.size(1) == len(want)
    assert torch.all(got[1][1:] >= got[1][:-1])  # sorted by target


def test_low_rank_ranker_and_reprs():
    torch.manual_seed(0)
    r = LowRankRanker(num_labels=4, vocab_size=7, rank=2)
    inputs = sparse_inputs([(np.array([0, 2]), None), (np.array([1]), None)])
    want = torch.stack([r.proj.weight[[4, 6]].sum(0) / 2 ** 0.5, r.proj.weight[5]]) \
        @ r.labels.t() + r.bias
    torch.testing.assert_close(r(inputs.x, inputs.bag_weights, inputs.bag_offsets), want, **TOL)
    assert repr(r) == "LowRankRanker(num_labels=4, vocab_size=7, rank=2)"
    short = ShortlistLaMP(short_config(shortlist=3, ranker_rank=2), LABEL_EI)
    assert repr(short).startswith("ShortlistLaMP(num_labels=5, shortlist=3, ranker=LowRankRanker(")
    assert labels_to_csr([[1], [], [0, 3]])[0].tolist() == [0, 2, 2]


def test_predict_topk_without_dense_scores():
    torch.manual_seed(0)
    short = ShortlistLaMP(short_config(shortlist=3, ranker_rank=2), LABEL_EI).eval()
    rows = [(np.array([0, 1]), None), (np.array([2]), None), (np.array([], dtype=np.int64), None)]
    ids, probs = short.predict_topk(sparse_inputs(rows), k=2)
    out = short(sparse_inputs(rows))
    full = ShortlistLaMP.full_scores(out)
    want = out.logits.topk(2, dim=1)
    assert torch.equal(ids, out.candidates.gather(1, want.indices))
    torch.testing.assert_close(probs, torch.sigmoid(full.gather(1, ids)))
    assert torch.all(probs[:, 0] >= probs[:, 1])
    np_ids, np_probs = predict_topk_rows(short, rows, k=2, batch_size=2)
    assert np.array_equal(np_ids, ids.numpy()) and np.allclose(np_probs, probs.numpy())
    with pytest.raises(ValueError, match="k must be in"):
        short.predict_topk(sparse_inputs(rows), k=4)


def test_pyg_batch_path_is_what_the_training_loop_and_scoring_call():
    """model(batch).logits [B, L] and model.loss(out, y) with y multi-hot, as in
    lamp_pyg.training; build_model picks the class from model.shortlist."""
    torch.manual_seed(0)
    assert isinstance(build_model(short_config(), LABEL_EI), LaMP)
    short = build_model(short_config(shortlist=2, ranker_rank=3), LABEL_EI)
    assert isinstance(short, ShortlistLaMP)
    batch = batch_of(samples())
    y = batch["label"].y
    out = short.train()(batch)
    assert out.logits.shape == (4, L)
    for row in range(4):  # true labels forced in (all fit K = 2)
        assert set(y[row].nonzero().view(-1).tolist()) <= set(out.shortlist.candidates[row].tolist())
    torch.testing.assert_close(short.loss(out, y), short.loss(out.shortlist, LABELS))
    short.loss(out, y).backward()
    scored = short.eval()(batch)
    tokens = TokenBatch.from_lamp(short.lamp.prepare(batch))
    torch.testing.assert_close(scored.logits, ShortlistLaMP.full_scores(short(tokens)))


def test_bad_configs():
    with pytest.raises(ValueError, match="shortlist \\(6\\) must be in \\[1, num_labels=5\\]"):
        ShortlistLaMP(short_config(shortlist=6), LABEL_EI)
    with pytest.raises(ValueError, match="wide='mlp'"):
        ShortlistLaMP(short_config(shortlist=3, wide="mlp"), LABEL_EI)
    with pytest.raises(ValueError, match="shortlist"):
        short_config(shortlist=-1)
    with pytest.raises(ValueError, match="ranker_rank > 0 needs token ids"):
        ShortlistLaMP(short_config(shortlist=2, ranker_rank=2, vocab_size=0, input_dim=3),
                      LABEL_EI)


@pytest.mark.parametrize("rank", [0, 3])
def test_sparse_gradients_equal_the_dense_ones(rank):
    """sparse_grad: the per-label / per-feature rows get sparse gradients, equal to the
    dense path's; the ranker's label vectors stay dense (its loss covers every label)."""
    inputs = sparse_inputs([(np.array([0, 1]), None), (np.array([2]), None)])
    grads = []
    for sparse in (False, True):
        torch.manual_seed(0)
        short = ShortlistLaMP(short_config(shortlist=2, ranker_rank=rank), LABEL_EI).train()
        short.sparse_grad = sparse
        torch.manual_seed(1)
        short.loss(short(inputs, targets=[[0], [1]]), [[0], [1]]).backward()
        grads.append({n: p.grad for n, p in short.named_parameters()})
        assert all(p.grad.is_sparse == sparse for p in short.sparse_parameters())
    assert len(short.sparse_parameters()) == (3 if rank else 2)
    for name, dense in grads[0].items():
        got = grads[1][name]
        torch.testing.assert_close(got.to_dense() if got.is_sparse else got, dense, **TOL)
