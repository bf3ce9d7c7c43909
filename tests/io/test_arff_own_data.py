"""ARFF / LIBSVM files as users bring them ("your own data"): the readers must never be
silently wrong. Stale MEKA ``-C``, nominal one-hot encoding, string attributes, missing
values, NaN / infinity, attribute vs feature counts, and MULAN's extra benchmarks."""
import numpy as np
import pytest

from lamp_pyg.io import DataFormatError
from lamp_pyg.io.arff import read_arff, read_arff_dataset, read_mulan, read_mulan_labels
from lamp_pyg.io.base import RawDataset, RawSplit
from lamp_pyg.io.libsvm import read_libsvm


def write(path, text):
    path.write_bytes(text.encode("utf-8"))
    return path


def rows(split):
    return [(i.tolist(), v.tolist()) for i, v in split.inputs]


# ----------------------------------------------------------------------------- 1. stale MEKA -C

# '-C 2' says "the first two attributes are labels", but they are word counts here.
STALE_C = """@relation 'docs: -C 2'
@attribute w0 numeric
@attribute w1 numeric
@attribute w2 numeric
@attribute y0 {0,1}
@attribute y1 {0,1}
@data
1,0,0,1,0
0,0,1,0,1
0,3,0,1,1
2,0,0,0,1
"""


def test_stale_meka_c_on_word_counts_names_c_and_attribute(tmp_path):
    p = write(tmp_path / "docs.arff", STALE_C)
    with pytest.raises(DataFormatError) as e:
        read_arff(p)
    err = e.value
    assert err.path == str(p)
    # w0 is the first label attribute with a non-0/1 value (first on line 11); w1 has one
    # earlier (line 10) but attribute order decides which one is named
    assert err.line == 11
    assert "-C 2" in err.message and "'w0'" in err.message
    assert "label_names" in err.message and "num_labels" in err.message


def test_stale_meka_c_sparse_rows(tmp_path):
    head = STALE_C.split("@data")[0] + "@data\n"
    p = write(tmp_path / "sp.arff", head + "{0 1,3 1}\n{1 4,4 1}\n")
    with pytest.raises(DataFormatError) as e:
        read_arff(p)
    assert e.value.line == 9 and "-C 2" in e.value.message and "'w1'" in e.value.message


def test_stale_meka_c_on_nominal_attribute(tmp_path):
    text = ("@relation 'r: -C -1'\n@attribute a numeric\n@attribute colour {red,green}\n"
            "@data\n1,red\n")
    p = write(tmp_path / "n.arff", text)
    with pytest.raises(DataFormatError) as e:
        read_arff(p)
    assert e.value.line == 3 and "-C -1" in e.value.message and "'colour'" in e.value.message
    assert "num_labels" in e.value.message


def test_label_names_and_num_labels_win_over_stale_c(tmp_path):
    p = write(tmp_path / "docs.arff", STALE_C)
    by_name = read_arff(p, label_names=["y0", "y1"])
    assert by_name.label_names == ["y0", "y1"] and by_name.feature_names == ["w0", "w1", "w2"]
    assert by_name.split.labels == [[0], [1], [0, 1], [1]]
    by_count = read_arff(p, num_labels=2)
    assert by_count.label_names == ["y0", "y1"]
    ds = read_arff_dataset("d", {"train": p}, num_labels=2)
    assert ds.label_names == ["y0", "y1"]


def test_meka_c_accepts_binary_numeric_labels(tmp_path):
    text = ("@relation 'r: -C 2'\n@attribute L0 numeric\n@attribute L1 integer\n"
            "@attribute x numeric\n@data\n1,0,5.5\n0,1.0,2\n{0 1,2 3}\n")
    out = read_arff(write(tmp_path / "ok.arff", text))
    assert out.label_names == ["L0", "L1"] and out.split.labels == [[0], [1], [0]]


# ----------------------------------------------------------------------------- 2. nominal one-hot

NOMINAL = """@relation birdsish
@attribute x numeric
@attribute answer {YES,NO}
@attribute location {2,10,1,7}
@attribute flag {0,1}
@attribute y0 {0,1}
@attribute y1 {0,1}
@data
0.5,NO,10,1,1,0
1.5,YES,7,0,0,1
{0 2,1 NO,2 1,5 1}
{}
"""


