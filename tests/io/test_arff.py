"""Tests for lamp_pyg.io.arff (MULAN / MEKA ARFF reader)."""
import time
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import numpy as np
import pytest

from lamp_pyg.io import DataFormatError
from lamp_pyg.io.arff import read_arff, read_arff_dataset, read_mulan, read_mulan_labels

XML_NS = '<?xml version="1.0" encoding="utf-8"?>\n<labels xmlns="http://mulan.sourceforge.net/labels">\n'


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def xml(path, names):
    body = "".join(f'<label name="{n}"></label>\n' for n in names)
    return write(path, XML_NS + body + "</labels>\n")


DENSE = """% a comment
@relation toy

@attribute f0 numeric
@attribute 'f one' REAL
@ATTRIBUTE f2 integer
@attribute B {0,1}
@attribute A {0,1}

@data
% comment inside data
1.5,-2,3,1,0
0,0,0,0,0

0.25,1e-3,7,1,1
"""

SPARSE = """@relation sp
@attribute w0 {0,1}
@attribute w1 {0,1}
@attribute w2 {0,1}
@attribute y0 {0,1}
@attribute y1 {0,1}
@data
{0 1,2 1,4 1}
{}
{2 1, 1 1, 3 1}
{0 0,3 1}
"""


def err(excinfo):
    return excinfo.value


# ----------------------------------------------------------------------------- happy paths


def test_dense_rows_labels_last_by_name(tmp_path):
    p = write(tmp_path / "d.arff", DENSE)
    out = read_arff(p, label_names=["A", "B"])
    s = out.split
    assert s.kind == "dense"
    assert out.feature_names == ["f0", "f one", "f2"]
    # label order is the column order (B before A), not the order of label_names
    assert out.label_names == ["B", "A"]
    assert s.inputs.dtype == np.float32 and s.inputs.shape == (3, 3)
    np.testing.assert_allclose(s.inputs[0], [1.5, -2, 3])
    np.testing.assert_allclose(s.inputs[2], [0.25, 1e-3, 7])
    assert s.labels == [[0], [], [0, 1]]
    assert s.ids == ["d.arff:12", "d.arff:13", "d.arff:15"]
    assert out.rows_without_labels == 1
    assert out.relation == "toy"


def test_sparse_rows_feature_block_indices(tmp_path):
    p = write(tmp_path / "s.arff", SPARSE)
    out = read_arff(p, num_labels=2)
    s = out.split
    assert s.kind == "sparse"
    assert out.feature_names == ["w0", "w1", "w2"] and out.label_names == ["y0", "y1"]
    idx = [i.tolist() for i, _ in s.inputs]
    assert idx == [[0, 2], [], [1, 2], []]  # unsorted row sorted, explicit zero dropped
    assert all(i.dtype == np.int64 and v.dtype == np.float32 for i, v in s.inputs)
    assert s.labels == [[1], [], [0], [0]]
    assert out.rows_without_labels == 1


def test_binary_dense_file_is_sparse_and_kind_can_be_forced(tmp_path):
    text = SPARSE.split("@data")[0] + "@data\n1,0,1,0,1\n0,0,0,1,0\n"
    p = write(tmp_path / "b.arff", text)
    s = read_arff(p, num_labels=2).split
    assert s.kind == "sparse"
    assert [i.tolist() for i, _ in s.inputs] == [[0, 2], []]
    assert s.labels == [[1], [0]]
    d = read_arff(write(tmp_path / "s.arff", SPARSE), num_labels=2, kind="dense").split
    assert d.kind == "dense"
    np.testing.assert_array_equal(d.inputs, [[1, 0, 1], [0, 0, 0], [0, 1, 1], [0, 0, 0]])
    sp = read_arff(write(tmp_path / "d.arff", DENSE), label_names=["A", "B"], kind="sparse").split
    assert [i.tolist() for i, _ in sp.inputs] == [[0, 1, 2], [], [0, 1, 2]]


