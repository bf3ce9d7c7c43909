"""The ``lamp-pyg`` command in-process: its subcommands, shipped configs by name, and
choice flags that list their values (in ``--help`` and in the error for a wrong one)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lamp_pyg.cli.main import main
from lamp_pyg.shipped import describe, resolve_config, shipped_configs

REPO = Path(__file__).resolve().parents[2]


def test_shipped_configs_are_the_checkout_configs():
    shipped = shipped_configs()
    assert set(shipped) == {p.stem for p in (REPO / "configs").glob("*.yaml")}
    for name, path in shipped.items():  # one copy: the package's folder is configs/
        assert path.read_bytes() == (REPO / "configs" / f"{name}.yaml").read_bytes()
        assert path.samefile(REPO / "configs" / f"{name}.yaml")


def test_configs_lists_each_with_what_it_is_for(capsys):
    assert main(["configs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [l.split()[0] for l in lines] == sorted(shipped_configs())
    own = next(l for l in lines if l.startswith("own_data "))
    assert own.split(None, 1)[1] == describe(shipped_configs()["own_data"])
    assert "The config to start from for your own data" in own  # not the command line


def test_a_name_resolves_to_the_shipped_config_and_a_file_wins(tmp_path, monkeypatch):
    assert resolve_config("own_data") == shipped_configs()["own_data"]
    assert resolve_config("own_data.yaml") == shipped_configs()["own_data"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "own_data.yaml").write_text("train: {epochs: 1}\n")
    assert resolve_config("own_data.yaml") == Path("own_data.yaml")  # your file first
    assert resolve_config("sub/default.yaml") == Path("sub/default.yaml")  # a path stays one


def test_train_by_name_loads_the_shipped_config(capsys, tmp_path):
    """A bad override on a config given by name: the error names the shipped file (it was
    found and read) and the key."""
    rc = main(["train", "--config", "default", "--run-dir", str(tmp_path / "r"),
               "--set", "graph.kind=priors"])
    err = capsys.readouterr().err
    assert rc == 2 and "default.yaml" in err and "graph.kind" in err
    assert "'prior'" in err  # the choices are listed


def test_an_unknown_config_name_lists_the_shipped_ones(capsys):
    assert main(["train", "--config", "own_dta"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --config own_dta: no such file") and "own_data" in err


def test_prepare_help_lists_the_formats_and_other_choices(capsys):
    with pytest.raises(SystemExit) as e:
        main(["prepare", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--format {arff,libsvm,text_table,numeric_table,jsonl," in out
    assert "--dense-mode {linear,nodes,sparse,auto}" in out and "--tokenizer {reuters,words}" in out
    assert "--drop-unlabeled {true,false}" in out
    assert "--max-len VALUE" in out


def test_a_wrong_choice_is_refused_listing_the_choices(capsys, tmp_path):
    assert main(["prepare", "mine", "--format", "csv", "--train", "a", "--test", "b",
                 "--cache", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "key 'format' (--format)" in err and "'arff', 'libsvm', 'text_table'" in err
    assert main(["prepare", "synthetic", "--dense-mode", "node", "--cache", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "'linear', 'nodes'" in err and "did you mean 'nodes'" in err


def test_predict_needs_a_run_dir_and_reports_a_missing_one(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["predict"])
    assert "RUN_DIR" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "nope"), "--input", "x"]) == 2
    assert "nope" in capsys.readouterr().err


def test_commands_and_usage(capsys):
    assert main([]) == 2
    assert "{train,predict,prepare,configs}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["fit"])
    assert e.value.code == 2 and "invalid choice: 'fit'" in capsys.readouterr().err


def test_python_dash_m_is_the_same_command():
    r = subprocess.run([sys.executable, "-m", "lamp_pyg", "configs"], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("bibtex ")
