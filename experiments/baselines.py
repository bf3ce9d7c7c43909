#!/usr/bin/env python
"""Baselines on the same splits as the LaMP runs, scored with the headline protocol.

    python experiments/baselines.py --data-root ../shared/data \
        --datasets bibtex,reuters --out records/experiments/baselines-$(date +%F).json
    python experiments/baselines.py --config my.yaml --out runs/baselines-my.json  # your data

``--datasets`` names shipped configs (``configs/<name>.yaml``); ``--config`` (with
``--set key=value`` overrides, as for ``train.py``) reads any config, so your own files
get the same splits, vocabulary and thresholds protocol as the LaMP run on that config.

- ``linear``: scikit-learn one-vs-rest logistic regression (what many users try
  first). Text and bag-of-features inputs become tf-idf vectors of the token ids
  (vocabulary from the training split, as for LaMP); dense vectors are standardised.
  ``C`` is chosen on validation ebF1 from a grid (1e-4..1e4), one global threshold tuned
  on validation (the 27-value grid) is applied to test. Solver lbfgs (unpenalised
  intercept).
- ``mlp``: the paper's "MLP" row: mean of token embeddings, one hidden layer (ReLU,
  dropout), binary relevance (sigmoid per label), Adam; the epoch is chosen on
  validation ebF1 (patience 5), thresholds tuned on validation. Dense inputs: real-valued
  columns standardised on train, 0/1 columns (one-hot, indicators) left as they are.
- ``mlp3``: ensembles of 3 MLPs (consecutive seeds of ``--seeds``: 0-2, 3-5, ...), their
  best epochs' probabilities averaged and thresholds tuned on validation for the average,
  as ``train.ensemble: 3`` does for LaMP (the fair bar for LaMP's ensembles).
- ``forest``, ``extra_trees``: scikit-learn's multi-output random forest / extra trees,
  ``--trees`` (500) trees on the raw features (token counts), ``max_features`` in
  {sqrt, 0.3} chosen on validation; one fit per seed of ``--seeds``.
- ``svm``: one RBF ``SVC`` per label (``gamma='scale'``) on LR's inputs, C in {1, 10, 100}
  chosen on validation; scores ``sigmoid(decision function)``.
- ``knn``: each label's frequency among the k in {5, 10, 20, 40} training samples
  nearest by cosine on LR's inputs, k chosen on validation.
- ``frequency``: every sample gets each label's training frequency as its score, so
  the tuned threshold predicts the same label set for every input (the constant
  predictor the SIDER numbers must beat).

Needs scikit-learn (``pip install -e .[test]``). Every number comes from one call
of ``headline_report`` on validation and test scores; every setting (C, k,
``max_features``, the MLP's epoch) is the one with the highest validation ebF1 under the
plain rule, and the report also gives the "at least one label" rule and the rule chosen
on validation. Each method records ``fit_s`` (its chosen setting's fit) and ``grid_s``
(the whole search); ``--n-jobs`` (recorded) sets the forests' and the SVM's workers.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Dict, List

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lamp_pyg.data.prepare import BOS, EOS, PAD  # noqa: E402
from lamp_pyg.evaluation import headline_report  # noqa: E402

# Reuters picked C=100 and yeast C=0.01 on an earlier grid (0.01..100), then reuters C=1000
# and scene C=0.001 on 0.001..1000: all at an edge, so the grid now spans 1e-4..1e4.
C_GRID = tuple(round(m * 10.0 ** e, 6) for e in range(-4, 5) for m in (1, 3))[:-1]


def load_splits(config: Path, overrides: List[str]):
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.loop import load_datasets
    cfg = load_config(config, overrides)
    return cfg, load_datasets(cfg)


def jobs(a) -> List[tuple]:
    """``(name, config path, overrides)`` per dataset (and per SIDER split) to score."""
    if a.config:
        return [(a.name or Path(a.config).stem, Path(a.config), list(a.overrides))]
    if not a.data_root:
        raise SystemExit("error: --datasets needs --data-root (where the downloads are)")
    out = []
    for name in a.datasets.split(","):
        # SIDER has no fixed split: several seeded splits; the others: the fixed split
        splits = ([[f"data.split_seed={s}"] for s in range(a.sider_splits)]
                  if name == "sider" else [[]])
        out += [(name, REPO / "configs" / f"{name}.yaml", [f"data.root={a.data_root}", *ov])
                for ov in splits]
    return out


def features(ds, vocab_size: int):
    """``(X, Y)``: scipy CSR token counts (or dense vectors) and uint8 labels.

    The split is collated into one batch by PyG's public ``DataLoader`` (so an indexed
    subset gives its own samples, in its order)."""
    import scipy.sparse as sp
    from torch_geometric.loader import DataLoader
    n = len(ds)
    batch = next(iter(DataLoader(ds, batch_size=max(n, 1), shuffle=False)))
    tok = batch["token"]
    lab = batch["label"].y.numpy().astype(np.uint8)
    if "vec" in tok:
        return tok.vec.numpy().astype(np.float64), lab
    ptr = tok.ptr.numpy()
    ids = tok.x.numpy()
    vals = tok.value.numpy() if "value" in tok else np.ones_like(ids, dtype=np.float64)
    rows = np.repeat(np.arange(n), np.diff(ptr))
    keep = ~np.isin(ids, (PAD, BOS, EOS))  # UNK stays: it carries information
    X = sp.csr_matrix((vals[keep], (rows[keep], ids[keep])), shape=(n, vocab_size))
    X.sum_duplicates()
    if ds.meta.get("kind") == "dense":  # dense_mode nodes: one (feature id, value) per feature
        return X.toarray(), lab
    return X, lab


def dense_scaling(Xtr: np.ndarray):
    """``(mu, sd)`` for the MLP's dense inputs, from the training split: real-valued
    columns standardised; 0/1 columns (one-hot, indicators) kept as they are (``mu`` 0,
    ``sd`` 1), since standardising a column with one 1 in ``n`` rows turns that 1 into
    about ``sqrt(n)``; columns constant on train get ``sd`` 1 (as scikit-learn's
    ``StandardScaler``), not a tiny one that would turn a test value into ~1e6."""
    mu, sd = Xtr.mean(0), Xtr.std(0)
    binary = ((Xtr == 0) | (Xtr == 1)).all(0)
    mu[binary], sd[binary] = 0.0, 1.0
    sd[sd == 0] = 1.0
    return mu, sd


def prepared(Xtr, Xv, Xt, dense: bool):
    """LR's, the SVM's and kNN's inputs: standardised (dense) or sublinear tf-idf (sparse)
    vectors, the transform fitted on the training split."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.preprocessing import StandardScaler
    prep = StandardScaler() if dense else TfidfTransformer(sublinear_tf=True)
    return prep.fit_transform(Xtr), prep.transform(Xv), prep.transform(Xt)