def test_meka_labels_first_from_relation(tmp_path):
    text = """@relation 'Toy: -C 2 -split-percentage 50'
@attribute L0 {0,1}
@attribute L1 {0,1}
@attribute x0 numeric
@attribute x1 numeric
@data
1,0,0.5,0
0,1,0,2
{1 1,3 4}
"""
    out = read_arff(write(tmp_path / "m.arff", text))
    assert out.label_names == ["L0", "L1"] and out.feature_names == ["x0", "x1"]
    assert out.split.kind == "sparse"  # one sparse row makes the file sparse
    assert out.split.labels == [[0], [1], [1]]
    assert [(i.tolist(), v.tolist()) for i, v in out.split.inputs] == [
        ([0], [0.5]), ([1], [2.0]), ([1], [4.0])]


def test_meka_negative_c_means_labels_last(tmp_path):
    text = "@relation \"x: -C -1\"\n@attribute a numeric\n@attribute b numeric\n@attribute y {0,1}\n@data\n1,2,1\n"
    out = read_arff(write(tmp_path / "m.arff", text))
    assert out.label_names == ["y"] and out.split.labels == [[0]]
    np.testing.assert_array_equal(out.split.inputs, [[1, 2]])


def test_meka_unquoted_relation_options(tmp_path):
    text = "@relation Music: -C 1\n@attribute y {0,1}\n@attribute a numeric\n@data\n1,3\n"
    out = read_arff(write(tmp_path / "m.arff", text))
    assert out.relation == "Music:" and out.label_names == ["y"] and out.split.labels == [[0]]


def test_explicit_num_labels_first(tmp_path):
    text = "@relation r\n@attribute y {0,1}\n@attribute a numeric\n@data\n1,3\n0,4\n"
    out = read_arff(write(tmp_path / "m.arff", text), labels_first=True, num_labels=1)
    assert out.label_names == ["y"] and out.split.labels == [[0], []]
    np.testing.assert_array_equal(out.split.inputs, [[3], [4]])


def test_quoted_and_escaped_names_and_symbolic_nominal(tmp_path):
    text = """@relation 'my relation'
@attribute 'a b' numeric
@attribute "c\\'d" {low, 'very high'}
@attribute TAG_m\\'usica {0,1}
@data
1,'very high',1
2,low,0
{0 3, 1 'very high'}
"""
    out = read_arff(write(tmp_path / "q.arff", text), label_names=["TAG_m\\'usica"])
    assert out.relation == "my relation"
    # quoted names are unescaped; a two-valued nominal attribute is one 'name=value' column,
    # its second value (neither is a positive word)
    assert out.feature_names == ["a b", "c'd=very high"]
    assert out.label_names == ["TAG_m\\'usica"]  # unquoted names kept verbatim (as in the XML)
    d = read_arff(write(tmp_path / "q.arff", text), label_names=["TAG_m\\'usica"], kind="dense").split
    np.testing.assert_array_equal(d.inputs, [[1, 1], [2, 0], [3, 1]])
    assert d.labels == [[0], [], []]


def test_label_order_follows_columns_with_hierarchical_namespaced_xml(tmp_path):
    x = write(tmp_path / "h.xml", XML_NS + '<label name="root"><label name="child"></label></label>\n'
              '<label name="other"/>\n</labels>\n')
    assert read_mulan_labels(x) == ["root", "child", "other"]
    text = ("@relation h\n@attribute f numeric\n@attribute other {0,1}\n@attribute child {0,1}\n"
            "@attribute root {0,1}\n@data\n1,1,0,1\n")
    out = read_arff(write(tmp_path / "h.arff", text), label_names=read_mulan_labels(x))
    assert out.label_names == ["other", "child", "root"]
    assert out.split.labels == [[0, 2]]


def test_read_mulan_folder(tmp_path):
    xml(tmp_path / "toy.xml", ["y1", "y0"])
    write(tmp_path / "toy-train.arff", SPARSE)
    write(tmp_path / "toy-test.arff", SPARSE.split("@data")[0] + "@data\n{1 1,4 1}\n")
    ds = read_mulan(tmp_path, "toy")
    assert ds.name == "toy" and ds.kind == "sparse"
    assert ds.label_names == ["y0", "y1"] and ds.num_features == 3
    assert ds.feature_names == ["w0", "w1", "w2"]
    assert len(ds.splits["train"]) == 4 and ds.splits["test"].labels == [[1]]
    assert ds.skipped == {}
    assert str(tmp_path / "toy.xml") in ds.sources and len(ds.sources) == 3
    st = ds.stats()
    assert st["instances"] == 5 and st["labels"] == 2 and st["distinct_labelsets"] == 3


