"""LaMP as a scikit-learn estimator for multi-label data (the top floor, beside the CLI).

    from lamp_pyg import LaMPClassifier
    clf = LaMPClassifier(epochs=20, random_state=0).fit(X_train, Y_train)
    clf.predict(X_test)          # [n, L] multi-hot, columns clf.classes_

:class:`LaMPClassifier` is the training loop of ``lamp-pyg train`` on arrays in memory:
``fit`` makes :meth:`~lamp_pyg.data.dataset.LaMPDataset.from_arrays` datasets (a seeded
validation share of ``X`` held out, ``data.valid_fraction``), trains with
:func:`~lamp_pyg.training.loop.train` (or a seed ensemble), picks the best epoch and the
threshold on that validation share, and predicts with
:class:`~lamp_pyg.training.predict.Predictor`. Every setting comes from a config
(``config``: a shipped config's name, default ``own_data``, the recipe, or a YAML file);
each argument below left at ``None`` keeps the config's value, and one given sets exactly
one config key (:data:`PARAMS`). ``overrides`` sets any other key (``"graph.k=8"``).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

# argument -> the config key it sets (its default and domain: the config schema)
PARAMS = {
    "graph_kind": "graph.kind", "d_model": "model.d_model", "d_ff": "model.d_ff",
    "heads": "model.heads", "n_layers_enc": "model.n_layers_enc",
    "n_layers_dec": "model.n_layers_dec", "dropout": "model.dropout", "wide": "model.wide",
    "epochs": "train.epochs", "ensemble": "train.ensemble", "batch_size": "train.batch_size",
    "lr": "train.lr", "weight_decay": "train.weight_decay",
    "select_metric": "train.select_metric", "at_least_one": "eval.at_least_one",
    "valid_fraction": "data.valid_fraction", "max_len": "data.max_len",
    "dense_mode": "data.dense_mode", "device": "train.device", "num_threads": "train.num_threads",
}
CLASSES_FILE = "classes.json"  # in a kept run directory: classes_ in column order


class LaMPClassifier(ClassifierMixin, BaseEstimator):
    """LaMP (label message passing) for multi-label classification, scikit-learn style.

    ``X``: a dense ``[n, F]`` array, a scipy.sparse matrix (e.g. from ``TfidfVectorizer``),
    or a list of texts (tokenised as Reuters) or of token lists. ``Y``: a multi-hot
    ``[n, L]`` matrix (``classes_`` = ``0..L-1``) or lists of labels (binarised as
    :class:`~sklearn.preprocessing.MultiLabelBinarizer` does; ``classes_`` its sorted
    classes). ``predict`` gives the multi-hot ``[n, L]`` matrix in ``classes_`` order,
    ``predict_proba`` the ``[n, L]`` probabilities, ``decision_function`` their logits.
    ``score`` is scikit-learn's classifier score: subset accuracy (exact match); for
    example-based F1 (LaMP's ebF1) use ``scoring="f1_samples"``.

    Args:
        config: a shipped config's name (``lamp-pyg configs``) or a YAML file; its
            ``data`` section gives the preparation options (not the files).
        graph_kind, d_model, d_ff, heads, n_layers_enc, n_layers_dec, dropout, wide,
        epochs, ensemble, batch_size, lr, weight_decay, select_metric, at_least_one,
        valid_fraction, max_len, dense_mode, device, num_threads: the config keys of
            :data:`PARAMS` (``None``: the config's value).
        random_state: ``train.seed`` and ``data.split_seed`` (``None``: the config's).
        overrides: more ``key=value`` settings, as ``--set`` takes them.
        run_dir: keep the run there (checkpoints, results, ``lamp-pyg predict RUN_DIR``
            works on it; :meth:`load` reads it back); ``None``: a temporary folder,
            removed after ``fit`` (the fitted models stay in memory and pickle).
        verbose: print the training log.

    In the run, the "test" split is the validation share (``fit`` is given no test set):
    score held-out data with ``score`` or your own metric.

    scikit-learn's estimator checks that cannot apply: see ``README.md``, "From
    scikit-learn" (those that fit one column of multi-class targets: this estimator is
    multi-label only).
    """

    def __init__(self, config="own_data", *, graph_kind=None, d_model=None, d_ff=None,
                 heads=None, n_layers_enc=None, n_layers_dec=None, dropout=None, wide=None,
                 epochs=None, ensemble=None, batch_size=None, lr=None, weight_decay=None,
                 select_metric=None, at_least_one=None, valid_fraction=None, max_len=None,
                 dense_mode=None, device=None, num_threads=None, random_state=None,
                 overrides=(), run_dir=None, verbose=False):
        self.config = config
        self.graph_kind, self.d_model, self.d_ff, self.heads = graph_kind, d_model, d_ff, heads
        self.n_layers_enc, self.n_layers_dec, self.dropout = n_layers_enc, n_layers_dec, dropout
        self.wide, self.epochs, self.ensemble, self.batch_size = wide, epochs, ensemble, batch_size
        self.lr, self.weight_decay, self.select_metric = lr, weight_decay, select_metric
        self.at_least_one, self.valid_fraction, self.max_len = at_least_one, valid_fraction, max_len
        self.dense_mode, self.device, self.num_threads = dense_mode, device, num_threads
        self.random_state, self.overrides, self.run_dir, self.verbose = (
            random_state, overrides, run_dir, verbose)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        tags.input_tags.string = True
        return tags

    # ------------------------------------------------------------------ settings
    def settings(self) -> list:
        """The ``key=value`` overrides this estimator applies to its config."""
        sets = [f"{key}={_yaml(getattr(self, p))}" for p, key in PARAMS.items()
                if getattr(self, p) is not None]
        if self.random_state is not None:
            seed = (self.random_state if isinstance(self.random_state, (int, np.integer))
                    else check_random_state(self.random_state).randint(2**31 - 1))
            sets += [f"train.seed={int(seed)}", f"data.split_seed={int(seed)}"]
        sets += ["eval.test_every_epoch=false", "eval.plots=false", "train.checkpoint_minutes=0",
                 f"train.progress={_yaml(bool(self.verbose))}"]
        return sets + list(self.overrides)

    def make_config(self):
        """The run's :class:`~lamp_pyg.training.config.Config`: the config plus
        :meth:`settings` (errors name the key, as ``--set`` does)."""
        from lamp_pyg.shipped import resolve_config
        from lamp_pyg.training.config import load_config
        return load_config(resolve_config(self.config), self.settings())

    # ------------------------------------------------------------------ fit
    def fit(self, X, Y):
        """Trains on ``X``, ``Y`` (validation: a seeded share of them); returns self."""
        from lamp_pyg.training.predict import Predictor
        cfg = self.make_config()  # bad settings fail before any work
        X = self._inputs(X, reset=True)
        Y = self._targets(Y, fit=True)
        if len(Y) != _len(X):
            raise ValueError(f"X has {_len(X)} samples but Y has {len(Y)} rows")
        if len(Y) < 2:
            raise ValueError(f"got {len(Y)} sample: fit needs at least 2 (a share of them "
                             "is held out for validation)")
        if not Y.any():
            raise ValueError("Y has no positive label: nothing to learn")
        tmp = Path(tempfile.mkdtemp(prefix="lamp-pyg-"))
        run_dir = Path(self.run_dir) if self.run_dir is not None else tmp / "run"
        try:
            _train(cfg, X, Y, [str(c) for c in self.classes_], tmp / "cache", run_dir,
                   print if self.verbose else (lambda *a: None))
            self.predictor_ = Predictor.load(run_dir)
            if self.run_dir is not None:
                (run_dir / CLASSES_FILE).write_text(json.dumps(_plain(self.classes_)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._columns()
        return self

    def _inputs(self, X, reset: bool):
        """Texts as a list; arrays and sparse matrices checked as scikit-learn does."""
        if _is_text(X):
            if reset:
                self.text_ = True
            elif not getattr(self, "text_", False):
                raise ValueError("this model was fitted on feature arrays, got texts")
            return list(X)
        if not reset and getattr(self, "text_", False):
            raise ValueError("this model was fitted on texts, got a feature array")
        if reset:
            self.text_ = False
        return validate_data(self, X, accept_sparse="csr", dtype=np.float32, reset=reset)

    def _targets(self, Y, fit: bool) -> np.ndarray:
        """``Y`` as a 0/1 ``[n, L]`` int matrix (``fit``: sets ``classes_``)."""
        if Y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None (a multi-hot [n, L] matrix or lists of labels)")
        if hasattr(Y, "toarray"):
            Y = Y.toarray()
        A = _matrix(Y)
        if A is None:  # lists of labels
            rows = [list(r) for r in Y]
            if fit:
                self.mlb_ = MultiLabelBinarizer().fit(rows)
                self.classes_ = self.mlb_.classes_
            return self.mlb_.transform(rows).astype(np.int64)
        if A.ndim != 2 or not np.isin(A, (0, 1)).all():
            kind = "Unknown label type: continuous. " if A.dtype.kind == "f" else ""
            raise ValueError(f"{kind}Y: expected a multi-hot [n, L] matrix of 0/1 or lists of "
                             f"labels (this estimator is multi-label), got shape {A.shape}"
                             + ("" if A.ndim != 2 else f" with values {np.unique(A)[:5]}"))
        if fit:
            self.mlb_ = None
            self.classes_ = np.arange(A.shape[1])
        return A.astype(np.int64)

    def _columns(self) -> None:
        """Which column of ``classes_`` each of the model's labels is (labels never seen
        in the training share are not in the model: probability 0)."""
        names = {str(c): j for j, c in enumerate(self.classes_)}
        self.columns_ = np.array([names[n] for n in self.predictor_.label_names])

    # ------------------------------------------------------------------ predict
    def predict_proba(self, X) -> np.ndarray:
        """``[n, L]`` probabilities (mean over the ensemble's members), ``classes_`` order."""
        check_is_fitted(self, "predictor_")
        X = self._inputs(X, reset=False)
        rows = X if isinstance(X, list) else _rows(X)
        P = np.zeros((len(rows), len(self.classes_)), dtype=np.float64)
        if rows:
            P[:, self.columns_] = self.predictor_.predict_proba(rows, strict=False)
        return P

    def decision_function(self, X) -> np.ndarray:
        """``[n, L]`` logits of :meth:`predict_proba` (clipped at 1e-7 from 0 and 1)."""
        P = np.clip(self.predict_proba(X), 1e-7, 1 - 1e-7)
        return np.log(P) - np.log1p(-P)

    def predict(self, X) -> np.ndarray:
        """The multi-hot ``[n, L]`` prediction: probability at least the threshold tuned
        on validation for ``select_metric`` (with the "at least one label" rule where the
        run chose it there)."""
        from lamp_pyg.evaluation.metrics import binarize
        P = self.predict_proba(X)
        if not len(P):
            return P.astype(np.int64)
        return binarize(P, self.predictor_.threshold,
                        self.predictor_.at_least_one).astype(np.int64)

    def inverse_transform(self, Yhat) -> list:
        """A multi-hot matrix -> lists of labels (of ``classes_``)."""
        check_is_fitted(self, "classes_")
        return [[self.classes_[j] for j in np.flatnonzero(row)] for row in np.asarray(Yhat)]

    # ------------------------------------------------------------------ runs
    @classmethod
    def load(cls, run_dir) -> "LaMPClassifier":
        """A fitted estimator from a run directory: one kept by ``run_dir=...``, or any run
        of ``lamp-pyg train`` / ``train.py`` (classes: its label names; inputs: feature
        arrays, or texts for a text model)."""
        from lamp_pyg.training.predict import Predictor
        run_dir = Path(run_dir)
        est = cls(config=str(run_dir / "config.yaml"), run_dir=str(run_dir))
        est.predictor_ = Predictor.load(run_dir)
        classes = run_dir / CLASSES_FILE
        est.classes_ = np.array(json.loads(classes.read_text()) if classes.is_file()
                                else est.predictor_.label_names)
        est.mlb_ = None
        est.text_ = est.predictor_.kind == "text"
        width = est.predictor_.meta.get("num_features")
        if width and not est.text_:
            est.n_features_in_ = width
        est._columns()
        return est


def _train(cfg, X, Y, label_names, cache: Path, run_dir: Path, log) -> None:
    """Datasets from the arrays, then the CLI's training (one run or an ensemble)."""
    import dataclasses

    from lamp_pyg.data.dataset import LaMPDataset
    from lamp_pyg.training.ensemble import train_ensemble
    from lamp_pyg.training.loop import train
    opts = cfg.data.prepare_options
    # raw_from_arrays wants a test split; the run's "test" is the validation share
    first = X[:1]
    ds = {s: LaMPDataset.from_arrays(str(cache), (X, Y), (first, Y[:1]), split=s,
                                     label_names=label_names, options=opts)
          for s in ("train", "valid")}
    ds["test"] = ds["valid"]
    k = cfg.train.ensemble_for(len(ds["train"]))
    t = dataclasses.replace(cfg.train, ensemble=k)
    cfg = dataclasses.replace(cfg, train=t)
    if k > 1:
        train_ensemble(cfg, run_dir, log=log, datasets=ds)
    else:
        train(cfg, run_dir, log=log, datasets=ds)


def _is_text(X) -> bool:
    if hasattr(X, "shape") and len(X.shape) != 1 or hasattr(X, "tocsr"):
        return False
    items = list(X)
    return bool(items) and (all(isinstance(x, str) for x in items) or all(
        isinstance(x, (list, tuple)) and all(isinstance(t, str) for t in x) for x in items))


def _matrix(Y) -> Optional[np.ndarray]:
    """``Y`` as a numeric array, or None for lists of labels (ragged, or of strings)."""
    try:
        A = np.asarray(Y)
    except ValueError:  # ragged
        return None
    if A.dtype == object or A.dtype.kind in "US":
        return None
    return A


def _rows(X) -> list:
    from lamp_pyg.io.arrays import raw_inputs
    return raw_inputs(X, "X")[1]


def _len(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _plain(classes) -> list:
    return [c.item() if isinstance(c, np.generic) else c for c in classes]


def _yaml(value) -> str:
    """A value as YAML for a ``key=value`` override (JSON is YAML)."""
    if isinstance(value, np.generic):
        value = value.item()
    return json.dumps(value)
