"""Prediction with a trained checkpoint (lamp_pyg.training.predict and train.py --predict)."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.training.checkpoint import load_checkpoint
from lamp_pyg.training.config import load_config
from lamp_pyg.training import load_datasets, predict_scores
from lamp_pyg.training.predict import Predictor
from lamp_pyg.training.loop import train
from tests.training.helpers import (DENSE_FEATURES, DENSE_LABELS, SPARSE_LABELS, cli,
                                    read_results, run_train_py, write_config, write_sparse_data)


def raw_test_lines(text_data, n=None):
    lines = (text_data / "test_inputs.txt").read_text().splitlines()
    return lines[:n] if n else lines


def dataset_scores(run):
    """Scores of the run's best model on its test split, through the dataset pipeline."""
    cfg = load_config(run["config"])
    pred = Predictor.from_checkpoint(run["run_dir"] / "best.pt")
    S, _ = predict_scores(pred.model, DataLoader(load_datasets(cfg)["test"], batch_size=64),
                          torch.device("cpu"))
    return pred, S


# --------------------------------------------------------------------------- Predictor

def test_uses_the_threshold_tuned_on_validation(text_run):
    best = text_run["run_dir"] / "best.pt"
    headline = read_results(text_run["run_dir"])["headline"]
    assert Predictor.from_checkpoint(best).threshold == headline["ebF1"]["threshold"]
    assert Predictor.from_checkpoint(best, metric="miF1").threshold == headline["miF1"]["threshold"]
    assert Predictor.from_checkpoint(best).threshold == load_checkpoint(best)["thresholds"]["ebF1"]
    # last.pt never got thresholds: the documented fallback
    assert Predictor.from_checkpoint(text_run["run_dir"] / "last.pt").threshold == 0.5


def test_predicts_label_names_with_probabilities_above_the_threshold(text_run, text_data):
    pred = Predictor.from_checkpoint(text_run["run_dir"] / "best.pt")
    lines = raw_test_lines(text_data, 20)
    P = pred.predict_proba(lines)
    results = pred.predict(lines)
    L = len(pred.label_names)
    assert P.shape == (20, L) and len(results) == 20
    assert ((P >= 0) & (P <= 1)).all()
    names = load_checkpoint(text_run["run_dir"] / "best.pt")["meta"]["label_names"]
    assert pred.label_names == names
    assert any(results), "a trained model should predict some label for some test line"
    for i, res in enumerate(results):
        probs = [p for _, p in res]
        assert probs == sorted(probs, reverse=True)
        assert all(isinstance(n, str) and n in names for n, _ in res)
        assert all(p >= pred.threshold for p in probs)
        # exactly the labels clearing the threshold, with their probabilities
        expected = {names[j]: P[i, j] for j in np.flatnonzero(P[i] >= pred.threshold)}
        assert {n: p for n, p in res} == pytest.approx(expected)


def test_raw_lines_score_like_the_prepared_test_split(text_run, text_data):
    """Raw text -> the stored vocabulary -> model gives what the cached dataset gives."""
    pred, S = dataset_scores(text_run)
    np.testing.assert_allclose(pred.predict_proba(raw_test_lines(text_data)), S, atol=1e-5, rtol=0)


def test_unknown_words_case_and_empty_lines(text_run, text_data):
    pred = Predictor.from_checkpoint(text_run["run_dir"] / "best.pt")
    line = raw_test_lines(text_data, 1)[0]
    P = pred.predict_proba([line, line.upper(), line + " zzz-never-seen"])
    L = len(pred.label_names)
    assert P.shape == (3, L) and np.isfinite(P).all()
    np.testing.assert_allclose(P[0], P[1], atol=1e-6)  # inputs are lower-cased like the data
    n = len(line.split())
    assert pred.known([line, line + " zzz-never-seen"]) == [(n, n), (n, n + 1)]
    assert pred.predict([]) == [] and pred.predict_proba([]).shape == (0, L)


@pytest.mark.parametrize("bad, words", [
    ("", ["input 2", "is empty"]),
    ("   ", ["input 2", "is empty"]),
    ("zzz-never-seen qqq", ["input 2", "none of its 2 tokens is known"]),
    ("0.5, 1.25, 3", ["input 2", "none of its", "right kind of input"]),
])
def test_empty_or_unknown_input_is_refused(text_run, text_data, bad, words):
    pred = Predictor.from_checkpoint(text_run["run_dir"] / "best.pt")
    with pytest.raises(ValueError) as e:
        pred.predict([raw_test_lines(text_data, 1)[0], bad])
    for w in words:
        assert w in str(e.value)