def best_on_valid(method: str, settings, fit_score, Yv, Yt, log) -> dict:
    """Fits every setting, scores it with the headline protocol and keeps the one with the
    highest validation ebF1 (the first on a tie). ``fit_score(setting)`` returns
    ``(Sv, St, fit seconds)``; the result holds the setting, its report, its fit time and
    ``grid_s``, the seconds of the whole search (fits and scoring)."""
    t0, best = time.perf_counter(), None
    for setting in settings:
        Sv, St, fit_s = fit_score(setting)
        rep = headline_report(Yv, Sv, Yt, St, at_least_one=True)
        log(f"    {method}{setting}: valid ebF1 {rep['ebF1']['valid']:.4f}, "
            f"test {rep['ebF1']['test']:.4f}, fit {fit_s:.1f} s")
        if best is None or rep["ebF1"]["valid"] > best["report"]["ebF1"]["valid"]:
            best = {"setting": setting, "report": rep, "fit_s": round(fit_s, 2)}
    best["grid_s"] = round(time.perf_counter() - t0, 2)
    return best


def run_linear(Xtr, Ytr, Xv, Yv, Xt, Yt, dense: bool, log) -> dict:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    Xtr_, Xv_, Xt_ = prepared(Xtr, Xv, Xt, dense)

    def fit_score(C):
        # lbfgs: the intercept is not penalised (liblinear's is, which at small C pulls
        # every probability towards 0.5 and made LR worse than the frequency predictor)
        clf = OneVsRestClassifier(LogisticRegression(C=C, solver="lbfgs", max_iter=1000),
                                  n_jobs=1)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # labels absent from the training split: OvR predicts a constant for them
            warnings.filterwarnings("ignore", message="Label .* is present in all training")
            warnings.filterwarnings("ignore", message="Label not .* present in all training")
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            # int64: scikit-learn 1.9 derives the label ids of a uint8 indicator matrix in
            # uint8, which wraps past 255 labels and silently permutes the columns
            clf.fit(Xtr_, Ytr.astype(np.int64))
        fit_s = time.perf_counter() - t0
        return clf.predict_proba(Xv_), clf.predict_proba(Xt_), fit_s

    best = best_on_valid("linear C=", C_GRID, fit_score, Yv, Yt, log)
    return {"C": best.pop("setting"), **best}


