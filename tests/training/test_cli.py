"""train.py, the command line: exit codes and one-line messages for every kind of error,
the default run directory, --resume. Most tests call ``main(argv)`` in-process (it
returns the exit code that ``sys.exit`` gets); a few run the real ``python train.py``."""
from __future__ import annotations

import pytest

from tests.training.helpers import REPO, cli, copy_run
from tests.training.helpers import main_in_process as main
from tests.training.helpers import (one_line_error, read_metrics, read_results, run_train_py,
                                    write_config)


# --------------------------------------------------------------------------- config errors

def test_misspelt_override_exits_2_naming_the_key(tmp_path, dense_cfg, capsys):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, out, err = main(["--config", cfg, "--run-dir", tmp_path / "run",
                         "--set", "model.d_modle=3"], capsys)
    assert rc == 2
    msg = one_line_error(err)
    assert "model.d_modle" in msg and "did you mean 'd_model'" in msg
    assert not (tmp_path / "run").exists()  # nothing started


def test_misspelt_override_in_a_real_process(tmp_path, dense_cfg):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    r = run_train_py(["--config", str(cfg), "--run-dir", str(tmp_path / "run"),
                      "--set", "model.d_modle=3"])
    assert r.returncode == 2, r.stderr
    msg = one_line_error(r.stderr)
    assert "model.d_modle" in msg and "d_model" in msg


def test_unknown_key_in_the_file_names_file_key_and_suggestion(tmp_path, dense_cfg, capsys):
    d = dense_cfg()
    d["train"]["epoch"] = 3
    cfg = write_config(tmp_path / "typo.yaml", d)
    rc, _, err = main(["--config", cfg], capsys)
    assert rc == 2
    msg = one_line_error(err)
    assert str(cfg) in msg and "train.epoch" in msg and "'epochs'" in msg


@pytest.mark.parametrize("override, key", [
    ("train.batch_size=big", "train.batch_size"),
    ("graph.kind=priors", "graph.kind"),
    ("train.select_metric=F1", "train.select_metric"),
    ("train.epochs=0", "train"),
    ("model.dropout", "model.dropout"),  # no '='
])
def test_bad_override_values_exit_2(tmp_path, dense_cfg, capsys, override, key):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, _, err = main(["--config", cfg, "--run-dir", tmp_path / "run", "--set", override], capsys)
    assert rc == 2
    assert key in one_line_error(err)


def test_missing_config_file_exits_2(tmp_path, capsys):
    rc, _, err = main(["--config", tmp_path / "nope.yaml"], capsys)
    assert rc == 2
    assert "nope.yaml" in one_line_error(err)


def test_no_config_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        cli().main([])
    assert e.value.code == 2
    assert "--config" in capsys.readouterr().err


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as e:
        cli().main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--config", "--set", "--run-dir", "--resume", "--predict", "--input", "--top"):
        assert opt in out


def test_model_that_cannot_be_built_exits_2(tmp_path, dense_cfg, capsys):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg(model={"d_model": 30, "heads": 4}))
    rc, _, err = main(["--config", cfg, "--run-dir", tmp_path / "run"], capsys)
    assert rc == 2
    msg = one_line_error(err)
    assert "d_model (30)" in msg and "heads (4)" in msg


# --------------------------------------------------------------------------- data errors

def test_missing_data_path_exits_2_naming_dataset_and_path(tmp_path, dense_cfg, capsys):
    missing = tmp_path / "downloads" / "emotions"
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, _, err = main(["--config", cfg, "--run-dir", tmp_path / "run",
                       "--set", f"data.path={missing}"], capsys)
    assert rc == 2
    msg = one_line_error(err)
    assert "'emotions'" in msg and str(missing) in msg


def test_missing_data_root_names_the_expected_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LAMP_PYG_DATA", raising=False)
    root = tmp_path / "data"
    rc, _, err = main(["--config", REPO / "configs" / "yeast.yaml", "--run-dir", tmp_path / "run",
                       "--set", f"data.root={root}", "--set", f"data.cache={tmp_path / 'cache'}"],
                      capsys)
    assert rc == 2
    msg = one_line_error(err)
    assert "'yeast'" in msg and str(root / "mulan" / "yeast") in msg