def test_binary_nominal_is_one_feature_others_one_hot(tmp_path):
    p = write(tmp_path / "nom.arff", NOMINAL)
    out = read_arff(p, num_labels=2, kind="dense")
    # {YES,NO}: one 0/1 column, 1 for YES (a positive word); location: one-hot
    assert out.feature_names == ["x", "answer=YES", "location=2", "location=10",
                                 "location=1", "location=7", "flag"]
    assert out.num_features == 7 and out.num_attributes == 4
    np.testing.assert_array_equal(out.split.inputs, [
        [0.5, 0, 0, 1, 0, 0, 1],
        [1.5, 1, 0, 0, 0, 1, 0],
        [2.0, 0, 0, 0, 1, 0, 0],
        # sparse row {}: an omitted nominal value is Weka's value 0, the first declared one
        [0.0, 1, 1, 0, 0, 0, 0],
    ])
    assert out.split.labels == [[0], [1], [1], []]
    sp = read_arff(p, num_labels=2, kind="sparse").split
    assert rows(sp)[0] == ([0, 3, 6], [0.5, 1.0, 1.0])
    assert rows(sp)[3] == ([1, 2], [1.0, 1.0])
    assert read_arff(p, num_labels=2).split.kind == "sparse"  # it has sparse rows


def test_reversed_binary_nominal_is_one_feature_and_rejected_as_label(tmp_path):
    text = ("@relation r\n@attribute f {1,0}\n@attribute y {0,1}\n@data\n1,1\n0,0\n{1 1}\n")
    out = read_arff(write(tmp_path / "r.arff", text), num_labels=1, kind="dense")
    assert out.feature_names == ["f=1"]
    # {1 1}: f omitted -> its first declared value '1' (Weka's sparse convention)
    np.testing.assert_array_equal(out.split.inputs, [[1], [0], [1]])
    bad = "@relation r\n@attribute f numeric\n@attribute y {1,0}\n@data\n1,1\n"
    with pytest.raises(DataFormatError) as e:
        read_arff(write(tmp_path / "b.arff", bad), num_labels=1)
    assert e.value.line == 3 and "{0,1}" in e.value.message


def test_one_hot_dataset_stats_count_attributes_and_features(tmp_path):
    a = write(tmp_path / "a.arff", NOMINAL)
    ds = read_arff_dataset("n", {"train": a, "test": a}, num_labels=2)
    assert ds.num_features == 7 and ds.num_attributes == 4
    st = ds.stats()
    assert st["attributes"] == 4 and st["features"] == 7 and st["instances"] == 8


def test_one_hot_name_clash(tmp_path):
    text = "@relation r\n@attribute 'c=u' numeric\n@attribute c {u,v,w}\n@attribute y {0,1}\n@data\n1,u,1\n"
    with pytest.raises(DataFormatError) as e:
        read_arff(write(tmp_path / "c.arff", text), num_labels=1)
    assert e.value.line == 3 and "'c=u'" in e.value.message


def test_unknown_nominal_value(tmp_path):
    p = write(tmp_path / "u.arff", NOMINAL.replace("1.5,YES,7", "1.5,MAYBE,7"))
    with pytest.raises(DataFormatError) as e:
        read_arff(p, num_labels=2)
    assert e.value.line == 10 and "'MAYBE'" in e.value.message and "{YES,NO}" in e.value.message


# ----------------------------------------------------------------------------- 3. string attributes

STRINGS = """@relation s
@attribute id string
@attribute x numeric
@attribute note STRING
@attribute y {0,1}
@data
'row one',1.5,abc,1
r2,2,'x, y',0
{0 'r 3',1 4,3 1}
"""