def test_input_longer_than_any_training_sample(text_run, text_data):
    """No data.max_len: a raw input may be longer than every sample the position table
    was sized for; it must still be scored, and shorter inputs score as before."""
    pred = Predictor.from_checkpoint(text_run["run_dir"] / "best.pt")
    lines = raw_test_lines(text_data, 3)
    before = pred.predict_proba(lines)
    longest = pred.model.config.max_positions
    P = pred.predict_proba([" ".join(["w1"] * (longest + 10))] + lines)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P[1:], before, atol=1e-6, rtol=0)


def test_dense_vectors_score_like_the_prepared_test_split(dense_run, dense_data):
    _, X_test, _ = dense_data
    pred, S = dataset_scores(dense_run)
    commas = [",".join(f"{v:.4f}" for v in row) for row in X_test]
    spaces = [" ".join(f"{v:.4f}" for v in row) for row in X_test]
    np.testing.assert_allclose(pred.predict_proba(commas), S, atol=1e-5, rtol=0)
    np.testing.assert_allclose(pred.predict_proba(spaces), S, atol=1e-5, rtol=0)
    assert all(n in DENSE_LABELS for res in pred.predict(commas) for n, _ in res)


def one_epoch_run(tmp_path, cfg_dict):
    cfg_path = write_config(tmp_path / "c.yaml", cfg_dict)
    train(load_config(cfg_path), tmp_path / "run", log=lambda *a: None)
    return {"config": cfg_path, "run_dir": tmp_path / "run"}


def test_dense_linear_mode_scores_like_the_prepared_test_split(tmp_path, dense_cfg, dense_data):
    """dense_mode: linear (one vector "token" per sample) goes through another branch."""
    run = one_epoch_run(tmp_path, dense_cfg(data={"dense_mode": "linear"}, train={"epochs": 1},
                                            eval={"plots": False}))
    pred, S = dataset_scores(run)
    assert pred.model.config.input_dim == DENSE_FEATURES
    rows = [",".join(f"{v:.4f}" for v in row) for row in dense_data[1]]
    np.testing.assert_allclose(pred.predict_proba(rows), S, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=f"expected {DENSE_FEATURES} feature values, got 2"):
        pred.predict(["1,2"])


def test_sparse_feature_indices_score_like_the_prepared_test_split(tmp_path, cache):
    """Binary sparse rows (bibtex-like): 'i j k' and 'i:1 j:1 k:1' name the features that are 1."""
    from tests.training.helpers import config_dict

    folder, test_rows = write_sparse_data(tmp_path / "bibtex")
    run = one_epoch_run(tmp_path, config_dict({"name": "bibtex", "path": str(folder)}, cache,
                                              train={"epochs": 1, "batch_size": 8},
                                              eval={"plots": False}))
    pred, S = dataset_scores(run)
    assert pred.kind == "sparse" and pred.label_names == list(SPARSE_LABELS)
    plain = [" ".join(map(str, r)) for r in test_rows]
    pairs = [" ".join(f"{i}:1" for i in r) for r in test_rows]
    np.testing.assert_allclose(pred.predict_proba(plain), S, atol=1e-5, rtol=0)
    np.testing.assert_allclose(pred.predict_proba(pairs), S, atol=1e-5, rtol=0)


@pytest.mark.parametrize("values", ["1.0,2.0,3.0", ",".join(["1.5"] * (DENSE_FEATURES + 1)), ""])
def test_dense_vector_of_wrong_length_is_a_clear_error(dense_run, values):
    pred = Predictor.from_checkpoint(dense_run["run_dir"] / "best.pt")
    n = len([v for v in values.split(",") if v])
    with pytest.raises(ValueError, match=f"expected {DENSE_FEATURES} feature values, got {n}"):
        pred.predict([values])


# --------------------------------------------------------------------------- train.py --predict

def parse_output(out):
    """``'text...': a (0.912), b (0.503)`` lines -> [[('a', 0.912), ('b', 0.503)], ...]"""
    rows = []
    for line in out.splitlines():
        _, _, labels = line.rpartition("': ")
        rows.append([(m.group(1), float(m.group(2)))
                     for m in re.finditer(r"(\S+) \((\d\.\d{3})\)", labels)])
    return rows