def test_read_mulan_mixed_kinds_become_sparse(tmp_path):
    head = SPARSE.split("@data")[0] + "@data\n"
    write(tmp_path / "t-train.arff", head + "{0 1,3 1}\n")
    write(tmp_path / "t-test.arff", head.replace("{0,1}", "numeric", 3) + "0,2.5,0,0,1\n")
    xml(tmp_path / "t.xml", ["y0", "y1"])
    ds = read_mulan(tmp_path, "t")
    assert ds.kind == "sparse"
    i, v = ds.splits["test"].inputs[0]
    assert i.tolist() == [1] and v.tolist() == [2.5]


def test_read_mulan_missing_file(tmp_path):
    xml(tmp_path / "t.xml", ["y0"])
    with pytest.raises(FileNotFoundError, match="t-train.arff"):
        read_mulan(tmp_path, "t")


def test_dataset_header_mismatch(tmp_path):
    a = write(tmp_path / "a.arff", SPARSE)
    b = write(tmp_path / "b.arff", SPARSE.replace("w1", "wX"))
    with pytest.raises(DataFormatError) as e:
        read_arff_dataset("x", {"train": a, "test": b}, num_labels=2)
    assert err(e).path == str(b) and "differ" in err(e).message


# ----------------------------------------------------------------------------- bad input


HEAD = "@relation r\n@attribute a numeric\n@attribute b numeric\n@attribute y {0,1}\n@data\n"  # data at line 6


@pytest.mark.parametrize("rows, line, words", [
    ("1,2,1\n1,2\n", 7, "expected 3"),                         # too few values (truncated row)
    ("1,2,1,0\n", 6, "expected 3"),                            # too many values
    ("1,abc,1\n", 6, "not numeric"),                           # non-numeric value
    ("1,2,2\n", 6, "expected 0 or 1"),                         # label not 0/1
    ("1,?,1\n", 6, "missing value"),                           # missing value
    ("{0 1, 1 2\n", 6, "not closed"),                          # truncated sparse row
    ("{0 1 1 2}\n", 6, "index"),                               # malformed sparse entry
    ("{0}\n", 6, "index"),                                     # entry without value
    ("{0 1,,1 2}\n", 6, "index"),                              # empty entry
    ("{0 1,5 1}\n", 6, "out of range"),                        # index out of range
    ("{0 1,3 abc}\n", 6, "out of range"),                      # out of range with bad value
    ("{1 1,1 2}\n", 6, "twice"),                               # duplicate index
    ("{0 x}\n", 6, "not numeric"),                             # non-numeric sparse value
    ("{2 7}\n", 6, "expected 0 or 1"),                         # label 7 in a sparse row
    ("{-1 1}\n", 6, "index"),                                  # negative index
    ("1,2,1\n\n0,0,0\nfoo\n", 9, "expected 3"),                # garbage line
])
def test_malformed_rows(tmp_path, rows, line, words):
    p = write(tmp_path / "bad.arff", HEAD + rows)
    with pytest.raises(DataFormatError) as e:
        read_arff(p, num_labels=1)
    assert err(e).path == str(p)
    assert err(e).line == line
    assert words in err(e).message
    assert f"line {line}" in str(err(e))