def run_mlp(Xtr, Ytr, Xv, Yv, Xt, Yt, dense: bool, seed: int, dropout: float, log,
            hidden: int = 512, epochs: int = 50, patience: int = 5) -> dict:
    """Mean of token embeddings (``EmbeddingBag``, distinct tokens) or a linear map of the
    standardised vector, then ReLU, dropout, Linear, ReLU, dropout, Linear -> L logits."""
    import torch
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    F_in, L = Xtr.shape[1], Ytr.shape[1]
    if dense:
        mu, sd = dense_scaling(Xtr)
        data = [torch.tensor((X - mu) / sd, dtype=torch.float32) for X in (Xtr, Xv, Xt)]
        embed = torch.nn.Linear(F_in, hidden)
    else:
        data = [X.tocsr() for X in (Xtr, Xv, Xt)]
        embed = torch.nn.EmbeddingBag(F_in, hidden, mode="mean")
    head = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Dropout(dropout),
                               torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
                               torch.nn.Dropout(dropout), torch.nn.Linear(hidden, L))
    model = torch.nn.Sequential(embed, head)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def forward(D, idx):
        if dense:
            return head(embed(D[idx]))
        sub = D[idx]  # CSR rows: the distinct token ids of each sample
        ids = torch.from_numpy(sub.indices.astype(np.int64))
        offsets = torch.from_numpy(sub.indptr[:-1].astype(np.int64))
        return head(embed(ids, offsets))  # empty samples embed to zeros

    def scores(D):
        model.eval()
        n = D.shape[0]
        with torch.no_grad():
            return np.concatenate([torch.sigmoid(forward(D, np.arange(s, min(s + 512, n)))).numpy()
                                   for s in range(0, n, 512)]) if n else np.zeros((0, L))

    ytr = torch.tensor(Ytr, dtype=torch.float32)
    best, since, t0 = None, 0, time.perf_counter()
    n = Xtr.shape[0]
    for epoch in range(epochs):
        model.train()
        perm = rng.permutation(n)
        for s in range(0, n, 32):
            idx = perm[s:s + 32]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                forward(data[0], idx), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        Sv, St = scores(data[1]), scores(data[2])
        rep = headline_report(Yv, Sv, Yt, St, at_least_one=True)
        if best is None or rep["ebF1"]["valid"] > best["report"]["ebF1"]["valid"]:
            best, since = {"epoch": epoch + 1, "report": rep, "Sv": Sv, "St": St}, 0
        else:
            since += 1
            if since >= patience:
                break
    best["fit_s"] = round(time.perf_counter() - t0, 2)  # every epoch, validation scoring too
    log(f"    mlp seed {seed}: best epoch {best['epoch']}, valid ebF1 "
        f"{best['report']['ebF1']['valid']:.4f}, test {best['report']['ebF1']['test']:.4f}")
    return best


def positive_scores(probas, n: int, L: int) -> np.ndarray:
    """``[n, L]`` scores of class 1 from a multi-output ``predict_proba`` list; a label
    with one class in train scores that class (1.0 or 0.0) for every sample."""
    out = np.zeros((n, L))
    for j, (est_classes, p) in enumerate(probas):
        if 1 in est_classes:
            out[:, j] = p[:, list(est_classes).index(1)]
    return out


