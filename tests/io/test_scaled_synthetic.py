"""The scaled synthetic generator: determinism, derived rule, feature signal, sizes."""
import numpy as np
import pytest

from lamp_pyg.io.scaled_synthetic import ScaledSpec, make_scaled_synthetic


def _small(seed=0, **kw):
    spec = ScaledSpec.for_labels(50)
    return spec, make_scaled_synthetic(spec, num_train=300, num_test=100, seed=seed, **kw)


def test_determinism_by_seed():
    _, a = _small(0)
    _, b = _small(0)
    _, c = _small(1)
    for s in ("train", "test"):
        assert a.splits[s].labels == b.splits[s].labels
        for (ia, va), (ib, vb) in zip(a.splits[s].inputs, b.splits[s].inputs):
            assert np.array_equal(ia, ib) and np.array_equal(va, vb)
    assert a.splits["train"].labels != c.splits["train"].labels
    # the test split does not depend on num_train
    spec = ScaledSpec.for_labels(50)
    d = make_scaled_synthetic(spec, num_train=10, num_test=100, seed=0)
    assert d.splits["test"].labels == a.splits["test"].labels


def test_derived_labels_follow_their_rule_and_base_labels_their_features():
    spec, raw = _small()
    assert raw.kind == "sparse" and raw.num_features == spec.num_features == 5 * 8 * 2 + 1000
    assert len(raw.label_names) == spec.num_labels == 50
    n_derived = 0
    for (ids, vals), labs in zip(raw.splits["train"].inputs, raw.splits["train"].labels):
        labs = np.asarray(labs)
        assert list(labs) == sorted(set(labs.tolist()))
        derived = labs[spec.is_derived(labs)]
        assert sorted(spec.derived_from(labs)) == derived.tolist()
        n_derived += derived.size
        # a base label is on iff one of its features occurs
        label_feats = ids[ids < spec.num_groups * 8 * 2]
        base_from_feats = np.unique(label_feats // 2)  # global base index
        base = labs[~spec.is_derived(labs)]
        assert (base // 10 * 8 + base % 10).tolist() == base_from_feats.tolist()
        assert np.all(vals >= 1) and list(ids) == sorted(ids)
    assert n_derived > 0


def test_hand_rule_and_graph():
    spec = ScaledSpec.for_labels(20)  # 2 groups of 8 base + 2 derived, parents 4, thresholds (2, 3)
    # group 1: base 0, 1, 2 on -> d0 (parents 0..3, needs 2) on, d1 (parents 1..4, needs 3) off
    assert spec.derived_from([10, 11, 12]) == [18]
    assert spec.derived_from([11, 12, 13]) == [18, 19]
    assert spec.derived_from([5]) == []
    e = spec.label_edges()
    assert e.shape == (2, 200)
    assert np.all(e[0] // 10 == e[1] // 10)  # within a group only
    assert set(zip(*e.tolist())) >= {(i, i) for i in range(20)}


def test_bad_arguments():
    with pytest.raises(ValueError, match="multiple of the group size 10"):
        ScaledSpec.for_labels(1005)
    with pytest.raises(ValueError, match="thresholds"):
        ScaledSpec(num_groups=2, thresholds=(5,))
    with pytest.raises(ValueError, match="num_train"):
        make_scaled_synthetic(ScaledSpec(2), num_train=-1)
