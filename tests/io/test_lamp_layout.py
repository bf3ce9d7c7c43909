"""Tests for lamp_pyg.io.lamp_layout (the original LaMP code's data layouts)."""
import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamp_pyg.io import DataFormatError
from lamp_pyg.io.lamp_layout import read_lamp, read_lamp_pt, read_lamp_text


def write(path, text):
    path.write_bytes(text.encode("utf-8"))
    return path


def make_text_folder(folder, valid=True):
    folder.mkdir(exist_ok=True)
    write(folder / "train_inputs.txt", "The cat sat\n\nDogs  bark loudly\n")
    write(folder / "train_labels.txt", "zoo Animal\nzoo\nanimal animal noise\n")
    write(folder / "test_inputs.txt", "a b\n")
    write(folder / "test_labels.txt", "\n")
    if valid:
        write(folder / "valid_inputs.txt", "x\r\ny\r\n")
        write(folder / "valid_labels.txt", "bird\r\nzoo\r\n")
    return folder


def test_text_folder_sorted_labels(tmp_path):
    ds = read_lamp_text(make_text_folder(tmp_path / "toy"))
    assert ds.name == "toy" and ds.kind == "text"
    assert ds.label_names == ["animal", "bird", "noise", "zoo"]  # lower-cased, alphabetical
    tr = ds.splits["train"]
    assert tr.inputs == [["the", "cat", "sat"], [], ["dogs", "bark", "loudly"]]
    assert tr.labels == [[0, 3], [3], [0, 2]]
    assert tr.ids == ["train_inputs.txt:1", "train_inputs.txt:2", "train_inputs.txt:3"]
    assert ds.splits["valid"].inputs == [["x"], ["y"]]  # CRLF handled
    assert ds.splits["valid"].labels == [[1], [3]]
    assert ds.splits["test"].labels == [[]]  # empty label line kept
    assert ds.skipped == {"duplicate_labels:train": 1}
    assert len(ds.sources) == 6


def test_text_folder_appearance_order_keep_case_no_valid(tmp_path):
    ds = read_lamp_text(make_text_folder(tmp_path / "toy", valid=False), "named",
                        lower=False, label_order="appearance")
    assert ds.name == "named" and set(ds.splits) == {"train", "test"}
    assert ds.label_names == ["zoo", "Animal", "animal", "noise"]
    assert ds.splits["train"].inputs[0] == ["The", "cat", "sat"]
    assert ds.splits["train"].labels == [[0, 1], [0], [2, 3]]


def test_text_folder_errors(tmp_path):
    f = make_text_folder(tmp_path / "toy")
    write(f / "test_labels.txt", "a\nb\n")
    with pytest.raises(DataFormatError) as e:
        read_lamp_text(f)
    assert e.value.path == str(f / "test_labels.txt") and "2 label lines" in e.value.message
    write(f / "test_labels.txt", "ok\n")
    (f / "valid_labels.txt").unlink()
    with pytest.raises(FileNotFoundError, match="valid_labels.txt"):
        read_lamp_text(f)
    (f / "valid_inputs.txt").unlink()
    (f / "train_inputs.txt").unlink()
    with pytest.raises(FileNotFoundError, match="train_inputs.txt"):
        read_lamp_text(f)
    with pytest.raises(ValueError, match="label_order"):
        read_lamp_text(f, label_order="random")


def test_text_folder_wrong_encoding(tmp_path):
    f = make_text_folder(tmp_path / "toy")
    (f / "train_inputs.txt").write_bytes(b"ok\nna\xefve\nthird\n")
    with pytest.raises(DataFormatError) as e:
        read_lamp_text(f)
    assert e.value.line == 2 and e.value.path == str(f / "train_inputs.txt")


# ----------------------------------------------------------------------------- .pt layout

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = {"<s>": BOS, "</s>": EOS, "<blank>": PAD, "<unk>": UNK}


