"""Tests for lamp_pyg.io.libsvm (LIBSVM / SVMlight / Extreme Classification text format)."""
import numpy as np
import pytest

from lamp_pyg.io import DataFormatError
from lamp_pyg.io.libsvm import read_libsvm, read_libsvm_dataset


def write(path, text):
    path.write_bytes(text.encode("utf-8"))
    return path


XC = """4 6 3
0,2 0:1.5 3:2
 1:1 5:0.25
1 4:1 2:3
2,0,2 0:0 1:1
"""


def rows(split):
    return [(i.tolist(), v.tolist()) for i, v in split.inputs]


def test_extreme_classification_header_zero_based(tmp_path):
    out = read_libsvm(write(tmp_path / "train.txt", XC))
    s = out.split
    assert s.kind == "sparse"
    assert out.header == (4, 6, 3) and out.num_features == 6 and out.num_labels == 3
    assert s.labels == [[0, 2], [], [1], [0, 2]]
    # sorted indices, explicit zero value dropped, 0-based kept
    assert rows(s) == [([0, 3], [1.5, 2.0]), ([1, 5], [1.0, 0.25]), ([2, 4], [3.0, 1.0]), ([1], [1.0])]
    assert all(i.dtype == np.int64 and v.dtype == np.float32 for i, v in s.inputs)
    assert s.ids == ["train.txt:2", "train.txt:3", "train.txt:4", "train.txt:5"]
    assert out.skipped == {"duplicate_labels": 1}


def test_libsvm_one_based_without_header(tmp_path):
    text = "# comment line\n1,3 1:0.5 4:1 # trailing comment\n\n0 qid:7 2:2\n3\n"
    out = read_libsvm(write(tmp_path / "a.svm", text))
    assert out.header is None
    assert out.split.labels == [[1, 3], [0], [3]]
    assert rows(out.split) == [([0, 3], [0.5, 1.0]), ([1], [2.0]), ([], [])]
    assert out.num_features == 4 and out.num_labels == 4
    assert out.skipped == {"blank_lines": 1}
    z = read_libsvm(write(tmp_path / "b.svm", "1 0:1 2:2\n"), zero_based=True)
    assert rows(z.split) == [([0, 2], [1.0, 2.0])]


def test_dataset_ranges_and_names(tmp_path):
    a = write(tmp_path / "train.txt", "0 1:1\n1 2:1\n")
    b = write(tmp_path / "test.txt", "2 5:1\n\n0 1:1\n")
    ds = read_libsvm_dataset("toy", {"train": a, "test": b})
    assert ds.kind == "sparse" and ds.num_features == 5 and ds.feature_names is None
    assert ds.label_names == ["0", "1", "2"]
    assert ds.skipped == {"blank_lines:test": 1}
    assert ds.sources == [str(a), str(b)]
    assert ds.stats()["instances"] == 4
    named = read_libsvm_dataset("toy", {"train": a, "test": b}, label_names=["x", "y", "z", "w"])
    assert named.label_names == ["x", "y", "z", "w"]


def test_dataset_header_disagreement(tmp_path):
    a = write(tmp_path / "train.txt", "1 6 3\n0 1:1\n")
    b = write(tmp_path / "test.txt", "1 7 3\n0 1:1\n")
    with pytest.raises(DataFormatError) as e:
        read_libsvm_dataset("x", {"train": a, "test": b})
    assert e.value.path == str(b) and "differs" in e.value.message


@pytest.mark.parametrize("text, kw, line, words", [
    ("", {}, None, "empty file"),
    ("\n  \n# only comments\n", {}, None, "empty file"),
    ("3 4 2\n0 1:1\n1 2:1\n", {}, 1, "announces 3 rows"),          # truncated XC file
    ("2 4 2\n0 1:1\n1 2:1\n0 1:1\n", {}, 1, "announces 2 rows"),
    ("2 4 2\n0 4:1\n1 2:1\n", {}, 2, "out of range"),              # feature index >= F
    ("2 4 2\n0 1:1\n2 2:1\n", {}, 3, "out of range"),              # label >= L
    ("1 1:1\n0 0:1\n", {}, 2, "out of range"),                     # index 0 in a 1-based file
    ("1 1:1\n0 a:1\n", {}, 2, "not an integer"),
    ("1 1:1\n0 2:x\n", {}, 2, "not numeric"),
    ("1 1:1\n0 2\n", {}, 2, "index:value"),                        # missing colon
    ("1 1:1\n0, 2:1\n", {}, 2, "labels"),                          # label list with empty entry
    ("1 1:1\na,b 2:1\n", {}, 2, "labels"),                         # non-integer labels
    ("1 1:1\n-1 2:1\n", {}, 2, "negative"),
    ("1 1:1 1:2\n", {}, 1, "twice"),
    ("1 3:1\n", {"num_features": 2}, 1, "out of range"),
    ("5 1:1\n", {"num_labels": 3}, 1, "out of range"),
    ("2 4 2\n0 1:1\n1 2:1\n", {"num_features": 5}, 1, "header says 4"),
])
def test_malformed(tmp_path, text, kw, line, words):
    p = write(tmp_path / "bad.txt", text)
    with pytest.raises(DataFormatError) as e:
        read_libsvm(p, **kw)
    assert e.value.path == str(p) and e.value.line == line
    assert words in e.value.message


def test_wrong_encoding(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"0 1:1\n1 2:1 # caf\xe9\n")
    with pytest.raises(DataFormatError) as e:
        read_libsvm(p)
    assert e.value.line == 2 and "utf-8" in e.value.message