def test_string_attributes_are_dropped_and_counted(tmp_path):
    p = write(tmp_path / "s.arff", STRINGS)
    out = read_arff(p, num_labels=1, kind="dense")
    assert out.feature_names == ["x"] and out.num_attributes == 1
    np.testing.assert_array_equal(out.split.inputs, [[1.5], [2], [4]])
    assert out.split.labels == [[0], [], [0]]
    assert out.skipped == {"string attribute 'id' (dropped)": 3, "string attribute 'note' (dropped)": 3}
    ds = read_arff_dataset("s", {"train": p, "test": p}, num_labels=1)
    assert ds.skipped == {"string attribute 'id' (dropped)": 6, "string attribute 'note' (dropped)": 6}
    assert ds.feature_names == ["x"] and ds.stats()["attributes"] == 1


def test_string_attribute_cannot_be_a_label(tmp_path):
    text = "@relation s\n@attribute x numeric\n@attribute y string\n@data\n1,a\n"
    with pytest.raises(DataFormatError) as e:
        read_arff(write(tmp_path / "s.arff", text), num_labels=1)
    assert e.value.line == 3 and "string" in e.value.message


@pytest.mark.parametrize("decl, word", [
    ("@attribute d date 'yyyy-MM-dd'", "date"),
    ("@attribute d DATE", "date"),
    ("@attribute bag relational", "relational"),
])
def test_date_and_relational_still_raise(tmp_path, decl, word):
    text = f"@relation r\n@attribute x numeric\n{decl}\n@attribute y {{0,1}}\n@data\n"
    with pytest.raises(DataFormatError) as e:
        read_arff(write(tmp_path / "d.arff", text), num_labels=1)
    assert e.value.line == 3 and word in e.value.message and "not supported" in e.value.message


# ----------------------------------------------------------------------------- 4. missing values

MISSING = """@relation m
@attribute a numeric
@attribute c {u,v}
@attribute f {0,1}
@attribute y {0,1}
@data
1,u,1,1
?,v,?,0
2,?,0,1
{0 ?,3 1}
"""


def test_missing_value_error_names_line_and_attribute(tmp_path):
    p = write(tmp_path / "m.arff", MISSING)
    with pytest.raises(DataFormatError) as e:
        read_arff(p, num_labels=1)
    assert e.value.path == str(p) and e.value.line == 8
    assert "'a'" in e.value.message and "missing='zero'" in e.value.message
    with pytest.raises(DataFormatError) as e:
        read_arff_dataset("m", {"train": p}, num_labels=1)
    assert e.value.line == 8


def test_missing_zero_reads_zero_and_counts(tmp_path):
    p = write(tmp_path / "m.arff", MISSING)
    out = read_arff(p, num_labels=1, kind="dense", missing="zero")
    assert out.feature_names == ["a", "c=v", "f"]  # {u,v}: one column, v (the second) is 1
    np.testing.assert_array_equal(out.split.inputs, [
        [1, 0, 1],
        [0, 1, 0],
        [2, 0, 0],   # missing nominal: no feature set
        [0, 0, 0],   # {0 ?}: a missing; c omitted -> first value u
    ])
    assert out.split.labels == [[0], [], [0], [0]]
    assert out.skipped == {"missing values '?' (read as 0)": 4}
    ds = read_arff_dataset("m", {"train": p, "test": p}, num_labels=1, missing="zero")
    assert ds.skipped == {"missing values '?' (read as 0)": 8}
    write(tmp_path / "m-train.arff", MISSING)
    write(tmp_path / "m-test.arff", MISSING)
    write(tmp_path / "m.xml", '<?xml version="1.0"?>\n<labels xmlns="http://mulan.sourceforge.net/labels">'
          '<label name="y"/></labels>\n')
    assert read_mulan(tmp_path, "m", missing="zero").skipped == ds.skipped
    with pytest.raises(DataFormatError):
        read_mulan(tmp_path, "m")
    with pytest.raises(ValueError, match="missing"):
        read_arff(p, num_labels=1, missing="mean")


def test_missing_label_is_always_an_error(tmp_path):
    p = write(tmp_path / "m.arff", "@relation m\n@attribute a numeric\n@attribute y {0,1}\n@data\n1,?\n")
    for missing in ("error", "zero"):
        with pytest.raises(DataFormatError) as e:
            read_arff(p, num_labels=1, missing=missing)
        assert e.value.line == 5 and "'y'" in e.value.message and "label" in e.value.message


# ----------------------------------------------------------------------------- 5. NaN / infinity

