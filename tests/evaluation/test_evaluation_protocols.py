"""Headline protocol, paper protocol and the text table."""
import json
import math

import numpy as np
import pytest

from lamp_pyg.evaluation import (
    PAPER_GRID,
    THRESHOLD_METRICS,
    compute_metrics,
    epoch_record,
    format_table,
    headline_report,
    paper_protocol,
    ranking_metrics,
    tune_global,
    tune_per_label,
    tuned_on_valid,
)


def split_case(seed, n=120, num_labels=15, density=0.15, noise=0.7):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, num_labels)) < density).astype(np.int64)
    S = np.clip((1 - noise) * Y + noise * rng.random((n, num_labels)), 0, 1)
    return Y, np.round(S, 3)


# --------------------------------------------------------------------------- headline


def test_headline_tunes_on_validation_and_applies_to_test():
    Yv, Sv = split_case(0)
    Yt, St = split_case(1, n=90)
    report = headline_report(Yv, Sv, Yt, St)
    assert list(report) == ["ACC", "HA", "ebF1", "miF1", "maF1", "mAP", "P@1", "P@3", "P@5"]
    for m in THRESHOLD_METRICS:
        t, v, _ = tune_global(Yv, Sv, m)
        assert report[m]["threshold"] == t
        assert report[m]["valid"] == v
        assert report[m]["test"] == compute_metrics(Yt, St, t)[m]
        assert "per_label" not in report[m]
    rv, rt = ranking_metrics(Yv, Sv), ranking_metrics(Yt, St)
    for m in rv:
        assert report[m] == {"threshold": None, "valid": rv[m], "test": rt[m]}
    # test data never moves a threshold
    other = headline_report(Yv, Sv, Yt, np.random.default_rng(5).random(St.shape))
    assert [other[m]["threshold"] for m in THRESHOLD_METRICS] == [report[m]["threshold"] for m in THRESHOLD_METRICS]


def test_headline_hand_example_reports_test_at_validation_threshold():
    # validation: perfect for 0.4 < t <= 0.6 -> smallest grid value 0.45.
    # test scores are lower: at 0.45 nothing is predicted, miF1 = 0 (test's own best would be 1 at 0.25).
    Yv, Sv = np.array([[1], [0]]), np.array([[0.6], [0.4]])
    Yt, St = np.array([[1], [0]]), np.array([[0.3], [0.2]])
    r = headline_report(Yv, Sv, Yt, St)
    assert r["miF1"] == {"threshold": 0.45, "valid": 1.0, "test": 0.0}
    assert r["ebF1"]["threshold"] == 0.45 and r["ebF1"]["test"] == 0.0
    assert tune_global(Yt, St, "miF1")[:2] == (0.25, 1.0)


def test_headline_per_label_variant():
    Yv, Sv = split_case(2, num_labels=10, density=0.1)
    Yt, St = split_case(3, n=80, num_labels=10, density=0.1)
    Yv[:, 4] = 0  # no validation positives: falls back to the metric's global threshold
    report = headline_report(Yv, Sv, Yt, St, per_label=True)
    for m in THRESHOLD_METRICS:
        pl = report[m]["per_label"]
        expected_t, _ = tune_per_label(Yv, Sv, fallback=report[m]["threshold"])
        assert pl["fallback"] == report[m]["threshold"]
        assert np.array_equal(pl["thresholds"], expected_t)
        assert pl["thresholds"][4] == report[m]["threshold"]
        assert pl["valid"] == compute_metrics(Yv, Sv, expected_t)[m]
        assert pl["test"] == compute_metrics(Yt, St, expected_t)[m]
    assert "per_label" not in report["mAP"]
    # per-label thresholds are really per label here
    assert len(set(report["maF1"]["per_label"]["thresholds"].tolist())) > 1


def test_headline_rejects_label_mismatch():
    Yv, Sv = split_case(0, num_labels=5)
    Yt, St = split_case(1, num_labels=6)
    with pytest.raises(ValueError):
        headline_report(Yv, Sv, Yt, St)


# --------------------------------------------------------------------------- paper protocol

