"""Tests for user-supplied label edges (lamp_pyg.graphs.edge_list, kind "given")."""
import numpy as np
import pytest
import torch

from lamp_pyg.graphs import LabelGraph
from lamp_pyg.io.base import DataFormatError
from tests.graphs.helpers import NAMES, ROWS, dense, edges, weights_match_counts


def test_from_edge_list_names_and_indices():
    g = LabelGraph.from_edge_list([("a", "b"), ("c", "d")], NAMES)
    assert edges(g) == [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2), (3, 2), (2, 3), (3, 3),
                        (4, 4)]
    assert g.kind == "given" and g.edge_weight.tolist() == [1.0] * 9
    assert g.params["weight"] == "ones" and g.params["num_examples"] is None
    assert LabelGraph.from_edge_list([(0, 1), (2, 3)], NAMES) == g
    assert LabelGraph.from_edge_list(np.array([[0, 1], [2, 3]]), NAMES) == g
    assert LabelGraph.from_edge_list(torch.tensor([[0, 1], [2, 3]]), NAMES) == g
    assert LabelGraph.from_edge_list([("a", 1), (np.int64(2), "d")], NAMES) == g

    directed = LabelGraph.from_edge_list([("a", "b"), ("c", "d")], NAMES, undirected=False)
    assert edges(directed) == [(0, 0), (0, 1), (1, 1), (2, 2), (2, 3), (3, 3), (4, 4)]

    by_count = LabelGraph.from_edge_list([(0, 1), (2, 3)], 5)
    assert by_count.label_names == [f"label_{i}" for i in range(5)]
    assert edges(by_count) == edges(g)


def test_from_edge_list_with_counts_and_via_from_labels():
    g = LabelGraph.from_edge_list([("a", "b"), ("c", "d")], NAMES, Y=dense())
    assert weights_match_counts(g)
    assert g.params["num_examples"] == 5 and g.params["weight"] == "count"
    assert LabelGraph.from_labels(dense(), "given", label_names=NAMES,
                                  edges=[("a", "b"), ("c", "d")]) == g
    assert LabelGraph.from_labels(ROWS, "given", label_names=NAMES,
                                  edges=[("a", "b"), ("c", "d")]) == g


def test_from_edge_list_file(tmp_path):
    path = tmp_path / "hierarchy.txt"
    path.write_text("# parent child\n\na b   # a comment\n  c\t3\n")
    g = LabelGraph.from_edge_list(path, NAMES)
    assert edges(g) == edges(LabelGraph.from_edge_list([(0, 1), (2, 3)], NAMES))
    assert g.params["source"] == str(path) and g.params["num_given_pairs"] == 2
    assert LabelGraph.from_edge_list(str(path), NAMES) == g


def test_numeric_names_take_precedence_over_indices(tmp_path):
    names = ["10", "0", "x"]  # "0" is the name of label 1
    g = LabelGraph.from_edge_list([("0", "x")], names, undirected=False)
    assert (1, 2) in edges(g) and (0, 2) not in edges(g)
    g = LabelGraph.from_edge_list([("2", "0")], names, undirected=False)  # "2" -> index 2
    assert (2, 1) in edges(g)


@pytest.mark.parametrize("content,line,token", [
    ("a b\nb zz\n", 2, "'zz'"),
    ("a b\n# c\nc 9\n", 3, "'9'"),
    ("a b c\n", 1, "extra token 'c'"),
    ("a b\n\nd\n", 3, "only 'd'"),
    ("a -1\n", 1, "'-1'"),
])
def test_from_edge_list_file_errors(tmp_path, content, line, token):
    path = tmp_path / "edges.txt"
    path.write_text(content)
    with pytest.raises(ValueError) as err:
        LabelGraph.from_edge_list(path, NAMES)
    msg = str(err.value)
    assert str(path) in msg and f"line {line}:" in msg and token in msg


