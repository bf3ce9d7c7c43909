"""Tables of numbers with their labels (lamp_pyg.io.numeric_table)."""
import numpy as np
import pytest

from lamp_pyg.io.base import DataFormatError
from lamp_pyg.io.numeric_table import read_numeric_dataset, read_numeric_table
from lamp_pyg.io.sources import SourceSpec


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_label_columns_features_and_ids(tmp_path):
    f = write(tmp_path / "train.csv", "id,x1,happy,x2,sad\n"
                                      "a,0.5,1,-2,0\n"
                                      "\n"
                                      "b,1e3,0,3,1\n"
                                      "c,2,0,4,0\n")
    split, names, feats, label_cols, skipped = read_numeric_table(
        f, label_columns=["happy", "sad"], id_field="id")
    assert label_cols == ["happy", "sad"]
    assert split.kind == "dense" and split.ids == ["a", "b", "c"]
    assert feats == ["x1", "x2"] and names == ["id", "x1", "happy", "x2", "sad"]
    np.testing.assert_array_equal(split.inputs, np.array([[0.5, -2], [1000, 3], [2, 4]],
                                                         dtype=np.float32))
    assert split.labels == [["happy"], ["sad"], []]  # a sample with no label is kept
    assert skipped == {"blank lines": 1}


def test_one_label_cell_and_a_tsv_without_header(tmp_path):
    f = write(tmp_path / "train.tsv", "1.5\t2\ta;b\n3\t4\t\n")
    split, _, feats, label_cols, _ = read_numeric_table(f, columns=["u", "v", "tags"],
                                                        label_field="tags", label_sep=";")
    assert label_cols is None
    assert feats == ["u", "v"] and split.labels == [["a", "b"], []]
    assert split.ids == ["train.tsv:1", "train.tsv:2"]


def test_dataset_label_names_and_columns_must_agree(tmp_path):
    write(tmp_path / "tr.csv", "x,labels\n1,b a\n2,c\n")
    write(tmp_path / "te.csv", "x,labels\n3,a d\n")
    ds = read_numeric_dataset("t", {"train": tmp_path / "tr.csv", "test": tmp_path / "te.csv"})
    assert ds.label_names == ["a", "b", "c", "d"] and ds.kind == "dense"
    assert ds.splits["train"].labels == [[0, 1], [2]] and ds.num_features == 1
    write(tmp_path / "bad.csv", "y,labels\n3,a\n")
    with pytest.raises(DataFormatError, match=r"bad.csv.*differ from the train file's"):
        read_numeric_dataset("t", {"train": tmp_path / "tr.csv", "test": tmp_path / "bad.csv"})


@pytest.mark.parametrize("text, kwargs, line, words", [
    ("x,labels\n1,a\nhello,b\n", {}, 3, ["column 'x' holds 'hello'", "expected a number"]),
    ("x,labels\n1,a\n,b\n", {}, 3, ["column 'x' is missing", "data.missing: zero"]),
    ("x,labels\n1,a\nNA,b\n", {}, 3, ["column 'x' is missing"]),
    ("x,l1\n1,2\n", {"label_columns": ["l1"]}, 2, ["label column 'l1' holds '2'", "0 or 1"]),
    ("x,labels\n1,a,3\n", {}, 2, ["3 fields: expected 2"]),
    ("x,labels\n1,a\n", {"label_columns": ["l9"]}, 1, ["no column 'l9' (label_columns)"]),
    ("labels\na\n", {}, 1, ["no feature column"]),
])
def test_errors_name_file_line_and_column(tmp_path, text, kwargs, line, words):
    f = write(tmp_path / "t.csv", text)
    with pytest.raises(DataFormatError) as e:
        read_numeric_table(f, **kwargs)
    msg = str(e.value)
    assert "t.csv" in msg and f"line {line}" in msg, msg
    for w in words:
        assert w in msg, msg


def test_missing_zero_reads_0_and_counts(tmp_path):
    f = write(tmp_path / "t.csv", "x,y,labels\n?,1,a\n2,nan,a\n3,4,a\n")
    split, _, _, _, skipped = read_numeric_table(f, missing="zero")
    np.testing.assert_array_equal(split.inputs, [[0, 1], [2, 0], [3, 4]])
    assert skipped == {"missing values (read as 0)": 2}


def test_num_labels_counts_label_columns_from_the_end_or_the_start(tmp_path):
    """MULAN's layout as a CSV: the last n columns are the labels (the first with
    labels_first), the id column aside; their names are the label names."""
    write(tmp_path / "tr.csv", "x1,x2,l1,l2,id\n1,2,0,1,a\n3,4,1,1,b\n")
    write(tmp_path / "te.csv", "x1,x2,l1,l2,id\n5,6,0,0,c\n")
    files = {"train": tmp_path / "tr.csv", "test": tmp_path / "te.csv"}
    ds = read_numeric_dataset("t", files, num_labels=2, id_field="id")
    assert ds.label_names == ["l1", "l2"] and ds.feature_names == ["x1", "x2"]
    assert ds.splits["train"].labels == [[1], [0, 1]] and ds.splits["test"].labels == [[]]
    assert ds.splits["train"].ids == ["a", "b"]
    write(tmp_path / "first.csv", "y,x,z\n1,0.5,7\n")
    t = read_numeric_table(tmp_path / "first.csv", num_labels=1, labels_first=True)
    assert t.label_columns == ["y"] and t.features == ["x", "z"] and t.split.labels == [["y"]]
    with pytest.raises(DataFormatError, match="num_labels=3 leaves no feature column"):
        read_numeric_table(tmp_path / "first.csv", num_labels=3)


def test_the_spec_refuses_two_label_keys_and_other_formats():
    for two in ({"label_columns": ["l"], "label_field": "tags"},
                {"label_columns": ["l"], "num_labels": 2}, {"num_labels": 2, "label_field": "t"}):
        with pytest.raises(ValueError, match="set one of .* or .*: label_columns names"):
            SourceSpec(format="numeric_table", train="a", test="b", **two).validate()
    with pytest.raises(ValueError, match="label_columns is empty"):
        SourceSpec(format="numeric_table", train="a", test="b", label_columns=[]).validate()
    with pytest.raises(ValueError, match="label_columns has no effect with format 'text_table'"):
        SourceSpec(format="text_table", train="a", test="b", label_columns=["l"]).validate()
