"""The weight average (lamp_pyg.training.ema) and ``train.ema_decay`` in the training loop."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.evaluation import binarize, example_f1
from lamp_pyg.evaluation.thresholds import tune_global
from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint
from lamp_pyg.training.config import load_config
from lamp_pyg.training.ema import WeightAverage
from lamp_pyg.training import load_datasets, predict_scores, train
from tests.training.helpers import assert_close_nested, read_metrics, read_results, write_config


def quiet(*args):
    pass


def run(cfg_dict, tmp_path, name="run", resume=False):
    cfg = load_config(write_config(tmp_path / f"{name}.yaml", cfg_dict))
    return train(cfg, tmp_path / name, resume=resume, log=quiet)


def test_average_follows_the_formula_with_its_warm_up_ramp():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    ema = WeightAverage(model, decay=0.9)
    expected = [p.detach().clone() for p in model.parameters()]
    for t in range(4):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        d = min(0.9, (1 + t) / (10 + t))
        expected = [d * e + (1 - d) * p.detach() for e, p in zip(expected, model.parameters())]
        ema.update()
    assert ema.num_updates == 4
    for e, s in zip(expected, ema.shadow):
        torch.testing.assert_close(s, e, rtol=0, atol=1e-6)
    assert ema.current_decay() == pytest.approx(min(0.9, 5 / 14))


def test_swapped_holds_the_average_inside_and_restores_live_weights_exactly():
    model = torch.nn.Linear(4, 4)
    ema = WeightAverage(model, decay=0.5)
    with torch.no_grad():
        model.weight.mul_(3.0)
    ema.update()
    live = {k: v.clone() for k, v in model.state_dict().items()}
    with ema.swapped():
        for p, s in zip(model.parameters(), ema.shadow):
            assert torch.equal(p, s)
        assert not torch.equal(model.weight, live["weight"])
    for k, v in model.state_dict().items():
        assert torch.equal(v, live[k]), k


def test_state_dict_round_trip_and_mismatch_error():
    a = WeightAverage(torch.nn.Linear(2, 2), 0.99)
    a.update()
    b = WeightAverage(torch.nn.Linear(2, 2), 0.99)
    b.load_state_dict(a.state_dict())
    assert b.num_updates == 1
    assert all(torch.equal(x, y) for x, y in zip(a.shadow, b.shadow))
    with pytest.raises(ValueError, match="does not match"):
        WeightAverage(torch.nn.Linear(3, 2), 0.99).load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(torch.nn.Linear(2, 2), 1.0)


def test_config_rejects_a_decay_outside_zero_one(tmp_path, dense_cfg):
    from lamp_pyg.typed_yaml import ConfigError
    path = write_config(tmp_path / "bad.yaml", dense_cfg(train={"ema_decay": 1.5}))
    with pytest.raises(ConfigError, match="ema_decay"):
        load_config(path)


def test_training_scores_and_saves_the_average(tmp_path, dense_cfg):
    rep = run(dense_cfg(train={"ema_decay": 0.9}, eval={"plots": False}), tmp_path)
    d = tmp_path / "run"
    best, last = load_checkpoint(d / "best.pt"), load_checkpoint(d / "last.pt")
    assert last["ema"]["num_updates"] == 2 * 9  # 2 epochs of 9 steps
    names = [k for k, _ in model_from_checkpoint(last).named_parameters()]
    # the average is what was scored: epoch 2's valid score comes from the averaged
    # weights of last.pt, not from its live weights
    ds = load_datasets(load_config(d / "config.yaml"))
    cpu = torch.device("cpu")
    averaged = model_from_checkpoint({**last, "model": {**last["model"], **dict(
        zip(names, last["ema"]["shadow"]))}})
    logged = read_metrics(d)[1]
    for model, same in ((averaged, True), (model_from_checkpoint(last), False)):
        Sv, Yv = predict_scores(model, ds["valid"], cpu)
        Sl, _ = predict_scores(model_from_checkpoint(last), ds["valid"], cpu)
        if same:
            assert tune_global(Yv, Sv, "ebF1")[1] == pytest.approx(logged["valid_ebF1"], abs=1e-9)
        assert (abs(Sv - Sl).max() > 1e-4) == same
    # last.pt keeps the live weights and the average; best.pt's model is the average
    if rep["best_epoch"] == 2:
        for name, avg in zip(names, last["ema"]["shadow"]):
            torch.testing.assert_close(best["model"][name], avg, rtol=0, atol=0)
        assert any(not torch.equal(best["model"][n], last["model"][n]) for n in names)
    # the stored weights + threshold reproduce the reported test ebF1
    test = load_datasets(load_config(d / "config.yaml"))["test"]
    S, Y = predict_scores(model_from_checkpoint(best), DataLoader(test, batch_size=64),
                          torch.device("cpu"))
    assert example_f1(Y, binarize(S, best["thresholds"]["ebF1"])) == pytest.approx(
        rep["headline"]["ebF1"]["test"], abs=1e-6)


def test_resume_with_the_average_matches_the_uninterrupted_run(tmp_path, dense_cfg):
    cfg = dense_cfg(train={"ema_decay": 0.9}, eval={"plots": False})
    run(cfg, tmp_path, "full")
    one = dense_cfg(train={"ema_decay": 0.9, "epochs": 1}, eval={"plots": False})
    run(one, tmp_path, "resumed")
    run(cfg, tmp_path, "resumed", resume=True)
    assert_close_nested(read_metrics(tmp_path / "resumed"), read_metrics(tmp_path / "full"),
                        1e-6, "metrics.jsonl")
    assert_close_nested(read_results(tmp_path / "resumed"), read_results(tmp_path / "full"),
                        1e-6, "results.json")