def test_from_edge_list_pair_errors(tmp_path):
    with pytest.raises(ValueError, match="edge 1: unknown label 'zz'"):
        LabelGraph.from_edge_list([("a", "b"), ("zz", "a")], NAMES)
    with pytest.raises(ValueError, match=r"edge 0: unknown label 5 .*\[0, 5\)"):
        LabelGraph.from_edge_list([(5, 0)], NAMES)
    with pytest.raises(ValueError, match="edge 0: expected a pair"):
        LabelGraph.from_edge_list([("a", "b", "c")], NAMES)
    with pytest.raises(ValueError, match=r"shape \[E, 2\]"):
        LabelGraph.from_edge_list(torch.tensor([[0, 1, 2], [1, 2, 3]]), NAMES)
    with pytest.raises(ValueError, match="edge 1: unknown label 7"):
        LabelGraph.from_edge_list(np.array([[0, 1], [7, 0]]), NAMES)
    with pytest.raises(ValueError, match="not found"):
        LabelGraph.from_edge_list(tmp_path / "missing.txt", NAMES)
    with pytest.raises(ValueError, match=r"one column per label \(5\), got 4"):
        LabelGraph.from_edge_list([(0, 1)], NAMES, Y=np.zeros((2, 4)))


# --------------------------------------------------------------------------- error reports
def test_binary_edge_file_names_file_and_line(tmp_path):
    # Was a bare UnicodeDecodeError without the file name.
    path = tmp_path / "edges.bin"
    path.write_bytes(b"a b\n\x89PNG\xff\xfe c\n")
    with pytest.raises(DataFormatError) as err:
        LabelGraph.from_edge_list(path, NAMES)
    assert err.value.path == str(path) and err.value.line == 2
    msg = str(err.value)
    assert msg.startswith(f"{path}, line 2: byte 0x89 is not valid utf-8")
    assert "encoding=" not in msg  # from_edge_list has no encoding argument to point to
    with pytest.raises(DataFormatError, match="line 2"):
        LabelGraph.from_labels(dense(), "given", label_names=NAMES, edges=path)


@pytest.mark.parametrize("content,line", [("a b\nb zz\n", 2), ("a b c\n", 1), ("d\n", 1)])
def test_file_errors_are_data_format_errors(tmp_path, content, line):
    path = tmp_path / "edges.txt"
    path.write_text(content)
    with pytest.raises(DataFormatError) as err:
        LabelGraph.from_edge_list(path, NAMES)
    assert err.value.path == str(path) and err.value.line == line


@pytest.mark.parametrize("token", ["\u00b2", "1" * 5000], ids=["superscript-two", "5000-digits"])
def test_digit_tokens_int_cannot_read_are_unknown_labels(tmp_path, token):
    # str.isdigit() accepts "²" and int() refuses over 4300 digits: both were a bare
    # ValueError from int() without the file, line or edge.
    path = tmp_path / "edges.txt"
    path.write_text(f"a b\nb {token}\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as err:
        LabelGraph.from_edge_list(path, NAMES)
    assert str(err.value).startswith(f"{path}, line 2: unknown label")
    with pytest.raises(ValueError, match="^edge 1: unknown label"):
        LabelGraph.from_edge_list([("a", "b"), ("b", token)], NAMES)


def test_unicode_decimal_digits_stay_indices(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("a \u0663\n", encoding="utf-8")  # ARABIC-INDIC DIGIT THREE
    assert (0, 3) in edges(LabelGraph.from_edge_list(path, NAMES, undirected=False))


@pytest.mark.parametrize("bad", [None, 5, 2.5, np.float64(1.0)])
def test_edges_neither_path_nor_pairs(bad):
    # Was a bare TypeError ("... object is not iterable").
    with pytest.raises(ValueError, match="expected edges to be a path to an edge-list file"):
        LabelGraph.from_edge_list(bad, NAMES)
    with pytest.raises(ValueError, match="expected edges to be a path to an edge-list file"):
        LabelGraph.from_labels(None, "given", label_names=NAMES, edges=bad)


def test_edge_file_bom_and_line_endings(tmp_path):
    ref = edges(LabelGraph.from_edge_list([(0, 1), (2, 3)], NAMES))
    for i, raw in enumerate([b"\xef\xbb\xbfa b\nc d\n",  # UTF-8 BOM (was: unknown label '\ufeffa')
                             b"a b\r\nc d\r\n", b"a b\rc d", b"a b\n\rc d\n"]):
        path = tmp_path / f"edges{i}.txt"
        path.write_bytes(raw)
        assert edges(LabelGraph.from_edge_list(path, NAMES)) == ref, raw
    path.write_bytes(b"a b\rc\rd e\n")  # a lone \r ends a line, as in text-mode open()
    with pytest.raises(DataFormatError, match=r"line 2: expected a pair 'a b' of labels, "
                                              r"got only 'c'"):
        LabelGraph.from_edge_list(path, NAMES)
