import json

import numpy as np
import pytest

from lamp_pyg.data.prepare import (BOS, EOS, UNK, PrepareOptions, make_splits, prepare,
                                   protected_valid_split)
from lamp_pyg.io.base import RawDataset, RawSplit


def toy_raw():
    train = RawSplit("text",
                     [["a", "b"], ["b", "c"], [], ["a"], ["c", "c", "d"], ["a", "d"]],
                     [[0], [0, 1], [1], [], [1, 3], [0]],
                     [f"tr{i}" for i in range(6)])
    valid = RawSplit("text", [["a", "z"], ["b"]], [[0, 2], []], ["v0", "v1"])
    test = RawSplit("text", [["zz", "a"], []], [[2], []], ["t0", "t1"])
    return RawDataset("toy", {"train": train, "valid": valid, "test": test},
                      ["l0", "l1", "l2", "l3"], skipped={"bad rows": 2})


def test_unlabeled_samples_are_kept_by_default(tmp_path):
    p = prepare(toy_raw(), PrepareOptions(), tmp_path)
    # row 3 (no label) is a training example; row 2 (empty input) is still dropped
    assert p.splits["train"].ids == ["tr0", "tr1", "tr3", "tr4", "tr5"]
    assert p.splits["train"].labels[2] == []
    assert p.splits["valid"].ids == ["v0", "v1"]
    assert not any("no label" in k for k in p.skipped)
    assert p.skipped["train samples with empty input (dropped, LaMP rule)"] == 1


def test_lamp_rules_drop_and_count(tmp_path):
    p = prepare(toy_raw(), PrepareOptions(drop_unlabeled=True), tmp_path)
    # label 2 never appears in training: dropped from the label set, counted
    assert p.label_names == ["l0", "l1", "l3"]
    assert p.skipped["labels never seen in training (dropped from the label set)"] == 1
    # train: row 2 (empty input) and row 3 (no label) dropped and counted
    assert p.splits["train"].ids == ["tr0", "tr1", "tr4", "tr5"]
    assert p.skipped["train samples with empty input (dropped, LaMP rule)"] == 1
    assert p.skipped["train samples with no label (dropped, LaMP rule)"] == 1
    # valid: v1 has no label -> dropped; v0 loses label l2 -> counted
    assert p.splits["valid"].ids == ["v0"]
    assert p.splits["valid"].labels == [[0]]
    assert p.skipped["valid label occurrences of labels unseen in training (dropped)"] == 1
    # test keeps everything, even the empty sample and the one left without labels
    assert p.splits["test"].ids == ["t0", "t1"]
    assert p.splits["test"].labels == [[], []]
    assert p.skipped["reader: bad rows"] == 2


def test_vocabulary_from_training_only(tmp_path):
    p = prepare(toy_raw(), PrepareOptions(), tmp_path)
    assert "z" not in p.vocab and "zz" not in p.vocab  # only in valid / test
    tok = {t: i for i, t in enumerate(p.vocab)}
    # most frequent first: c (3), a (3) -> tie broken alphabetically
    assert p.vocab[4:6] == ["a", "c"]
    assert p.splits["test"].tokens[0].tolist() == [BOS, UNK, tok["a"], EOS]
    assert p.splits["test"].tokens[1].tolist() == [BOS, EOS]


def test_max_len_truncates_and_counts(tmp_path):
    p = prepare(toy_raw(), PrepareOptions(max_len=1, bos_eos=False), tmp_path)
    assert all(len(t) <= 1 for s in p.splits.values() for t in s.tokens)
    assert p.skipped["train samples truncated to max_len=1 (kept)"] == 4  # tr0, tr1, tr4, tr5


def test_protected_split_never_takes_last_training_row():
    rng = np.random.default_rng(0)
    labels = [sorted(set(rng.integers(0, 30, size=rng.integers(1, 4)).tolist())) for _ in range(200)]
    labels += [[99]]  # a label with a single row
    valid = protected_valid_split(labels, 0.5, seed=3)
    assert len(valid) == round(0.5 * len(labels))
    assert 200 not in valid
    left = [l for i, ls in enumerate(labels) if i not in set(valid) for l in ls]
    assert set(left) == {l for ls in labels for l in ls}
    assert protected_valid_split(labels, 0.5, seed=3) == valid
    assert protected_valid_split(labels, 0.5, seed=4) != valid


def _no_valid_raw(n=50):
    rng = np.random.default_rng(1)
    tr = RawSplit("text", [[f"w{i}"] for i in range(n)],
                  [[int(rng.integers(0, 5))] for _ in range(n)], [str(i) for i in range(n)])
    te = RawSplit("text", [["w1"]], [[0]], ["t"])
    return RawDataset("nv", {"train": tr, "test": te}, [f"l{i}" for i in range(5)])