HEAD = "@relation r\n@attribute a numeric\n@attribute b numeric\n@attribute y {0,1}\n@data\n"


@pytest.mark.parametrize("row", [
    "nan,1,1", "1,NaN,0", "inf,1,1", "1,-inf,1", "Infinity,0,0", "1,-Infinity,0", "1e400,0,0",
    "1,3e38,0\n1,4e38,0",  # 4e38 overflows float32
    "{0 nan,2 1}", "{1 inf}", "{0 1,1 -Infinity}", "{0 1e999}",
])
def test_arff_rejects_nan_and_infinity(tmp_path, row):
    p = write(tmp_path / "n.arff", HEAD + "1,2,1\n" + row + "\n")
    with pytest.raises(DataFormatError) as e:
        read_arff(p, num_labels=1)
    assert e.value.path == str(p) and e.value.line == 7 + row.count("\n")
    assert "finite" in e.value.message


def test_arff_nan_in_label_column(tmp_path):
    p = write(tmp_path / "n.arff", HEAD + "1,2,nan\n")
    with pytest.raises(DataFormatError) as e:
        read_arff(p, num_labels=1)
    assert e.value.line == 6


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e39"])
def test_libsvm_rejects_nan_and_infinity(tmp_path, value):
    p = write(tmp_path / "n.svm", f"0 1:1\n1 2:{value}\n")
    with pytest.raises(DataFormatError) as e:
        read_libsvm(p)
    assert e.value.path == str(p) and e.value.line == 2 and "finite" in e.value.message


# ----------------------------------------------------------------------------- 6. stats


def test_stats_attributes_default_to_features():
    s = RawSplit("dense", np.zeros((2, 3), dtype=np.float32), [[0], []], ["a", "b"])
    ds = RawDataset("d", {"train": s}, ["l"], num_features=3)
    assert ds.stats()["attributes"] == 3 and ds.stats()["features"] == 3
    ds2 = RawDataset("d", {"train": s}, ["l"], num_features=3, num_attributes=2)
    assert ds2.stats()["attributes"] == 2 and ds2.stats()["features"] == 3


# ----------------------------------------------------------------------------- real data: MULAN extras

EXTRA = {
    # instances, attributes, labels, cardinality, distinct label sets, features after one-hot,
    # train / test sizes, kind
    "birds": (("birds-train.arff", "birds-test.arff", "birds.xml"),
              645, 260, 19, "1.014", 133, 258 + 1 + 12, (322, 323), "dense"),
    "corel5k": (("Corel5k-train-sparse.arff", "Corel5k-test-sparse.arff", "Corel5k.xml"),
                5000, 499, 374, "3.522", 3175, 499, (4500, 500), "sparse"),
}


@pytest.mark.realdata
@pytest.mark.parametrize("name", list(EXTRA))
def test_mulan_extra_published_statistics(data_root, name):
    (tr, te, x), n, attrs, labels, card, distinct, feats, sizes, kind = EXTRA[name]
    folder = data_root / "mulan-extra" / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    label_names = read_mulan_labels(folder / x)
    ds = read_arff_dataset(name, {"train": folder / tr, "test": folder / te},
                           label_names=label_names, sources=[folder / x])
    st = ds.stats()
    assert (st["instances"], st["attributes"], st["labels"], st["distinct_labelsets"]) == (
        n, attrs, labels, distinct)
    assert f"{st['cardinality']:.3f}" == card
    assert st["features"] == feats and len(ds.feature_names) == feats
    assert (len(ds.splits["train"]), len(ds.splits["test"])) == sizes and ds.kind == kind
    assert ds.skipped == {}
    if name == "birds":
        assert "hasSegments" in ds.feature_names
        loc = [f for f in ds.feature_names if f.startswith("location=")]
        assert loc == [f"location={v}" for v in (2, 10, 1, 7, 5, 4, 17, 15, 16, 8, 13, 11)]
        X = np.concatenate([ds.splits[s].inputs for s in ("train", "test")])
        cols = [ds.feature_names.index(f) for f in loc]
        assert (X[:, cols].sum(1) == 1).all()  # exactly one location per recording
        assert sum(1 for s in ds.splits.values() for l in s.labels if not l) > 0