def lamp_dict(adj=False):
    """A dict shaped like LaMP preprocess.py's output (see its main())."""
    src = dict(SPECIALS, the=4, cat=5, sat=6, dogs=7, bark=8)
    tgt = dict(SPECIALS, zoo=4, animal=5, noise=6)
    empty_src = [src.get(c, UNK) for c in "</s>"]  # preprocess.py's artefact for an empty line
    empty_tgt = [tgt.get(c, UNK) for c in "</s>"]
    data = {
        "settings": argparse.Namespace(max_seq_len=302, keep_case=False, min_word_count=0),
        "dict": {"src": src, "tgt": tgt},
        "train": {"src": [[BOS, 4, 5, 6, EOS], [BOS, 7, 8, UNK, EOS]],
                  "tgt": [[BOS, 4, 5, EOS], [BOS, 5, 6, 5, EOS]]},
        "valid": {"src": [[BOS, 5, EOS]], "tgt": [[BOS, 4, EOS]]},
        "test": {"src": [empty_src, [BOS, 4, EOS]], "tgt": [[BOS, UNK, 6, EOS], empty_tgt]},
    }
    if adj:
        for part in ("train", "valid", "test"):
            part_d = data[part]
            part_d["src"] = [[x for x in s if x not in (BOS, EOS)] for s in part_d["src"]]
            part_d["src"] = [s if s != empty_src else [4] for s in part_d["src"]]
            part_d["adj"] = [(np.eye(len(s), k=1) + np.eye(len(s))).astype(int).ravel().tolist()
                             for s in part_d["src"]]
    return data


def save(obj, path):
    import torch

    torch.save(obj, path)
    return path


def test_pt_roundtrip(tmp_path):
    (tmp_path / "reuters").mkdir()
    p = save(lamp_dict(), tmp_path / "reuters" / "train_valid_test.pt")
    ds = read_lamp_pt(p)
    assert ds.name == "reuters" and ds.kind == "text"
    assert ds.label_names == ["zoo", "animal", "noise"]  # id order, specials removed
    tr = ds.splits["train"]
    assert tr.inputs == [["the", "cat", "sat"], ["dogs", "bark", "<unk>"]]
    assert tr.labels == [[0, 1], [1, 2]]
    assert ds.splits["valid"].inputs == [["cat"]] and ds.splits["valid"].labels == [[0]]
    te = ds.splits["test"]
    assert te.inputs == [[], ["the"]]  # the '</s>' artefact is an empty line
    assert te.labels == [[2], []]
    assert ds.skipped == {"unknown_labels:test": 1}
    assert ds.sources == [str(p)]
    assert read_lamp(p).label_names == ds.label_names
    assert read_lamp(p.parent).splits["train"].labels == tr.labels


def test_pt_molecule_layout(tmp_path):
    p = save(lamp_dict(adj=True), tmp_path / "sider.pt")
    ds = read_lamp_pt(p, "sider")
    assert ds.kind == "molecule"
    m = ds.splits["train"].inputs[0]
    assert m["atoms"] == ["the", "cat", "sat"] and m["smiles"] == ""
    assert m["edge_index"].dtype == np.int64
    assert sorted(map(tuple, m["edge_index"].T.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def test_pt_errors(tmp_path):
    p = write(tmp_path / "junk.pt", "not a torch file")
    with pytest.raises(DataFormatError, match="cannot load"):
        read_lamp_pt(p)
    d = lamp_dict()
    del d["dict"]["tgt"]
    with pytest.raises(DataFormatError, match="'tgt'"):
        read_lamp_pt(save(d, tmp_path / "a.pt"))
    d = lamp_dict()
    d["train"]["tgt"][0] = [BOS, 99, EOS]
    with pytest.raises(DataFormatError, match="id 99"):
        read_lamp_pt(save(d, tmp_path / "b.pt"))
    d = lamp_dict()
    d["valid"]["tgt"].append([BOS, 4, EOS])
    with pytest.raises(DataFormatError, match="expected equal"):
        read_lamp_pt(save(d, tmp_path / "c.pt"))
    d = lamp_dict(adj=True)
    d["test"]["adj"][1] = [1.0, 0.0]
    with pytest.raises(DataFormatError, match="expected 1x1"):
        read_lamp_pt(save(d, tmp_path / "d.pt"))


def test_pt_untrusted_objects_refused(tmp_path):
    d = lamp_dict()
    d["settings"] = {"opt": argparse.ArgumentParser}  # an arbitrary global: not allowed by default
    p = save(d, tmp_path / "e.pt")
    with pytest.raises(DataFormatError, match="trusted=True"):
        read_lamp_pt(p)
    assert read_lamp_pt(p, trusted=True).label_names == ["zoo", "animal", "noise"]


def test_io_package_does_not_import_torch():
    code = ("import sys, lamp_pyg.io, lamp_pyg.io.arff, lamp_pyg.io.libsvm, lamp_pyg.io.lamp_layout; "
            "assert 'torch' not in sys.modules and 'torch_geometric' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