GRID = [0.1, 0.2, 0.3]
NAN = float("nan")
VALID = {
    1: {"ACC": [0.20, 0.30, 0.30], "HA": [NAN, NAN, NAN], "ebF1": [0.40, 0.50, 0.45],
        "miF1": [0.30, 0.50, 0.70], "maF1": [NAN, NAN, NAN], "mAP": 0.60, "P@1": 0.70},
    2: {"ACC": [0.25, 0.28, 0.10], "HA": [0.90, 0.91, 0.91], "ebF1": [0.55, 0.60, 0.58],
        "miF1": [0.50, 0.60, 0.65], "maF1": [NAN, NAN, NAN], "mAP": 0.65, "P@1": 0.70},
    3: {"ACC": [0.30, 0.20, 0.10], "HA": [0.95, NAN, 0.80], "ebF1": [0.52, 0.59, NAN],
        "miF1": [0.40, 0.45, 0.50], "maF1": [NAN, NAN, NAN], "mAP": 0.70, "P@1": 0.70},
}


def test_value(metric, epoch, j=None):
    """Distinct test numbers, so the test value identifies the (epoch, threshold) it came from."""
    base = 0.1 * epoch + 0.001 * (THRESHOLD_METRICS + ("mAP", "P@1")).index(metric)
    return base if j is None else base + 0.01 * (j + 1)


test_value.__test__ = False  # a helper, not a test


def hand_records():
    records = []
    for epoch in (3, 1, 2):  # out of order on purpose
        valid = {"threshold": GRID, **VALID[epoch]}
        test = {"threshold": GRID}
        for m, v in VALID[epoch].items():
            test[m] = test_value(m, epoch) if np.isscalar(v) else [test_value(m, epoch, j) for j in range(3)]
        records.append({"epoch": epoch, "valid": valid, "test": test})
    return records


def test_paper_protocol_picks_per_metric_epoch_and_threshold():
    report = paper_protocol(hand_records())
    expected = {
        "ebF1": (2, 0.2, 0.60),   # the best cell of the table
        "miF1": (1, 0.3, 0.70),   # a different epoch for a different metric
        "ACC": (1, 0.2, 0.30),    # tie e1/t0.2, e1/t0.3, e3/t0.1 -> earliest epoch, then smallest threshold
        "HA": (3, 0.1, 0.95),     # nan ranks below numbers
    }
    for m, (epoch, t, v) in expected.items():
        assert report[m]["epoch"] == epoch, m
        assert report[m]["threshold"] == t, m
        assert report[m]["valid"] == v, m
        assert report[m]["test"] == test_value(m, epoch, GRID.index(t)), m
    # everything nan -> earliest epoch, smallest threshold, valid nan
    assert report["maF1"]["epoch"] == 1 and report["maF1"]["threshold"] == 0.1
    assert math.isnan(report["maF1"]["valid"])
    # threshold-free metrics pick an epoch only (ties -> earliest)
    assert report["mAP"] == {"epoch": 3, "threshold": None, "valid": 0.70, "test": test_value("mAP", 3)}
    assert report["P@1"]["epoch"] == 1 and report["P@1"]["threshold"] is None


def test_paper_protocol_report_order():
    assert list(paper_protocol(hand_records())) == ["ACC", "HA", "ebF1", "miF1", "maF1", "mAP", "P@1"]