@pytest.mark.parametrize("text, line, words", [
    ("", None, "empty file"),
    ("   \n\n% only a comment\n", None, "empty file"),
    ("@relation r\n@attribute a numeric\n@attr", 3, "unknown declaration"),
    ("@relation r\n@attribute a numeric\n@attribute y {0,1}\n", 3, "ends before @data"),
    ("@relation r\n@attribute a numeric\n@attribute y {0,1}\n@data\n\n", 4, "no data rows"),
    ("@attribute a numeric\n@data\n1\n", 1, "before @relation"),
    ("@relation r\n@attribute s date\n@attribute y {0,1}\n@data\n", 2, "date"),
    ("@relation r\n@attribute s string\n@attribute y {0,1}\n@data\n", 4, "no data rows"),
    ("@relation r\n@attribute a {x,y,x}\n@attribute y {0,1}\n@data\n", 2, "twice"),
    ("@relation r\n@attribute a foo\n@attribute y {0,1}\n@data\n", 2, "expected a type"),
    ("@relation r\n@attribute a {0,1\n@data\n", 2, "not closed"),
    ("@relation r\n@attribute a numeric\n@attribute a numeric\n@data\n", 3, "already declared"),
    ("@relation r\n@attribute 'a numeric\n@data\n", 2, "unterminated"),
    ("@relation r\n@attribute a numeric\n1,0\n@data\n", 3, "expected an @relation"),
    ("@relation r\n@attribute a numeric\n@attribute y {a,b}\n@data\n1,a\n", 3, "expected {0,1}"),
])
def test_malformed_headers(tmp_path, text, line, words):
    p = write(tmp_path / "bad.arff", text)
    with pytest.raises(DataFormatError) as e:
        read_arff(p, num_labels=1)
    assert err(e).path == str(p) and err(e).line == line
    assert words in err(e).message


def test_wrong_encoding_names_line(tmp_path):
    p = tmp_path / "latin.arff"
    p.write_bytes(b"@relation r\n@attribute caf\xe9 numeric\n@attribute y {0,1}\n@data\n1,1\n")
    with pytest.raises(DataFormatError) as e:
        read_arff(p, num_labels=1)
    assert err(e).line == 2 and "utf-8" in err(e).message
    out = read_arff(p, num_labels=1, encoding="latin-1")
    assert out.feature_names == ["caf\u00e9"]


def test_label_missing_from_header(tmp_path):
    p = write(tmp_path / "x.arff", HEAD)
    p.write_text(HEAD + "1,2,1\n")
    with pytest.raises(DataFormatError) as e:
        read_arff(p, label_names=["y", "z"])
    assert err(e).path == str(p) and err(e).line == 5 and "'z'" in err(e).message
    xml(tmp_path / "x.xml", ["y", "z"])
    write(tmp_path / "x-train.arff", HEAD + "1,2,1\n")
    write(tmp_path / "x-test.arff", HEAD + "1,2,1\n")
    with pytest.raises(DataFormatError, match="'z'"):
        read_mulan(tmp_path, "x")


def test_no_label_information(tmp_path):
    p = write(tmp_path / "x.arff", HEAD + "1,2,1\n")
    with pytest.raises(DataFormatError) as e:
        read_arff(p)
    assert err(e).line == 1 and "-C" in err(e).message
    with pytest.raises(DataFormatError, match="label attributes requested"):
        read_arff(p, num_labels=3)


@pytest.mark.parametrize("text, line, words", [
    ("", None, "empty"),
    (XML_NS + '<label name="a"></label>\n<label name="b">\n</labels>\n', 5, "malformed XML"),
    (XML_NS + '<label name="a"></label>\n<label></label>\n</labels>\n', 4, "without a name"),
    (XML_NS + '<label name="a"></label>\n<label name="a"></label>\n</labels>\n', 4, "already declared"),
    ('<?xml version="1.0"?>\n<tags><label name="a"/></tags>\n', 2, "expected <labels>"),
    (XML_NS + "</labels>\n", None, "no <label>"),
])
def test_bad_xml(tmp_path, text, line, words):
    p = write(tmp_path / "x.xml", text)
    with pytest.raises(DataFormatError) as e:
        read_mulan_labels(p)
    assert err(e).path == str(p) and err(e).line == line and words in err(e).message


# ----------------------------------------------------------------------------- real data

# MULAN's published table: instances, features, labels, cardinality (3 decimals), distinct label sets
PUBLISHED = {
    "bibtex": (7395, 1836, 159, "2.402", 2856, (4880, 2515), "sparse"),
    "delicious": (16105, 500, 983, "19.020", 15806, (12920, 3185), "sparse"),
    "yeast": (2417, 103, 14, "4.237", 198, (1500, 917), "dense"),
    "emotions": (593, 72, 6, "1.869", 27, (391, 202), "dense"),
    "scene": (2407, 294, 6, "1.074", 15, (1211, 1196), "dense"),
}


@lru_cache(maxsize=None)
def _mulan(folder):
    """Each benchmark is read once per test session (timed for the speed check)."""
    t0 = time.perf_counter()
    ds = read_mulan(folder)
    return ds, time.perf_counter() - t0