# ----------------------------------------------------------------------------- 2b. binary and id-like


def test_two_valued_nominal_attributes_are_one_column_each(tmp_path):
    text = ("@relation b\n@attribute a {true,false}\n@attribute b {no,yes}\n"
            "@attribute c {absent,present}\n@attribute d {YES,NO}\n@attribute y {0,1}\n@data\n"
            "true,no,present,NO,1\nfalse,yes,absent,YES,0\n{4 1}\n")
    out = read_arff(write(tmp_path / "b.arff", text), num_labels=1, kind="dense")
    assert out.feature_names == ["a=true", "b=yes", "c=present", "d=YES"]
    assert out.num_attributes == 4
    np.testing.assert_array_equal(out.split.inputs, [
        [1, 0, 1, 0],
        [0, 1, 0, 1],
        # sparse row: every attribute omitted has its first declared value
        [1, 0, 0, 1],
    ])
    # all dense rows: a dense table (the dataset step's dense_mode then decides its nodes)
    dense = write(tmp_path / "d.arff", text.replace("{4 1}\n", ""))
    assert read_arff(dense, num_labels=1).split.kind == "dense"


def _ids(n, first=0, declared=None):
    ids = [f"r{k}" for k in range(declared or n)]
    return ("@relation i\n@attribute id {" + ",".join(ids) + "}\n@attribute x numeric\n"
            "@attribute kind {u,v,w}\n@attribute y {0,1}\n@data\n"
            + "".join(f"r{first + k},{k},{'uvw'[k % 3]},{k % 2}\n" for k in range(n)))


def test_identifier_like_attribute_is_dropped_counted_or_kept(tmp_path):
    p = write(tmp_path / "i.arff", _ids(30))
    out = read_arff(p, num_labels=1, kind="dense")
    assert out.feature_names == ["x", "kind=u", "kind=v", "kind=w"]  # kind: 3 values, kept
    assert out.num_attributes == 2 and out.id_attributes == ["id"]
    key = ("identifier-like attribute 'id' (30 distinct values in 30 rows; dropped, "
           "data.id_attributes: keep keeps it)")
    assert out.skipped == {key: 30}
    np.testing.assert_array_equal(out.split.inputs[2], [2, 0, 0, 1])
    kept = read_arff(p, num_labels=1, kind="dense", id_attributes="keep")
    assert kept.feature_names[:2] == ["id=r0", "id=r1"] and kept.num_features == 30 + 4
    assert kept.skipped == {} and kept.num_attributes == 3
    assert kept.split.inputs[2, 2] == 1  # row 2 is r2
    with pytest.raises(ValueError, match="id_attributes"):
        read_arff(p, num_labels=1, id_attributes="maybe")


def test_identifier_like_is_decided_over_all_files(tmp_path):
    # 12 + 12 rows: each file alone has too few distinct ids, both together 24
    a = write(tmp_path / "a.arff", _ids(12, 0, 24))
    b = write(tmp_path / "b.arff", _ids(12, 12, 24))
    assert "id=r0" in read_arff(a, num_labels=1).feature_names
    ds = read_arff_dataset("i", {"train": a, "test": b}, num_labels=1)
    assert ds.feature_names == ["x", "kind=u", "kind=v", "kind=w"] and ds.num_attributes == 2
    assert list(ds.skipped.values()) == [24] and "24 distinct values in 24 rows" in next(iter(ds.skipped))
    keep = read_arff_dataset("i", {"train": a, "test": b}, num_labels=1, id_attributes="keep")
    assert keep.num_features == 24 + 4 and keep.skipped == {}


def test_a_repeated_nominal_attribute_is_not_identifier_like(tmp_path):
    # 25 declared values, each used by 4 of 100 rows: 25% distinct
    text = ("@relation r\n@attribute site {" + ",".join(f"s{k}" for k in range(25)) + "}\n"
            "@attribute y {0,1}\n@data\n" + "".join(f"s{k % 25},{k % 2}\n" for k in range(100)))
    out = read_arff(write(tmp_path / "r.arff", text), num_labels=1)
    assert out.num_features == 25 and out.skipped == {}