def test_paper_protocol_from_scores_tuples_and_json_records():
    rng = np.random.default_rng(0)
    Yv, Sv = split_case(10)
    Yt, St = split_case(11, n=60)
    epochs = []
    for e in range(1, 4):
        noise = rng.normal(0, 0.15, Sv.shape)
        epochs.append((e, Yv, np.clip(Sv + noise, 0, 1), Yt, np.clip(St + noise[:60], 0, 1)))
    from_tuples = paper_protocol(epochs)
    records = [epoch_record(*e) for e in epochs]
    rec = records[0]
    assert set(rec) == {"epoch", "valid", "test"}
    assert len(rec["valid"]["threshold"]) == 27 and len(rec["valid"]["ebF1"]) == 27
    assert isinstance(rec["valid"]["mAP"], float)
    from_json = paper_protocol(json.loads(json.dumps(records)))
    assert json.dumps(from_tuples, sort_keys=True) == json.dumps(from_json, sort_keys=True)
    # each metric's choice is the brute-force best over (epoch, threshold) on validation
    for m in THRESHOLD_METRICS:
        best = max(
            ((compute_metrics(Yv_, Sv_, t)[m], -e, -t) for e, Yv_, Sv_, _, _ in epochs for t in PAPER_GRID),
            key=lambda x: (-np.inf if np.isnan(x[0]) else x[0], x[1], x[2]),
        )
        value, neg_e, neg_t = best
        assert from_tuples[m]["epoch"] == -neg_e and from_tuples[m]["threshold"] == -neg_t, m
        assert from_tuples[m]["valid"] == value
        e = -neg_e
        assert from_tuples[m]["test"] == compute_metrics(Yt, epochs[e - 1][4], -neg_t)[m]


def test_paper_protocol_rejects_inconsistent_records():
    records = hand_records()
    with pytest.raises(ValueError, match="duplicate"):
        paper_protocol(records + [records[0]])
    bad = hand_records()
    bad[1]["test"]["threshold"] = [0.1, 0.2, 0.35]
    with pytest.raises(ValueError, match="grid"):
        paper_protocol(bad)
    bad = hand_records()
    del bad[2]["valid"]["mAP"]
    with pytest.raises(ValueError, match="metrics"):
        paper_protocol(bad)
    with pytest.raises(ValueError):
        paper_protocol([])
    bad = hand_records()
    bad[1]["test"] = None  # epoch 1, trained with eval.test_every_epoch: false
    with pytest.raises(ValueError, match=r"epochs \[1\] have none"):
        paper_protocol(bad)


# --------------------------------------------------------------------------- table


def test_format_table_paper():
    text = format_table(paper_protocol(hand_records()))
    lines = text.splitlines()
    assert lines[0].startswith("paper protocol")
    assert lines[1].split() == ["metric", "epoch", "threshold", "valid", "test"]
    rows = {line.split()[0]: line.split() for line in lines[3:]}
    assert rows["ebF1"] == ["ebF1", "2", "0.2", "0.6000", f"{test_value('ebF1', 2, 1):.4f}"]
    assert rows["mAP"][:3] == ["mAP", "3", "-"]
    assert rows["maF1"][3] == "nan"
    assert len(lines) == 3 + 7


def test_format_table_headline_with_per_label():
    Yv, Sv = split_case(2, num_labels=6)
    Yt, St = split_case(3, n=50, num_labels=6)
    report = headline_report(Yv, Sv, Yt, St, per_label=True)
    lines = format_table(report, digits=3).splitlines()
    assert lines[0].startswith("headline protocol")
    assert "epoch" not in lines[1] and "per-label" in lines[1]
    row = lines[3 + 2].split()  # ebF1 row
    pl = report["ebF1"]["per_label"]
    assert row == ["ebF1", f"{report['ebF1']['threshold']:g}", f"{report['ebF1']['valid']:.3f}",
                   f"{report['ebF1']['test']:.3f}", f"{pl['valid']:.3f}", f"{pl['test']:.3f}"]
    assert lines[3 + 5].split()[-2:] == ["-", "-"]  # mAP has no per-label variant
    assert format_table(report, title="bibtex").splitlines()[0] == "bibtex"