def test_cli_predict_prints_labels_and_probabilities(text_run, text_data, capsys):
    best = text_run["run_dir"] / "best.pt"
    lines = raw_test_lines(text_data, 5)
    rc = cli().main(["--predict", str(best)] + [a for l in lines for a in ("--input", l)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    expected = Predictor.from_checkpoint(best).predict(lines)
    printed = out.strip().splitlines()
    assert len(printed) == 5
    for line, shown, exp in zip(printed, parse_output(out), expected):
        assert [n for n, _ in shown] == [n for n, _ in exp[:10]]
        assert [p for _, p in shown] == pytest.approx([p for _, p in exp[:10]], abs=5e-4)
        if not exp:
            assert "(no label above threshold)" in line

    rc = cli().main(["--predict", str(best), "--top", "1"] + [a for l in lines for a in ("--input", l)])
    assert rc == 0
    assert all(len(r) <= 1 for r in parse_output(capsys.readouterr().out))


def test_cli_predict_reads_stdin(text_run, text_data, capsys, monkeypatch):
    lines = raw_test_lines(text_data, 3)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    rc = cli().main(["--predict", str(text_run["run_dir"] / "best.pt"), "--input", "-"])
    out = capsys.readouterr().out
    assert rc == 0 and len(out.strip().splitlines()) == 3


def test_cli_predict_in_a_real_process(text_run, text_data):
    best = text_run["run_dir"] / "best.pt"
    line = raw_test_lines(text_data, 1)[0]
    r = run_train_py(["--predict", str(best), "--input", line])
    assert r.returncode == 0, r.stderr
    exp = Predictor.from_checkpoint(best).predict([line])[0]
    shown = parse_output(r.stdout.strip())[0]
    assert [n for n, _ in shown] == [n for n, _ in exp[:10]]


@pytest.mark.parametrize("values, message", [
    ("0.1,0.2,0.3", f"expected {DENSE_FEATURES} feature values, got 3"),
    (",".join(["x"] * DENSE_FEATURES), "could not convert"),
])
def test_cli_predict_bad_dense_input_exits_2(dense_run, capsys, values, message):
    rc = cli().main(["--predict", str(dense_run["run_dir"] / "best.pt"), "--input", values])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and "Traceback" not in err


def test_at_least_one_thresholds_are_stored_and_used(text_run, text_data, tmp_path):
    from lamp_pyg.training.loop import final_report
    from tests.training.helpers import copy_run
    with pytest.raises(ValueError, match="eval.at_least_one"):  # never tuned for the rule
        Predictor.from_checkpoint(text_run["run_dir"] / "best.pt", at_least_one=True)
    run_dir = copy_run(text_run, tmp_path / "run")
    cfg = load_config(text_run["config"], ["eval.at_least_one=true"])
    report = final_report(cfg, run_dir, load_datasets(cfg), torch.device("cpu"), log=lambda *a: None)
    plain = read_results(text_run["run_dir"])["headline"]
    one = report["headline"]["ebF1"]["at_least_one"]
    assert report["headline"]["ebF1"]["test"] == pytest.approx(plain["ebF1"]["test"])
    assert read_results(run_dir)["headline"]["ebF1"]["at_least_one"]["threshold"] == one["threshold"]
    assert ">=1 label" in (run_dir / "results.txt").read_text()
    assert load_checkpoint(run_dir / "best.pt")["thresholds_at_least_one"]["ebF1"] == one["threshold"]
    # by default the predictor decodes with the rule chosen on validation
    chosen = report["headline"]["ebF1"]["chosen"]
    assert load_checkpoint(run_dir / "best.pt")["rule_chosen"]["ebF1"] == chosen["rule"]
    default = Predictor.from_checkpoint(run_dir / "best.pt")
    assert (default.threshold, default.at_least_one) == (chosen["threshold"],
                                                         chosen["rule"] == "at_least_one")
    forced = Predictor.from_checkpoint(run_dir / "best.pt", at_least_one=False)
    assert (forced.threshold, forced.at_least_one) == (report["headline"]["ebF1"]["threshold"], False)
    pred = Predictor.from_checkpoint(run_dir / "best.pt", at_least_one=True)
    assert pred.threshold == one["threshold"]
    lines = raw_test_lines(text_data, 40)
    P = pred.predict_proba(lines)
    results = pred.predict(lines)
    assert all(results)  # every input gets a label
    for p, res in zip(P, results):
        above = {pred.label_names[j] for j in np.flatnonzero(p >= pred.threshold)}
        names = {name for name, _ in res}
        assert names == (above or {pred.label_names[int(np.argmax(p))]})
    # a high threshold empties rows: the rule fills them, the plain predictor does not
    pred.threshold = 1.01
    assert all(len(r) == 1 for r in pred.predict(lines))
    pred.at_least_one = False
    assert not any(pred.predict(lines))
    rc = cli().main(["--predict", str(run_dir / "best.pt"), "--at-least-one", "--input", lines[0]])
    assert rc == 0
    assert cli().main(["--predict", str(run_dir / "best.pt"), "--no-at-least-one",
                       "--input", lines[0]]) == 0
