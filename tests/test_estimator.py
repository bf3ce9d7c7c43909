"""LaMPClassifier: scikit-learn's estimator checks, Pipeline / cross_val_score /
GridSearchCV, run directories, and the same test scores as train.py on the same data."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from lamp_pyg import LaMPClassifier
from lamp_pyg.estimator import PARAMS

TINY = dict(d_model=16, d_ff=16, heads=2, n_layers_enc=1, n_layers_dec=1, epochs=1,
            ensemble=1, batch_size=8, num_threads=1, random_state=0)

# The checks that cannot apply (README, "From scikit-learn"). All but one fit a 1-D target
# or, with the multi-label tags, one column of several classes (0, 1, 2, ...): a
# multi-label estimator takes 0/1 columns only, and refuses these with a ValueError.
ONE_COLUMN = "fits a 1-D or one-column multi-class target: LaMPClassifier is multi-label (0/1)"
EXPECTED_FAILED = {name: ONE_COLUMN for name in (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_estimator_sparse_tag", "check_estimator_sparse_array", "check_estimator_sparse_matrix",
    "check_f_contiguous_array_estimator", "check_classifier_data_not_an_array",
    "check_classifiers_one_label", "check_classifiers_classes", "check_classifiers_train",
    "check_decision_proba_consistency", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1feature", "check_dict_unchanged",
    "check_fit2d_predict1d")}
EXPECTED_FAILED["check_classifier_multioutput"] = (
    "expects predict == (predict_proba > 0.5); predict uses the threshold tuned on validation")


@parametrize_with_checks([LaMPClassifier(**TINY)], expected_failed_checks=lambda e: EXPECTED_FAILED)
def test_sklearn_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- small data

def _dense(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    Y = (X[:, :3] + 0.3 * rng.normal(size=(n, 3)) > 0).astype(int)
    return X, Y


TEXTS = ["red apple fruit", "green apple pie", "blue sky day", "dark sky night stars"] * 12
TOPICS = [["fruit"], ["fruit", "food"], ["sky"], ["sky", "night"]] * 12


def test_each_argument_sets_its_config_key_and_none_keeps_the_config():
    from lamp_pyg.shipped import shipped_configs
    from lamp_pyg.training.config import load_config
    own = load_config(shipped_configs()["own_data"])
    cfg = LaMPClassifier().make_config()
    assert cfg.model == own.model and cfg.graph == own.graph and cfg.train.lr == own.train.lr
    cfg = LaMPClassifier(d_model=32, graph_kind="knn", lr=0.01, random_state=3,
                         overrides=("graph.k=4",)).make_config()
    assert (cfg.model.d_model, cfg.graph.kind, cfg.train.lr, cfg.graph.k) == (32, "knn", 0.01, 4)
    assert cfg.train.seed == 3 and cfg.data.split_seed == 3
    import inspect
    args = set(inspect.signature(LaMPClassifier).parameters)
    assert set(PARAMS) <= args
    for key in PARAMS.values():  # each names a real key
        section, name = key.split(".")
        assert hasattr(getattr(own, section), name), key


def test_a_bad_setting_is_refused_naming_the_key_before_any_work():
    X, Y = _dense(20)
    with pytest.raises(ValueError, match=r"graph\.kind.*'prior'"):
        LaMPClassifier(graph_kind="priors").fit(X, Y)
    with pytest.raises(ValueError, match="multi-hot"):
        LaMPClassifier(**TINY).fit(X, np.arange(20))


def test_lists_of_labels_and_texts_and_pickle():
    clf = LaMPClassifier(**TINY).fit(TEXTS, TOPICS)
    assert list(clf.classes_) == ["food", "fruit", "night", "sky"]
    P = clf.predict_proba(["apple pie", "night sky", "zzz unknown"])
    assert P.shape == (3, 4) and ((0 <= P) & (P <= 1)).all()
    assert clf.predict(["apple"]).shape == (1, 4)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(TEXTS[:4]), clf.predict_proba(TEXTS[:4]))
    with pytest.raises(ValueError, match="fitted on texts"):
        clf.predict(np.zeros((2, 3)))


def test_a_label_never_seen_in_training_gets_probability_0():
    X, Y = _dense(40)
    Y = np.hstack([Y, np.zeros((40, 1), int)])  # a fourth, empty column
    clf = LaMPClassifier(**TINY).fit(X, Y)
    P = clf.predict_proba(X[:5])
    assert P.shape == (5, 4) and (P[:, 3] == 0).all() and (P[:, :3] > 0).all()


def test_pipeline_tfidf_cross_val_score_and_grid_search():
    pipe = make_pipeline(TfidfVectorizer(), LaMPClassifier(**TINY))
    Y = LaMPClassifier()._targets(TOPICS, fit=True)
    scores = cross_val_score(pipe, TEXTS, Y, cv=KFold(2), scoring="f1_samples")
    assert scores.shape == (2,) and (scores > 0).all()
    X, Yd = _dense(60)
    grid = GridSearchCV(LaMPClassifier(**TINY), {"d_model": [8, 16]}, cv=2,
                        scoring="f1_samples").fit(X, Yd)
    assert grid.best_params_["d_model"] in (8, 16) and len(grid.cv_results_["params"]) == 2


def test_kept_run_dir_predicts_by_the_cli_and_loads_back(tmp_path, capsys):
    from lamp_pyg.cli.main import main
    X, Y = _dense(60)
    names = [["calm", "happy", "sad"][j] for j in range(3)]
    rows = [[names[j] for j in np.flatnonzero(r)] for r in Y]
    clf = LaMPClassifier(**TINY, run_dir=str(tmp_path / "run")).fit(X, rows)
    assert (tmp_path / "run" / "best.pt").is_file()
    back = LaMPClassifier.load(tmp_path / "run")
    np.testing.assert_allclose(back.predict_proba(X[:7]), clf.predict_proba(X[:7]), atol=1e-6)
    assert list(back.classes_) == list(clf.classes_) and back.n_features_in_ == 6
    assert main(["predict", str(tmp_path / "run"), "--input", ",".join(map(str, X[0]))]) == 0
    out = capsys.readouterr().out
    assert "(6 of 6 features known)" in out
    assert any(name in out for name in names) or "no label above threshold" in out
    with pytest.raises(Exception, match="already holds a run"):  # a run is never overwritten
        LaMPClassifier(**TINY, run_dir=str(tmp_path / "run")).fit(X, rows)


def test_fit_scores_as_train_py_does_on_the_same_data(tmp_path, capsys):
    """train.py on a dataset's files and LaMPClassifier on its arrays, with the same config
    (own_data, tiny settings) and seed: the same model, the same test scores."""
    from lamp_pyg.evaluation import example_f1, mean_average_precision
    from lamp_pyg.io.sources import SourceSpec
    from lamp_pyg.training.predict import Predictor
    from tests.training.helpers import main_in_process, write_dense_data

    folder, _, _ = write_dense_data(tmp_path / "data")
    files = dict(format="arff", train="emotions-train.arff", test="emotions-test.arff",
                 labels="emotions.xml")
    tiny = ["model.d_model=16", "model.d_ff=16", "model.heads=2", "model.n_layers_enc=1",
            "model.n_layers_dec=1", "train.epochs=3", "train.ensemble=1", "train.batch_size=8",
            "train.num_threads=1", "train.progress=false", "eval.plots=false"]
    sets = [f"data.{k}={v}" for k, v in files.items()] + [
        f"data.root={folder}", f"data.cache={tmp_path / 'cache'}"] + tiny
    rc, _, err = main_in_process(["--config", "own_data", "--run-dir", tmp_path / "run",
                                  *[a for s in sets for a in ("--set", s)]], capsys)
    assert rc == 0, err
    report = json.loads((tmp_path / "run" / "results.json").read_text())

    raw = SourceSpec(**{k: v if k == "format" else str(folder / v)
                        for k, v in files.items()}).read("emotions")
    (Xtr, Ltr), (Xte, Lte) = [(raw.splits[s].inputs, raw.splits[s].labels) for s in ("train", "test")]
    hot = lambda L: np.array([[int(j in r) for j in range(3)] for r in L])
    clf = LaMPClassifier("own_data", d_model=16, d_ff=16, heads=2, n_layers_enc=1,
                         n_layers_dec=1, epochs=3, ensemble=1, batch_size=8, num_threads=1,
                         random_state=0).fit(Xtr, hot(Ltr))
    P = clf.predict_proba(Xte)
    np.testing.assert_allclose(P, Predictor.load(tmp_path / "run").predict_proba(list(Xte)),
                               atol=1e-5)
    h = report["headline"]
    assert h["ebF1"]["chosen"]["test"] == pytest.approx(example_f1(hot(Lte), clf.predict(Xte)),
                                                        abs=1e-6)
    assert h["mAP"]["test"] == pytest.approx(mean_average_precision(hot(Lte), P), abs=1e-5)