def test_dataset_needing_files_without_path_says_what_to_set(tmp_path, text_cfg, capsys,
                                                             monkeypatch):
    monkeypatch.delenv("LAMP_PYG_DATA", raising=False)
    d = text_cfg()
    del d["data"]["path"]
    rc, _, err = main(["--config", write_config(tmp_path / "c.yaml", d)], capsys)
    assert rc == 2
    msg = one_line_error(err)
    assert "'lamp_text' needs path" in msg and "data" in msg


def test_unknown_dataset_name_suggests_the_closest(tmp_path, dense_cfg, capsys):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, _, err = main(["--config", cfg, "--set", "data.name=emotion"], capsys)
    assert rc == 2
    assert "did you mean 'emotions'" in one_line_error(err)


# --------------------------------------------------------------------------- runs

def test_default_run_dir_resolved_config_and_resume(tmp_path, dense_cfg, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = write_config(tmp_path / "tiny-emotions.yaml",
                       dense_cfg(train={"epochs": 1}, eval={"plots": False}))
    rc, out, err = main(["--config", cfg, "--set", "graph.kind=edgeless",
                         "--set", "train.seed=3"], capsys)
    assert rc == 0, err
    run_dir = tmp_path / "runs" / "tiny-emotions-edgeless-seed3"
    rep = read_results(run_dir)
    assert (rep["graph"], rep["seed"]) == ("edgeless", 3)
    assert "--set graph.kind=edgeless --set train.seed=3" in out  # the command ...
    assert "kind: edgeless" in out and "seed: 3" in out  # ... and the resolved config
    assert f"# run directory: {run_dir.relative_to(tmp_path)}" in out
    assert "results.txt" in out

    # the same command again without --resume: refused, nothing changed
    before = (run_dir / "last.pt").read_bytes()
    rc, _, err = main(["--config", cfg, "--set", "graph.kind=edgeless", "--set", "train.seed=3"],
                      capsys)
    assert rc == 2 and "--resume" in one_line_error(err)
    assert (run_dir / "last.pt").read_bytes() == before

    # with --resume: a finished run is reported again, nothing is trained twice
    rc, out, err = main(["--config", cfg, "--set", "graph.kind=edgeless", "--set", "train.seed=3",
                         "--resume"], capsys)
    assert rc == 0, err
    assert "resumed from" in out and "epoch 1:" not in out
    assert [r["epoch"] for r in read_metrics(run_dir)] == [1]


def test_resume_with_other_model_exits_2_naming_the_key(tmp_path, dense_cfg, dense_run, capsys):
    run_dir = copy_run(dense_run, tmp_path / "run")
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, _, err = main(["--config", cfg, "--run-dir", run_dir, "--resume",
                       "--set", "model.heads=4"], capsys)
    assert rc == 2
    assert "model.heads" in one_line_error(err)


def test_truncated_checkpoint_exits_2_naming_it(tmp_path, dense_cfg, dense_run, capsys):
    run_dir = copy_run(dense_run, tmp_path / "run")
    data = (run_dir / "last.pt").read_bytes()
    (run_dir / "last.pt").write_bytes(data[:100])
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    rc, _, err = main(["--config", cfg, "--run-dir", run_dir, "--resume"], capsys)
    assert rc == 2
    assert str(run_dir / "last.pt") in one_line_error(err)

    rc, _, err = main(["--predict", run_dir / "last.pt", "--input", "1,2,3,4,5,6"], capsys)
    assert rc == 2
    assert str(run_dir / "last.pt") in one_line_error(err)


def test_nan_loss_exits_1_with_a_clear_message(tmp_path, dense_cfg, capsys):
    cfg = write_config(tmp_path / "c.yaml", dense_cfg())
    run_dir = tmp_path / "run"
    rc, _, err = main(["--config", cfg, "--run-dir", run_dir, "--set", "train.lr=1e30"], capsys)
    assert rc == 1
    msg = one_line_error(err)
    assert "loss is" in msg and "train.lr" in msg
    last = run_dir / "last.pt"
    if last.exists():  # the message names the checkpoint that is kept, and it loads
        from lamp_pyg.training.checkpoint import load_checkpoint
        assert str(last) in msg
        load_checkpoint(last)
    else:
        assert "no checkpoint" in msg
    assert not (run_dir / "results.json").exists()