def test_seeded_split_saved_and_reused(tmp_path):
    raw = _no_valid_raw()
    opts = PrepareOptions(valid_fraction=0.2, split_seed=7)
    splits, rows, source = make_splits(raw, opts, tmp_path)
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1 and "seeded" in source
    saved = json.loads(files[0].read_text())
    assert saved["valid"] == rows["valid"] and len(rows["valid"]) == 10
    assert sorted(rows["train"] + rows["valid"]) == list(range(50))
    # a changed file on disk is what the next run uses (reused, not recomputed)
    files[0].write_text(json.dumps({"valid": [0, 1, 2]}))
    _, rows2, _ = make_splits(raw, opts, tmp_path)
    assert rows2["valid"] == [0, 1, 2]


def test_user_split_file_overrides(tmp_path):
    f = tmp_path / "split.json"
    f.write_text(json.dumps({"valid": [3, 4]}))
    splits, rows, source = make_splits(_no_valid_raw(), PrepareOptions(split_file=str(f)),
                                       tmp_path / "s")
    assert rows["valid"] == [3, 4] and splits["valid"].ids == ["3", "4"]
    assert source.startswith("file")


@pytest.mark.parametrize("content, msg", [
    ("not json", "not valid JSON"),
    ('{"valid": ["a"]}', "integer lists"),
    ('{"train": [1]}', "missing key 'valid'"),
    ('{"valid": [1000]}', "out of range"),
])
def test_bad_split_file(tmp_path, content, msg):
    f = tmp_path / "split.json"
    f.write_text(content)
    with pytest.raises(ValueError, match=msg):
        make_splits(_no_valid_raw(), PrepareOptions(split_file=str(f)), tmp_path / "s")


def test_single_split_data_gets_train_valid_test(tmp_path):
    raw = _no_valid_raw(100)
    raw = RawDataset("one", {"all": raw.splits["train"]}, raw.label_names)
    splits, rows, _ = make_splits(raw, PrepareOptions(valid_fraction=0.1, test_fraction=0.1,
                                                      split_seed=2), tmp_path)
    assert sorted(rows["train"] + rows["valid"] + rows["test"]) == list(range(100))
    assert len(rows["test"]) == 10 and len(rows["valid"]) == 10
    _, rows_other_seed, _ = make_splits(raw, PrepareOptions(split_seed=3), tmp_path)
    assert rows_other_seed["test"] != rows["test"]


def test_dense_standardised_on_train(tmp_path):
    X = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]], np.float32)
    raw = RawDataset("d", {"train": RawSplit("dense", X, [[0], [1], [0]], ["a", "b", "c"]),
                           "valid": RawSplit("dense", X[:1], [[0]], ["v"]),
                           "test": RawSplit("dense", X[:1] + 2, [[1]], ["t"])}, ["x", "y"],
                     feature_names=["f0", "f1"], num_features=2)
    p = prepare(raw, PrepareOptions(), tmp_path)
    v = p.splits["train"].vecs
    assert v.shape == (3, 2)
    np.testing.assert_allclose(v[:, 0], [-1.2247449, 0.0, 1.2247449], rtol=1e-5)
    np.testing.assert_allclose(v[:, 1], 0.0)  # constant feature: std 1, not a division by 0
    np.testing.assert_allclose(p.splits["test"].vecs[0, 0], 0.0, atol=1e-6)
    nodes = prepare(raw, PrepareOptions(dense_mode="nodes"), tmp_path)
    assert nodes.vocab[4:] == ["f0", "f1"]
    assert nodes.splits["train"].tokens[0].tolist() == [4, 5]
    np.testing.assert_allclose(nodes.splits["train"].values[2], v[2])


# ---------------------------------------------------------------------- dense_mode sparse / auto
from lamp_pyg.data.prepare import SPARSE_DENSITY, choose_dense_mode, dense_scaling, encode_input  # noqa: E402


def dense_raw(X, Xtest=None):
    X = np.asarray(X, np.float32)
    n = len(X)
    Xtest = X[:2] if Xtest is None else np.asarray(Xtest, np.float32)
    return RawDataset("d", {"train": RawSplit("dense", X, [[i % 2] for i in range(n)],
                                              [f"r{i}" for i in range(n)]),
                            "valid": RawSplit("dense", X[:2], [[0], [1]], ["v0", "v1"]),
                            "test": RawSplit("dense", Xtest, [[1]] * len(Xtest),
                                             [f"t{i}" for i in range(len(Xtest))])},
                      ["x", "y"], feature_names=[f"f{j}" for j in range(X.shape[1])],
                      num_features=X.shape[1])