def _folder(data_root, name):
    folder = data_root / "mulan" / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    return folder


def _published_rounding(x: float, decimals: str) -> bool:
    """True if x rounds to the published value: directly to 3 decimals, or (as MULAN's
    table does for emotions, 1108/593 = 1.86847 -> 1.8685 -> 1.869) via 4 decimals."""
    q = Decimal("0.001")
    direct = Decimal(repr(x)).quantize(q, ROUND_HALF_UP)
    via4 = Decimal(repr(x)).quantize(Decimal("0.0001"), ROUND_HALF_UP).quantize(q, ROUND_HALF_UP)
    return Decimal(decimals) in (direct, via4)


def test_published_rounding_helper():
    assert _published_rounding(2.401893, "2.402")
    assert _published_rounding(1108 / 593, "1.869")
    assert not _published_rounding(1108 / 593, "1.867")
    assert not _published_rounding(1.8684, "1.869")


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_mulan_published_statistics(data_root, name):
    ds, elapsed = _mulan(_folder(data_root, name))
    n, f, l, card, distinct, sizes, kind = PUBLISHED[name]
    st = ds.stats()
    assert (st["instances"], st["features"], st["labels"], st["distinct_labelsets"]) == (n, f, l, distinct)
    assert st["attributes"] == f and ds.num_attributes == f  # no nominal attribute: one feature each
    assert _published_rounding(st["cardinality"], card), st["cardinality"]
    assert (len(ds.splits["train"]), len(ds.splits["test"])) == sizes
    assert ds.kind == kind
    assert len(ds.feature_names) == f and len(set(ds.label_names)) == l
    for s in ds.splits.values():
        assert all(lab == sorted(set(lab)) for lab in s.labels)
        if kind == "sparse":
            idx = np.concatenate([i for i, _ in s.inputs])
            val = np.concatenate([v for _, v in s.inputs])
            assert idx.dtype == np.int64 and val.dtype == np.float32
            assert idx.min() >= 0 and idx.max() < f and (val != 0).all()
            assert all((np.diff(i) > 0).all() for i, _ in s.inputs)
        else:
            assert s.inputs.shape == (len(s), f) and s.inputs.dtype == np.float32


def test_delicious_rows_without_labels_are_kept(data_root):
    ds, _ = _mulan(_folder(data_root, "delicious"))
    assert [sum(1 for l in ds.splits[s].labels if not l) for s in ("train", "test")] == [10, 4]
    assert ds.skipped == {}
    assert "TAG_m\\'usica" in ds.label_names  # backslash kept, matching delicious.xml


def test_emotions_label_counts(data_root):
    """Per-label counts published for emotions (Trohidis et al. 2008): they sum to 1108."""
    ds, _ = _mulan(_folder(data_root, "emotions"))
    counts = ds.label_matrix("train").sum(0) + ds.label_matrix("test").sum(0)
    assert counts.tolist() == [173, 166, 264, 148, 168, 189]


def test_bibtex_first_row_and_yeast_label_order(data_root):
    b, y = _folder(data_root, "bibtex"), _folder(data_root, "yeast")
    s = _mulan(b)[0].splits["train"]
    idx, val = s.inputs[0]
    # first data line: {0 1,5 1,...,1810 1,1839 1,1859 1,1897 1,1899 1,1912 1}; labels start at 1836
    assert idx[:4].tolist() == [0, 5, 6, 20] and idx[-2:].tolist() == [1808, 1810] and len(idx) == 87
    assert (val == 1).all()
    assert s.labels[0] == [3, 23, 61, 63, 76]
    assert s.ids[0] == "bibtex-train.arff:2000"
    ds = _mulan(y)[0]
    # yeast.xml lists Class6 before Class4; columns are Class1..Class14
    assert ds.label_names == [f"Class{i}" for i in range(1, 15)]
    assert read_mulan_labels(y / "yeast.xml")[3] == "Class6"
    assert ds.splits["train"].labels[0] == [2, 3]  # Class3, Class4
    np.testing.assert_allclose(ds.splits["train"].inputs[0, :3], [0.0937, 0.139771, 0.062774], rtol=1e-6)