def test_headline_at_least_one_variant():
    Yv, Sv = split_case(2, num_labels=10, density=0.1)
    Yt, St = split_case(3, n=80, num_labels=10, density=0.1)
    plain = headline_report(Yv, Sv, Yt, St)
    report = headline_report(Yv, Sv, Yt, St, at_least_one=True)
    for m in THRESHOLD_METRICS:
        one = report[m]["at_least_one"]
        t, v, _ = tune_global(Yv, Sv, m, at_least_one=True)
        assert one["threshold"] == t and one["valid"] == v
        assert one["test"] == compute_metrics(Yt, St, t, at_least_one=True)[m]
        # the plain entry is unchanged by asking for the variant
        assert {k: report[m][k] for k in ("threshold", "valid", "test")} == plain[m]
    assert "at_least_one" not in report["mAP"]
    lines = format_table(report, digits=3).splitlines()
    assert ">=1 label" in lines[1]
    row = lines[3 + 2].split()  # ebF1
    one = report["ebF1"]["at_least_one"]
    chosen = {"plain": ["plain"], "at_least_one": [">=1", "label"]}[report["ebF1"]["chosen"]["rule"]]
    assert row[-3 - len(chosen):] == [f"{one['threshold']:g}", f"{one['valid']:.3f}",
                                      f"{one['test']:.3f}"] + chosen
    assert lines[3 + 5].split()[-4:] == ["-", "-", "-", "-"]  # mAP
    assert "chosen" not in plain["ebF1"] and "chosen" not in report["mAP"]


def _rows_empty_below(n, num_labels, seed):
    """Every sample has one true label whose score is its row's maximum, but rows differ in
    scale, so no global threshold separates them: the "at least one label" rule helps."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((n, num_labels), dtype=np.int64)
    Y[np.arange(n), rng.integers(0, num_labels, n)] = 1
    scale = rng.uniform(0.05, 0.95, (n, 1))
    S = scale * rng.uniform(0.0, 0.8, (n, num_labels))
    S[Y == 1] = scale[:, 0] * 0.9
    return Y, S


def test_headline_chooses_the_decoding_rule_on_validation_only():
    Yv, Sv = _rows_empty_below(200, 6, 0)
    Yt, St = _rows_empty_below(150, 6, 1)
    report = headline_report(Yv, Sv, Yt, St, at_least_one=True)
    e = report["ebF1"]
    assert e["at_least_one"]["valid"] > e["valid"]  # the case is built for the rule
    assert e["chosen"] == {"rule": "at_least_one", **e["at_least_one"]}
    # test data never influences the choice: scramble test, the rule stays
    rng = np.random.default_rng(2)
    scrambled = headline_report(Yv, Sv, Yt, rng.permutation(St), at_least_one=True)
    assert scrambled["ebF1"]["chosen"]["rule"] == "at_least_one"
    # a sample with no true label in validation, predicted empty: the rule now costs there
    Yv2, Sv2 = Yv.copy(), Sv.copy()
    Yv2[:150] = 0
    Sv2[:150] *= 0.001  # below every threshold of the grid
    r2 = headline_report(Yv2, Sv2, Yt, St, at_least_one=True)["ebF1"]
    assert r2["at_least_one"]["valid"] <= r2["valid"]
    assert r2["chosen"] == {"rule": "plain", "threshold": r2["threshold"], "valid": r2["valid"],
                            "test": r2["test"]}


# --------------------------------------------------------------------------- tuned_on_valid
def test_tuned_on_valid_equals_tune_global_and_the_headline():
    Yv, Sv = split_case(3)
    Yt, St = split_case(4)
    got = tuned_on_valid(epoch_record(1, Yv, Sv, Yt, St), "ebF1")
    thr, val, _ = tune_global(Yv, Sv, "ebF1")
    assert got["threshold"] == thr and got["valid"] == pytest.approx(val)
    assert got["test"] == pytest.approx(headline_report(Yv, Sv, Yt, St)["ebF1"]["test"])


def test_tuned_on_valid_hand_record_ties_nan_and_unscored_test():
    rec = {"epoch": 1, "valid": {"threshold": [0.1, 0.2, 0.3], "ebF1": [float("nan"), 0.5, 0.5],
                                 "mAP": 0.3},
           "test": {"threshold": [0.1, 0.2, 0.3], "ebF1": [0.9, 0.4, 0.45], "mAP": 0.2}}
    assert tuned_on_valid(rec) == {"threshold": 0.2, "valid": 0.5, "test": 0.4}
    assert tuned_on_valid({**rec, "test": None})["test"] is None
    with pytest.raises(ValueError, match="'mAP' is not a thresholded metric"):
        tuned_on_valid(rec, "mAP")