def test_auto_rule_edges():
    assert SPARSE_DENSITY == 0.25
    ones = np.ones((4, 10))
    ones[0, 0] = 0  # 0/1 cells, 97.5% non-zero: sparse (0/1 data loses nothing)
    assert choose_dense_mode("auto", ones)[0] == "sparse"
    assert "every training cell is 0 or 1" in choose_dense_mode("auto", ones)[1]
    real = np.zeros((4, 10))
    real[:, :2] = 0.5  # 20% non-zero, real values
    real[0:2, 2] = 3.0  # 10 of 40 cells = 25%: at the threshold, sparse
    assert choose_dense_mode("auto", real) == ("sparse", "25.0% of the training cells are "
                                               "non-zero (at most 25%)")
    real[2, 2] = -1.0  # 27.5%: nodes
    mode, why = choose_dense_mode("auto", real)
    assert mode == "nodes" and why.startswith("27.5%")
    assert choose_dense_mode("auto", np.zeros((0, 3)))[0] == "nodes"  # nothing to measure
    for m in ("nodes", "sparse", "linear"):  # given: kept, no reason
        assert choose_dense_mode(m, ones) == (m, None)


def test_sparse_scaling_keeps_zero_absent():
    X = np.array([[0.0, 2.0, 0.0], [4.0, -6.0, 0.0]])
    mean, scale = dense_scaling("sparse", X)
    np.testing.assert_array_equal(mean, 0.0)
    np.testing.assert_array_equal(scale, [4.0, 6.0, 1.0])  # all-zero column: 1
    e = encode_input("dense", np.array([0.0, 3.0, 0.0]), {}, PrepareOptions(dense_mode="sparse"),
                     mean, scale)
    assert e.ids.tolist() == [5] and e.values.tolist() == [0.5] and not e.empty
    e = encode_input("dense", np.zeros(3), {}, PrepareOptions(dense_mode="sparse"), mean, scale)
    assert e.ids.size == 0 and not e.empty  # an all-zero row: a sample without input nodes


def test_binary_table_prepares_into_its_non_zero_features(tmp_path):
    X = np.zeros((10, 6))
    for i in range(10):
        X[i, [i % 6, (i + 2) % 6]] = 1.0
    X[9] = 0.0  # an all-zero training row is kept, with no node
    p = prepare(dense_raw(X, [[0, 0, 0, 0, 0, 1]]), PrepareOptions(dense_mode="auto"), tmp_path)
    assert p.options.dense_mode == "sparse" and "0 or 1" in p.dense_mode_reason
    tr = p.splits["train"]
    assert len(tr.tokens) == 10 and not any("empty" in k for k in p.skipped)
    assert tr.tokens[0].tolist() == [4, 6] and tr.values[0].tolist() == [1.0, 1.0]
    assert tr.tokens[9].size == 0 and tr.values[9].size == 0
    assert p.splits["test"].tokens[0].tolist() == [9]
    assert p.vocab[4:] == [f"f{j}" for j in range(6)]
    assert p.feature_mean == [0.0] * 6 and p.feature_std == [1.0] * 6


def test_real_valued_table_prepares_as_before(tmp_path):
    """auto on a real-valued table is exactly nodes, and nodes is what it always was:
    one node per feature, standardised on the training split."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5)).astype(np.float32)
    X[:, 4] = 2.0  # a constant column: std 1
    raw = dense_raw(X)
    auto = prepare(raw, PrepareOptions(dense_mode="auto"), tmp_path)
    nodes = prepare(raw, PrepareOptions(dense_mode="nodes"), tmp_path)
    assert auto.options.dense_mode == "nodes" and auto.dense_mode_reason.startswith("100.0%")
    assert nodes.options.dense_mode == "nodes" and nodes.dense_mode_reason is None
    mean, std = X.astype(np.float64).mean(0), X.astype(np.float64).std(0)
    std[4] = 1.0
    for split in ("train", "valid", "test"):
        a, b = auto.splits[split], nodes.splits[split]
        assert a.ids == b.ids and a.labels == b.labels
        for ta, tb, va, vb in zip(a.tokens, b.tokens, a.values, b.values):
            assert ta.tolist() == tb.tolist() == [4, 5, 6, 7, 8]
            np.testing.assert_array_equal(va, vb)
    np.testing.assert_allclose(nodes.splits["train"].values[3], (X[3] - mean) / std, rtol=1e-6)
    assert auto.feature_mean == nodes.feature_mean and auto.feature_std == nodes.feature_std
