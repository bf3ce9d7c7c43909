"""Sources: formats, files, fingerprints and registered names (lamp_pyg.io.sources)."""
import numpy as np
import pytest

from lamp_pyg.io import sources
from lamp_pyg.io.sources import (DATASETS, FORMATS, SourceSpec, parse_input, register_dataset,
                                 resolve_source)


def tables(tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        (tmp_path / f"{split}.csv").write_text("text,labels\nhello world,a b\nbye,b\n")
    return SourceSpec(format="text_table", train="train.csv", test="test.csv")


def test_relative_paths_start_at_the_root_and_must_exist(tmp_path):
    spec = tables(tmp_path).resolved(tmp_path)
    assert spec.train == str(tmp_path / "train.csv")
    with pytest.raises(FileNotFoundError, match=r"data.valid: .*nope.csv does not exist"):
        SourceSpec(format="jsonl", train="train.csv", test="test.csv",
                   valid="nope.csv").resolved(tmp_path)


def test_paths_expand_home_and_variables(tmp_path, monkeypatch):
    tables(tmp_path)
    monkeypatch.setenv("MY_DATA", str(tmp_path))
    spec = SourceSpec(format="text_table", train="$MY_DATA/train.csv",
                      test="${MY_DATA}/test.csv").resolved(None)
    assert spec.test == str(tmp_path / "test.csv")
    monkeypatch.delenv("MY_DATA")
    with pytest.raises(ValueError, match=r"data.train: '\$MY_DATA/train.csv' names an "
                                         "environment variable that is not set"):
        SourceSpec(format="text_table", train="$MY_DATA/train.csv", test="x").resolved(None)


@pytest.mark.parametrize("kwargs, words", [
    (dict(format="arff", train="a"), ["needs", "test"]),
    (dict(format="reuters"), ["needs path"]),
    (dict(format="jsonl", train="a", test="b", columns=["x"]), ["columns has no effect",
                                                                "'jsonl'"]),
    (dict(format="arff", train="a", test="b", text_field="body"), ["text_field"]),
    (dict(format="libsvm", train="a", test="b", missing="zero"), ["missing"]),
    (dict(format="arff", train="a", test="b", tokenizer="words"), ["tokenizer has no effect"]),
])
def test_a_format_says_what_it_needs_and_what_it_ignores(kwargs, words):
    with pytest.raises(ValueError) as e:
        SourceSpec(**kwargs).validate()
    for w in words:
        assert w in str(e.value)


def test_every_format_has_a_reader_and_the_spec_allows_it():
    assert set(FORMATS) == set(sources.FORMAT_NAMES)
    for name, fmt in FORMATS.items():
        assert set(fmt.needs) <= set(fmt.uses), name
        assert fmt.tokenizer in (None, "reuters", "words"), name


def test_fingerprint_follows_content_options_and_path(tmp_path):
    spec = tables(tmp_path).resolved(tmp_path)
    a = spec.fingerprint()
    assert a == spec.fingerprint() and set(a["files"]) == {spec.train, spec.test}
    assert SourceSpec(**{**spec.__dict__, "label_sep": ";"}).fingerprint()["key"] != a["key"]
    assert SourceSpec(**{**spec.__dict__, "tokenizer": "words"}).fingerprint()["key"] != a["key"]
    (tmp_path / "train.csv").write_text("text,labels\nhello world,a b\nbye,c\n")
    assert spec.fingerprint()["key"] != a["key"]
    (tmp_path / "copy").mkdir()
    for f in ("train.csv", "test.csv"):
        (tmp_path / "copy" / f).write_bytes((tmp_path / f).read_bytes())
    moved = SourceSpec(format="text_table", train="train.csv",
                       test="test.csv").resolved(tmp_path / "copy").fingerprint()
    assert sorted(moved["files"].values()) == sorted(spec.fingerprint()["files"].values())
    assert moved["key"] != spec.fingerprint()["key"]  # another path is another source


def test_a_folder_source_hashes_every_file_in_it(tmp_path):
    (tmp_path / "a.sgm").write_text("x")
    spec = SourceSpec(format="reuters", path=str(tmp_path))
    before = spec.fingerprint()["key"]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.sgm").write_text("y")
    assert spec.fingerprint()["key"] != before and len(spec.files()) == 2


def test_register_dataset_is_public_and_used_by_name(tmp_path, monkeypatch):
    tables(tmp_path / "mine")
    monkeypatch.setattr(sources, "DATASETS", dict(DATASETS))
    register_dataset("mine", "mine", format="text_table", train="train.csv", test="test.csv",
                     about="my tables")
    spec = resolve_source("mine", data_root=str(tmp_path))
    assert spec.train == str(tmp_path / "mine" / "train.csv")
    raw = spec.read("mine")
    assert raw.label_names == ["a", "b"] and len(raw.splits["train"]) == 2
    with pytest.raises(ValueError, match="give format"):
        register_dataset("nofmt", "x")
    with pytest.raises(ValueError, match="needs"):
        register_dataset("broken", "x", format="arff", train="a")


def test_builtin_names_are_entries_of_the_same_mechanism():
    for name in ("bibtex", "delicious", "yeast", "emotions", "scene", "reuters", "sider",
                 "synthetic"):
        assert DATASETS[name].spec.format in FORMATS
    assert DATASETS["bibtex"].spec.labels == "bibtex.xml"


@pytest.mark.parametrize("kind, text, tok, n, expected", [
    ("text", "Oil-prices ROSE", "reuters", None, ["oil", "prices", "rose"]),
    ("text", "Oil-prices ROSE", "words", None, ["oil-prices", "rose"]),
    ("dense", "1, 2.5 -3", None, 3, [1.0, 2.5, -3.0]),
])
def test_parse_input(kind, text, tok, n, expected):
    out = parse_input(kind, text, tok, n)
    assert list(out) == expected


def test_parse_sparse_and_its_errors():
    idx, val = parse_input("sparse", "3:1 7 5:0 1:0.5", None, 10)
    assert idx.tolist() == [3, 7, 1] and np.allclose(val, [1, 1, 0.5])
    for bad, words in [("3:x", "index:value"), ("12:1", r"outside \[0, 10\)"),
                       ("2:nan", "finite")]:
        with pytest.raises(ValueError, match=words):
            parse_input("sparse", bad, None, 10)
    with pytest.raises(ValueError, match="expected 3 feature values, got 2"):
        parse_input("dense", "1 2", None, 3)
    with pytest.raises(ValueError, match="expected 3 numbers"):
        parse_input("dense", "1 a 2", None, 3)
