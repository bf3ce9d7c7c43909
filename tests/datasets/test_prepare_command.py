"""datasets/prepare.py: every data.* key as a flag, registered names and own files alike."""
from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import REPO
from tests.training.own_data import write_files


def prepare_main():
    spec = importlib.util.spec_from_file_location("prepare_cli", REPO / "datasets" / "prepare.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def test_own_files_through_flags_then_reused(tmp_path, capsys):
    write_files({"format": "jsonl", "train": "tr.jsonl", "test": "te.jsonl"}, tmp_path)
    args = ["mine", "--format", "jsonl", "--root", str(tmp_path), "--train", "tr.jsonl",
            "--test", "te.jsonl", "--cache", str(tmp_path / "cache"), "--drop-unlabeled", "true"]
    assert prepare_main()(args) == 0
    out = capsys.readouterr().out
    assert f"data mine: jsonl: train {tmp_path / 'tr.jsonl'}" in out and "(built in" in out
    assert "train samples with no label (dropped, LaMP rule)" in out  # the flag was applied
    assert prepare_main()(args) == 0
    assert "(reused)" in capsys.readouterr().out


def test_builtin_name_and_list(tmp_path, capsys):
    assert prepare_main()(["synthetic", "--cache", str(tmp_path)]) == 0
    assert "dataset synthetic (text), 30 labels" in capsys.readouterr().out
    assert prepare_main()(["--list"]) == 0
    out = capsys.readouterr().out
    assert "bibtex" in out and "mulan/bibtex" in out and "(built in)" in out


def test_every_data_key_is_a_flag(capsys):
    import dataclasses

    from lamp_pyg.training.config import DataConfig
    with pytest.raises(SystemExit):
        prepare_main()(["--help"])
    help_text = capsys.readouterr().out
    for f in dataclasses.fields(DataConfig):
        if f.name != "name":
            assert "--" + f.name.replace("_", "-") in help_text, f.name
    with pytest.raises(SystemExit):
        prepare_main()(["x", "--no-such-flag", "1"])
