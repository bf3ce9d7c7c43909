"""Tests of the built-in synthetic dataset (:mod:`lamp_pyg.io.synthetic`)."""
from collections import Counter

import numpy as np
import pytest

from lamp_pyg.io import RawDataset
from lamp_pyg.io.synthetic import DerivedRule, make_synthetic, synthetic_spec


@pytest.fixture(scope="module")
def raw():
    return make_synthetic(num_train=600, num_test=200, seed=7)


@pytest.fixture(scope="module")
def spec():
    return synthetic_spec()


def _equal(a: RawDataset, b: RawDataset) -> bool:
    return (a.label_names == b.label_names and a.splits.keys() == b.splits.keys()
            and all(a.splits[k].inputs == b.splits[k].inputs
                    and a.splits[k].labels == b.splits[k].labels
                    and a.splits[k].ids == b.splits[k].ids for k in a.splits))


def test_same_seed_same_data():
    assert _equal(make_synthetic(num_train=300, num_test=100, seed=3),
                  make_synthetic(num_train=300, num_test=100, seed=3))


def test_other_seed_other_data():
    a = make_synthetic(num_train=300, num_test=100, seed=3)
    b = make_synthetic(num_train=300, num_test=100, seed=4)
    assert a.splits["train"].inputs != b.splits["train"].inputs
    assert a.splits["test"].inputs != b.splits["test"].inputs
    assert a.label_names == b.label_names  # the structure does not depend on the seed


def test_test_split_does_not_depend_on_num_train():
    a = make_synthetic(num_train=100, num_test=50, seed=1)
    b = make_synthetic(num_train=300, num_test=50, seed=1)
    assert a.splits["test"].inputs == b.splits["test"].inputs
    assert a.splits["test"].labels == b.splits["test"].labels


def test_default_sizes():
    raw = make_synthetic()
    assert raw.name == "synthetic" and raw.kind == "text"
    assert set(raw.splits) == {"train", "test"}
    assert len(raw.splits["train"]) == 3000 and len(raw.splits["test"]) == 1000
    assert len(raw.label_names) == 30  # 3 groups x (1 topic + 6 base + 3 derived)
    assert raw.feature_names is None and raw.num_features is None
    assert raw.skipped == {} and raw.sources == []
    lengths = [len(t) for s in raw.splits.values() for t in s.inputs]
    assert 6 <= min(lengths) and max(lengths) <= 75  # 1 + 5 noise .. 5 + 6 x 5 + 40
    assert 30 < np.mean(lengths) < 40
    assert 5.0 < raw.stats()["cardinality"] < 6.0
    assert len(synthetic_spec().vocabulary) == 337


def test_label_names_and_roles(spec):
    assert spec.label_names[:10] == ["g0_topic"] + [f"g0_b{i}" for i in range(6)] + [
        "g0_d0", "g0_d1", "g0_d2"]
    assert spec.label_names[10] == "g1_topic"
    assert spec.topic_labels == [0, 10, 20]
    assert spec.base_labels[1] == list(range(11, 17))
    assert [r.label for r in spec.derived[:3]] == [7, 8, 9]
    # d<j> has parents b<j>..b<j+4> (mod 6) and thresholds 2, 3, 4
    assert spec.derived[0] == DerivedRule(7, (1, 2, 3, 4, 5), 2)
    assert spec.derived[1] == DerivedRule(8, (2, 3, 4, 5, 6), 3)
    assert spec.derived[2] == DerivedRule(9, (1, 3, 4, 5, 6), 4)
    assert all(spec.group_of[p] == spec.group_of[r.label] for r in spec.derived
               for p in r.parents)
    # more parents than attention heads (the default model uses 4)
    assert all(len(r.parents) == 5 for r in spec.derived)


def test_splits_are_well_formed(raw, spec):
    vocab = set(spec.vocabulary)
    for name, split in raw.splits.items():
        assert split.kind == "text"
        assert split.ids == [f"{name}-{i}" for i in range(len(split))]
        for toks, labs in zip(split.inputs, split.labels):
            assert toks and labs  # nothing the dataset step would drop
            assert labs == sorted(set(labs))
            assert all(isinstance(w, str) for w in toks) and set(toks) <= vocab


def test_derived_labels_follow_their_rules(raw, spec):
    for name in raw.splits:
        Y = raw.label_matrix(name)
        for rule in spec.derived:
            np.testing.assert_array_equal(Y[:, rule.label].astype(bool), rule.apply(Y),
                                          err_msg=f"{name}: {spec.label_names[rule.label]}")


def test_derived_labels_are_not_constant(raw, spec):
    Y = raw.label_matrix("train")
    for rule in spec.derived:
        rows = Y[:, spec.topic_labels[spec.group_of[rule.label]]] == 1  # its group's rows
        assert 0 < Y[rows, rule.label].sum() < rows.sum()


def test_one_group_per_sample(raw, spec):
    for split in raw.splits.values():
        for labs in split.labels:
            groups = {spec.group_of[l] for l in labs}
            assert len(groups) == 1
            assert spec.topic_labels[groups.pop()] in labs


def test_label_tokens_appear_iff_label_is_on(raw, spec):
    owner = {w: l for l, ws in spec.label_tokens.items() for w in ws}
    assert set(owner).isdisjoint(spec.noise_tokens)
    assert set(spec.label_tokens) == set(spec.topic_labels) | {
        b for bs in spec.base_labels for b in bs}
    repeats, noise = set(), set()
    for split in raw.splits.values():
        for toks, labs in zip(split.inputs, split.labels):
            counts = Counter(owner[w] for w in toks if w in owner)
            emitting = {l for l in labs if l in spec.label_tokens}
            assert set(counts) == emitting  # a topic / base label is on iff its words occur
            repeats |= set(counts.values())
            noise.add(sum(1 for w in toks if w not in owner))
    assert repeats == {1, 2, 3, 4, 5}  # 1..max_repeat words per label that is on
    assert min(noise) >= 5 and max(noise) <= 40  # noise_tokens


def test_derived_labels_have_no_tokens(spec):
    assert all(r.label not in spec.label_tokens for r in spec.derived)


def test_groups_never_cooccur(raw, spec):
    Y = raw.label_matrix("train").astype(np.int64)
    C = Y.T @ Y
    g = np.asarray(spec.group_of)
    assert (C[g[:, None] != g[None, :]] == 0).all()


def test_custom_structure():
    raw = make_synthetic(num_train=50, num_test=10, seed=0, num_groups=2, base_per_group=4,
                         derived_per_group=2, parents=3, thresholds=(2,), noise_tokens=(0, 0))
    assert len(raw.label_names) == 2 * (1 + 4 + 2)
    spec = synthetic_spec(num_groups=2, base_per_group=4, derived_per_group=2, parents=3,
                          thresholds=(2,))
    Y = raw.label_matrix("train")
    for rule in spec.derived:
        assert rule.threshold == 2 and len(rule.parents) == 3
        np.testing.assert_array_equal(Y[:, rule.label].astype(bool), rule.apply(Y))
    noise = set(spec.noise_tokens)
    assert not any(w in noise for t in raw.splits["train"].inputs for w in t)


@pytest.mark.parametrize("kwargs", [
    dict(parents=7), dict(thresholds=(6,)), dict(thresholds=()), dict(num_groups=0),
    dict(base_prob=1.5), dict(noise_tokens=(5, 2)), dict(noise_tokens=(-1, 2)),
    dict(max_repeat=0), dict(num_train=-1),
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        make_synthetic(**kwargs)
