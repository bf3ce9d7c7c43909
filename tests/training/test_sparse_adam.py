"""SparseDenseAdam: the shortlist model's optimiser (SparseAdam rows + Adam for the rest)."""
import copy

import numpy as np
import pytest
import torch

from lamp_pyg.models.shortlist import ShortlistLaMP, sparse_inputs
from lamp_pyg.training.config import TrainConfig
from lamp_pyg.training.setup import SparseDenseAdam, make_optimizer
from tests.models.test_lamp import LABEL_EI, LaMP, config
from tests.models.test_shortlist import short_config

INPUTS = sparse_inputs([(np.array([0, 1]), None), (np.array([2]), None)])
LABELS = [[0], [1]]


def step(model, opt):
    opt.zero_grad(set_to_none=True)
    out = model(INPUTS, targets=LABELS)
    model.loss(out, LABELS).backward()
    opt.step()
    return out


def test_make_optimizer_picks_sparse_adam_for_the_shortlist_model_only():
    t = TrainConfig()
    plain = make_optimizer(LaMP(config(), LABEL_EI), t, torch.device("cpu"))
    assert type(plain) is torch.optim.Adam
    short = ShortlistLaMP(short_config(shortlist=2, ranker_rank=3), LABEL_EI)
    assert not short.sparse_grad
    opt = make_optimizer(short, t, torch.device("cpu"))
    assert isinstance(opt, SparseDenseAdam) and short.sparse_grad
    n_sparse = sum(len(g["params"]) for g in opt.sparse.param_groups)
    n_dense = sum(len(g["params"]) for g in opt.dense.param_groups)
    assert n_sparse == 3 and n_sparse + n_dense == len(list(short.parameters()))
    assert {g["lr"] for g in opt.param_groups} == {t.lr}
    for group in opt.param_groups:  # the LR schedule's write reaches both optimisers
        group["lr"] = 0.5
    assert opt.dense.param_groups[0]["lr"] == opt.sparse.param_groups[0]["lr"] == 0.5
    with pytest.raises(ValueError, match="weight_decay"):
        make_optimizer(short, TrainConfig(weight_decay=0.01), torch.device("cpu"))


def test_a_step_moves_the_touched_rows_only():
    torch.manual_seed(0)
    short = ShortlistLaMP(short_config(shortlist=2, ranker_rank=3), LABEL_EI).train()
    opt = SparseDenseAdam(short, lr=1e-2)
    before = [p.detach().clone() for p in short.sparse_parameters()]
    out = step(short, opt)
    labels = set(out.candidates.reshape(-1).tolist())
    tokens = set(INPUTS.x.tolist())
    for p, old, touched in zip(short.sparse_parameters(), before, (labels, labels, tokens)):
        moved = set((p.detach() - old).abs().sum(1).nonzero().view(-1).tolist())
        assert moved == touched, (moved, touched)
    assert short.low_rank.labels.grad.abs().sum(1).gt(0).all()  # dense: every label


def test_state_dict_round_trip_continues_identically():
    torch.manual_seed(0)
    a = ShortlistLaMP(short_config(shortlist=2, ranker_rank=3), LABEL_EI).train()
    b = ShortlistLaMP(short_config(shortlist=2, ranker_rank=3), LABEL_EI).train()
    opt_a = SparseDenseAdam(a, lr=1e-2)
    torch.manual_seed(1)
    step(a, opt_a)
    b.load_state_dict(a.state_dict())
    opt_b = SparseDenseAdam(b, lr=1e-2)
    opt_b.load_state_dict(copy.deepcopy(opt_a.state_dict()))  # as a checkpoint file would
    for model, opt in ((a, opt_a), (b, opt_b)):
        torch.manual_seed(2)
        step(model, opt)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(pa, pb), name
    with pytest.raises(ValueError, match="not a shortlist model's"):
        opt_b.load_state_dict(torch.optim.Adam(b.parameters()).state_dict())