FOREST_GROUP_BYTES = 1e9  # memory for the trees held at once (see tree_group)


def tree_group(n: int, L: int, trees: int) -> int:
    """Trees to fit at once: a fully grown multi-output tree on ``n`` samples has up to
    ``2 n`` nodes, each storing ``L x 2`` float64 class counts (corel5k, 4,050 x 371 labels:
    ~48 MB a tree, 24 GB for 500), so the forest is fitted in groups within
    ``FOREST_GROUP_BYTES`` and only their scores are kept."""
    return int(max(1, min(trees, FOREST_GROUP_BYTES // (2 * n * L * 2 * 8))))


def run_forest(Xtr, Ytr, Xv, Yv, Xt, Yt, kind: str, seed: int, n_jobs: int, log,
               trees: int = 500) -> dict:
    """A multi-output random forest (``kind`` 'forest') or extra-trees forest of ``trees``
    trees on the raw features (token counts for sparse inputs); ``max_features`` chosen on
    validation from {sqrt, 0.3}; scores: the trees' mean vote for each label. Fitted in
    groups of :func:`tree_group` trees (group ``i`` seeded ``seed + 1000 i``; one group,
    seeded ``seed``, where the forest fits in memory), the scores weighted by group size:
    the mean over all trees."""
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    Forest = RandomForestClassifier if kind == "forest" else ExtraTreesClassifier
    L = Ytr.shape[1]
    group = tree_group(Xtr.shape[0], L, trees)
    sizes = [min(group, trees - g) for g in range(0, trees, group)]

    def fit_score(max_features):
        S, fit_s = [np.zeros((X.shape[0], L)) for X in (Xv, Xt)], 0.0
        for i, size in enumerate(sizes):
            clf = Forest(n_estimators=size, max_features=max_features,
                         random_state=seed + 1000 * i, n_jobs=n_jobs)
            t0 = time.perf_counter()
            clf.fit(Xtr, Ytr)
            fit_s += time.perf_counter() - t0
            classes = clf.classes_ if L > 1 else [clf.classes_]
            for acc, X in zip(S, (Xv, Xt)):
                acc += size / trees * positive_scores(
                    zip(classes, _as_list(clf.predict_proba(X))), X.shape[0], L)
            del clf
        return S[0], S[1], fit_s

    best = best_on_valid(f"{kind} seed {seed} max_features=", ("sqrt", 0.3), fit_score,
                         Yv, Yt, log)
    return {"max_features": best.pop("setting"), "tree_group": group, **best}


def _as_list(p):
    return p if isinstance(p, list) else [p]


def run_svm(Xtr, Ytr, Xv, Yv, Xt, Yt, dense: bool, n_jobs: int, log,
            grid=(1.0, 10.0, 100.0)) -> dict:
    """One RBF ``SVC`` per label (``gamma='scale'``) on LR's inputs (standardised or
    tf-idf), C chosen on validation; a label's score is ``sigmoid(decision function)``; a
    label with one class in train scores that class (1.0 or 0.0) for every sample."""
    from joblib import Parallel, delayed
    Xtr_, Xv_, Xt_ = prepared(Xtr, Xv, Xt, dense)
    L = Ytr.shape[1]

    def one_label(C, y):
        from sklearn.svm import SVC
        if y.min() == y.max():
            return None
        return SVC(C=C, kernel="rbf", gamma="scale").fit(Xtr_, y)

    def fit_score(C):
        t0 = time.perf_counter()
        fits = Parallel(n_jobs=n_jobs, prefer="threads")(  # libsvm releases the GIL
            delayed(one_label)(C, Ytr[:, j]) for j in range(L))
        fit_s = time.perf_counter() - t0
        scores = []
        for X in (Xv_, Xt_):
            S = np.tile(Ytr[0].astype(np.float64), (X.shape[0], 1))  # one-class labels
            for j, clf in enumerate(fits):
                if clf is not None:
                    S[:, j] = 1.0 / (1.0 + np.exp(-clf.decision_function(X)))
            scores.append(S)
        return scores[0], scores[1], fit_s

    best = best_on_valid("svm C=", grid, fit_score, Yv, Yt, log)
    return {"C": best.pop("setting"), **best}


def run_knn(Xtr, Ytr, Xv, Yv, Xt, Yt, dense: bool, log, grid=(5, 10, 20, 40)) -> dict:
    """Each label's frequency among the ``k`` training samples nearest by cosine distance
    on LR's inputs, ``k`` chosen on validation. The index holds the training split only,
    and only validation and test samples are scored, so no sample is its own neighbour
    and nothing needs excluding. ``fit_s``: building the index plus the neighbour search
    of validation and test at the largest ``k`` (shared by every ``k``)."""
    from sklearn.neighbors import NearestNeighbors
    Xtr_, Xv_, Xt_ = prepared(Xtr, Xv, Xt, dense)
    t0 = time.perf_counter()
    k_max = min(max(grid), Xtr_.shape[0])
    nn = NearestNeighbors(n_neighbors=k_max, metric="cosine", algorithm="brute").fit(Xtr_)
    near = [nn.kneighbors(X, return_distance=False) for X in (Xv_, Xt_)]  # nearest first
    search_s = time.perf_counter() - t0
    Yf = Ytr.astype(np.float64)

    def fit_score(k):
        return tuple(Yf[idx[:, :k]].mean(1) for idx in near) + (search_s,)

    best = best_on_valid("knn k=", [k for k in grid if k <= k_max], fit_score, Yv, Yt, log)
    return {"k": best.pop("setting"), **best}


def seed_groups(seeds: List[int], size: int = 3) -> List[List[int]]:
    """Consecutive groups of ``size`` seeds; seeds left over are named, not dropped silently."""
    groups = [seeds[g:g + size] for g in range(0, len(seeds) - size + 1, size)]
    if len(seeds) % size:
        print(f"mlp3: seeds {seeds[len(groups) * size:]} make no full group of {size}; "
              "they enter no ensemble", file=sys.stderr)
    return groups


def mlp_ensemble(runs: List[dict], seeds: List[int], Yv, Yt) -> dict:
    """The headline report of the MLP runs' averaged best-epoch probabilities."""
    rep = headline_report(Yv, np.mean([r["Sv"] for r in runs], 0),
                          Yt, np.mean([r["St"] for r in runs], 0), at_least_one=True)
    return {"seeds": seeds, "epoch": [r["epoch"] for r in runs], **summary(rep)}


def run_frequency(Ytr, Yv, Yt) -> dict:
    f = Ytr.mean(0)
    Sv = np.broadcast_to(f, Yv.shape).copy()
    St = np.broadcast_to(f, Yt.shape).copy()
    return {"report": headline_report(Yv, Sv, Yt, St, at_least_one=True)}


def summary(rep) -> Dict[str, float]:
    """Test scores; ``ebF1>=1``: ebF1 under the "at least one label" rule (own threshold);
    ``ebF1 chosen``: ebF1 under the rule (plain or at least one) better on validation."""
    out = {m: rep[m]["test"] for m in ("ebF1", "miF1", "maF1", "ACC", "HA", "mAP")}
    if "at_least_one" in rep["ebF1"]:
        out["ebF1>=1"] = rep["ebF1"]["at_least_one"]["test"]
        out["ebF1 chosen"] = rep["ebF1"]["chosen"]["test"]
    return out


METHODS = ("frequency", "linear", "mlp", "mlp3", "forest", "extra_trees", "svm", "knn")
SEEDED = ("mlp", "forest", "extra_trees")  # one row entry per seed of --seeds
# what each method records besides its scores (the setting validation chose, times)
EXTRA = {"linear": ("C", "fit_s", "grid_s"), "svm": ("C", "fit_s", "grid_s"),
         "knn": ("k", "fit_s", "grid_s"), "mlp": ("epoch", "fit_s"),
         **{k: ("max_features", "tree_group", "fit_s", "grid_s")
            for k in ("forest", "extra_trees")}}


def machine() -> str:
    """The CPU model and core count, for the record."""
    import os
    import platform
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores visible"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", help="with --datasets: the folder of the downloads")
    p.add_argument("--datasets", default="bibtex,reuters", help="shipped configs' names")
    p.add_argument("--config", help="any config instead of --datasets (e.g. your own data)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="with --config: overrides, as for train.py")
    p.add_argument("--name", help="with --config: the row's name (default: the file's stem)")
    p.add_argument("--methods", default="frequency,linear,mlp", help=", ".join(METHODS))
    p.add_argument("--seeds", default="0,1,2",
                   help="MLP and forest seeds (sider's splits: --sider-splits)")
    p.add_argument("--sider-splits", type=int, default=5)
    p.add_argument("--trees", type=int, default=500, help="trees per forest")
    p.add_argument("--n-jobs", type=int, default=1,
                   help="processes for the forests and the SVM's labels (recorded)")
    p.add_argument("--out", required=True, help="JSON results (a .md twin is written)")
    a = p.parse_args(argv)
    a.seeds = [int(s) for s in a.seeds.split(",")]
    a.methods = a.methods.split(",")
    unknown = set(a.methods) - set(METHODS)
    if unknown:
        p.error(f"--methods: unknown {sorted(unknown)}; expected {', '.join(METHODS)}")
    if "mlp3" in a.methods and len(a.seeds) < 3:
        p.error(f"--methods mlp3 needs at least 3 --seeds, got {a.seeds}")
    return a


def main(argv=None) -> int:
    a = parse_args(argv)
    import torch
    torch.set_num_threads(max(1, torch.get_num_threads()))
    from bench.records import record_command
    out = {"command": record_command("experiments/baselines.py", list(argv or sys.argv[1:])),
           "date": datetime.now().isoformat(timespec="seconds"), "machine": machine(),
           "n_jobs": a.n_jobs, "trees": a.trees, "torch_threads": torch.get_num_threads(),
           "results": []}
    for name, config, ov in jobs(a):
        split_ov = [o for o in ov if o.startswith("data.split_seed=")]
        t0 = time.time()
        cfg, ds = load_splits(config, ov)
        V = int(ds["train"].meta["model_kwargs"].get("vocab_size", 0))
        data = [features(ds[s], V) for s in ("train", "valid", "test")]
        (Xtr, Ytr), (Xv, _), (Xt, _) = data
        print(f"[{name}{' ' + split_ov[0] if split_ov else ''}] train {Xtr.shape}, valid "
              f"{Xv.shape[0]}, test {Xt.shape[0]}, labels {Ytr.shape[1]}", file=sys.stderr)
        row = {"dataset": name, "split": split_ov[0] if split_ov else "fixed"}
        out["results"].append(row)

        def save():  # after every method and seed: a killed run keeps what finished
            row["seconds"] = round(time.time() - t0, 1)
            Path(a.out).write_text(json.dumps(out, indent=1))
            Path(a.out).with_suffix(".md").write_text(render(out))

        score_methods(a, cfg, data, row, save)
        save()
    print(render(out))
    return 0


def score_methods(a, cfg, data, row: dict, save) -> None:
    """Fills ``row[method]`` for each of ``a.methods`` (seeded ones: a list, one entry per
    seed), calling ``save()`` after each fit."""
    (Xtr, Ytr), (Xv, Yv), (Xt, Yt) = data
    dense, log = isinstance(Xtr, np.ndarray), (lambda s: print(s, file=sys.stderr))
    fits = {  # method -> seed -> result
        "linear": lambda s: run_linear(Xtr, Ytr, Xv, Yv, Xt, Yt, dense, log),
        "svm": lambda s: run_svm(Xtr, Ytr, Xv, Yv, Xt, Yt, dense, a.n_jobs, log),
        "knn": lambda s: run_knn(Xtr, Ytr, Xv, Yv, Xt, Yt, dense, log),
        "mlp": lambda s: run_mlp(Xtr, Ytr, Xv, Yv, Xt, Yt, dense, s, cfg.model.dropout, log),
        **{k: (lambda s, k=k: run_forest(Xtr, Ytr, Xv, Yv, Xt, Yt, k, s, a.n_jobs, log,
                                                 trees=a.trees))
           for k in ("forest", "extra_trees")}}
    mlps = {}  # seed -> finished run (shared by mlp and mlp3)

    def run(m, s):
        if m != "mlp":
            return fits[m](s)
        if s not in mlps:
            mlps[s] = fits[m](s)
        return mlps[s]

    def entry(m, s):
        r = run(m, s)
        return {**({"seed": s} if m in SEEDED else {}),
                **{k: r[k] for k in EXTRA[m]}, **summary(r["report"])}

    for m in a.methods:
        if m == "frequency":
            row[m] = summary(run_frequency(Ytr, Yv, Yt)["report"])
        elif m == "mlp3":
            row[m] = []
            for group in seed_groups(a.seeds):
                row[m].append(mlp_ensemble([run("mlp", s) for s in group], group, Yv, Yt))
                save()
        elif m in SEEDED:
            row[m] = []
            for s in a.seeds:
                row[m].append(entry(m, s))
                save()
        else:
            row[m] = entry(m, None)
        save()


def render(out) -> str:
    lines = ["# Baselines (headline protocol: thresholds tuned on validation, test reported)",
             "", f"- command: `{out['command']}`", f"- date: {out['date']}",
             *([f"- machine: {out['machine']}; n_jobs {out['n_jobs']}, torch threads "
                f"{out['torch_threads']}"] if "machine" in out else []), "",
             "ebF1 >=1: ebF1 when a sample with no label above the threshold gets its top label "
             "(threshold tuned on validation under that rule); ebF1 chosen: ebF1 under the rule, "
             "plain or >=1, that scores higher on validation. fit: seconds of the chosen "
             "setting's fit (MLP: its epochs; kNN: index and neighbour search); grid: the "
             "whole search on validation.", "",
             "| dataset | split | method | ebF1 | miF1 | maF1 | ACC | ebF1 >=1 | ebF1 chosen | notes |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in out["results"]:
        for m in METHODS:
            v = r.get(m)
            if v is None or (isinstance(v, list) and not v):  # started, no seed finished
                continue
            lines.append(f"| {r['dataset']} | {r['split']} | {m} | {cells(v)} | {note(m, v)} |")
    return "\n".join(lines) + "\n"


KEYS = ("ebF1", "miF1", "maF1", "ACC", "ebF1>=1", "ebF1 chosen")


def cells(v) -> str:
    """The score cells of one method: a value, or mean ± std over a list of entries."""
    if not isinstance(v, list):
        return " | ".join(f"{v[k]:.4f}" if k in v else "-" for k in KEYS)
    arr = {k: np.array([x.get(k, np.nan) for x in v]) for k in KEYS}
    return " | ".join("-" if np.isnan(arr[k]).all() else
                      f"{arr[k].mean():.4f} ± {arr[k].std(ddof=1) if len(v) > 1 else 0:.4f}"
                      for k in KEYS)


def note(m: str, v) -> str:
    """The notes cell: seeds, the settings validation chose, fit times."""
    def fit(x):
        return (f"fit {x['fit_s']:.1f} s" if "fit_s" in x else "") + \
            (f", grid {x['grid_s']:.1f} s" if "grid_s" in x else "")
    if not isinstance(v, list):
        chosen = ", ".join(f"{k}={v[k]}" for k in ("C", "k") if k in v)
        return ", ".join(t for t in (chosen, fit(v)) if t)
    if m == "mlp3":
        return (f"ensembles of seeds {[x['seeds'] for x in v]}, "
                f"epochs {[x['epoch'] for x in v]}")
    parts = [f"seeds {[x['seed'] for x in v]}"]
    for k in ("epoch", "max_features"):
        if k in v[0]:
            parts.append(f"{k.replace('epoch', 'epochs')} {[x.get(k) for x in v]}")
    if "fit_s" in v[0]:
        parts.append(f"fit {[x['fit_s'] for x in v]} s")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
