#!/usr/bin/env python
"""Baselines on the same splits as the LaMP runs, scored with the headline protocol.

    python experiments/baselines.py --data-root ../shared/data \
        --datasets bibtex,reuters --out experiments/results/baselines-$(date +%F).json
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
  validation ebF1 (patience 5), thresholds tuned on validation.
- ``mlp3``: ensembles of 3 MLPs (consecutive seeds of ``--seeds``: 0-2, 3-5, ...), their
  best epochs' probabilities averaged and thresholds tuned on validation for the average,
  as ``train.ensemble: 3`` does for LaMP (the fair bar for LaMP's ensembles).
- ``frequency``: every sample gets each label's training frequency as its score, so
  the tuned threshold predicts the same label set for every input (the constant
  predictor the SIDER numbers must beat).

Needs scikit-learn (``pip install -e .[test]``). Every number comes from one call
of ``headline_report`` on validation and test scores.
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
    """``(X, Y)``: scipy CSR token counts (or dense vectors) and uint8 labels."""
    import scipy.sparse as sp
    tok = ds._data["token"]
    lab = ds._data["label"].y.numpy().astype(np.uint8)
    n = len(ds)
    if "vec" in tok:
        return tok.vec.numpy().astype(np.float64), lab
    ptr = ds.slices["token"]["x"].numpy()
    ids = tok.x.numpy()
    vals = tok.value.numpy() if "value" in tok else np.ones_like(ids, dtype=np.float64)
    rows = np.repeat(np.arange(n), np.diff(ptr))
    keep = ~np.isin(ids, (PAD, BOS, EOS))  # UNK stays: it carries information
    X = sp.csr_matrix((vals[keep], (rows[keep], ids[keep])), shape=(n, vocab_size))
    X.sum_duplicates()
    if ds.meta.get("kind") == "dense":  # dense_mode nodes: one (feature id, value) per feature
        return X.toarray(), lab
    return X, lab


def run_linear(Xtr, Ytr, Xv, Yv, Xt, Yt, dense: bool, log) -> dict:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import StandardScaler
    prep = StandardScaler() if dense else TfidfTransformer(sublinear_tf=True)
    Xtr_, Xv_, Xt_ = prep.fit_transform(Xtr), prep.transform(Xv), prep.transform(Xt)
    best = None
    for C in C_GRID:
        # lbfgs: the intercept is not penalised (liblinear's is, which at small C pulls
        # every probability towards 0.5 and made LR worse than the frequency predictor)
        clf = OneVsRestClassifier(LogisticRegression(C=C, solver="lbfgs", max_iter=1000),
                                  n_jobs=1)
        with warnings.catch_warnings():
            # labels absent from the training split: OvR predicts a constant for them
            warnings.filterwarnings("ignore", message="Label .* is present in all training")
            warnings.filterwarnings("ignore", message="Label not .* present in all training")
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            # int64: scikit-learn 1.9 derives the label ids of a uint8 indicator matrix in
            # uint8, which wraps past 255 labels and silently permutes the columns
            clf.fit(Xtr_, Ytr.astype(np.int64))
        Sv, St = clf.predict_proba(Xv_), clf.predict_proba(Xt_)
        rep = headline_report(Yv, Sv, Yt, St, at_least_one=True)
        log(f"    linear C={C}: valid ebF1 {rep['ebF1']['valid']:.4f}, test {rep['ebF1']['test']:.4f}")
        if best is None or rep["ebF1"]["valid"] > best["report"]["ebF1"]["valid"]:
            best = {"C": C, "report": rep}
    return best


def run_mlp(Xtr, Ytr, Xv, Yv, Xt, Yt, dense: bool, seed: int, dropout: float, log,
            hidden: int = 512, epochs: int = 50, patience: int = 5) -> dict:
    """Mean of token embeddings (``EmbeddingBag``, distinct tokens) or a linear map of the
    standardised vector, then ReLU, dropout, Linear, ReLU, dropout, Linear -> L logits."""
    import torch
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    F_in, L = Xtr.shape[1], Ytr.shape[1]
    if dense:
        mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
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
    best, since = None, 0
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
    log(f"    mlp seed {seed}: best epoch {best['epoch']}, valid ebF1 "
        f"{best['report']['ebF1']['valid']:.4f}, test {best['report']['ebF1']['test']:.4f}")
    return best


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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", help="with --datasets: the folder of the downloads")
    p.add_argument("--datasets", default="bibtex,reuters", help="shipped configs' names")
    p.add_argument("--config", help="any config instead of --datasets (e.g. your own data)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="with --config: overrides, as for train.py")
    p.add_argument("--name", help="with --config: the row's name (default: the file's stem)")
    p.add_argument("--methods", default="frequency,linear,mlp")
    p.add_argument("--seeds", default="0,1,2", help="MLP seeds (sider's splits: --sider-splits)")
    p.add_argument("--sider-splits", type=int, default=5)
    p.add_argument("--out", required=True, help="JSON results (a .md twin is written)")
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(max(1, torch.get_num_threads()))
    seeds = [int(s) for s in a.seeds.split(",")]
    methods = a.methods.split(",")
    unknown = set(methods) - {"frequency", "linear", "mlp", "mlp3"}
    if unknown:
        p.error(f"--methods: unknown {sorted(unknown)}; expected frequency, linear, mlp, mlp3")
    if "mlp3" in methods and len(seeds) < 3:
        p.error(f"--methods mlp3 needs at least 3 --seeds, got {seeds}")
    out = {"command": "python experiments/baselines.py " + " ".join(argv or sys.argv[1:]),
           "date": datetime.now().isoformat(timespec="seconds"), "results": []}
    for name, config, ov in jobs(a):
        split_ov = [o for o in ov if o.startswith("data.split_seed=")]
        t0 = time.time()
        cfg, ds = load_splits(config, ov)
        V = int(ds["train"].meta["model_kwargs"].get("vocab_size", 0))
        (Xtr, Ytr), (Xv, Yv), (Xt, Yt) = (features(ds[s], V) for s in ("train", "valid", "test"))
        dense = isinstance(Xtr, np.ndarray)
        print(f"[{name}{' ' + split_ov[0] if split_ov else ''}] train {Xtr.shape}, valid "
              f"{Xv.shape[0]}, test {Xt.shape[0]}, labels {Ytr.shape[1]}", file=sys.stderr)
        row = {"dataset": name, "split": split_ov[0] if split_ov else "fixed"}
        out["results"].append(row)

        def save():  # after every method and MLP seed: a killed run keeps what finished
            row["seconds"] = round(time.time() - t0, 1)
            Path(a.out).write_text(json.dumps(out, indent=1))
            Path(a.out).with_suffix(".md").write_text(render(out))

        if "frequency" in methods:
            row["frequency"] = summary(run_frequency(Ytr, Yv, Yt)["report"])
            save()
        if "linear" in methods:
            best = run_linear(Xtr, Ytr, Xv, Yv, Xt, Yt, dense, lambda s: print(s, file=sys.stderr))
            row["linear"] = {"C": best["C"], **summary(best["report"])}
            save()
        mlps = {}  # seed -> finished run (shared by mlp and mlp3)

        def mlp(s):
            if s not in mlps:
                mlps[s] = run_mlp(Xtr, Ytr, Xv, Yv, Xt, Yt, dense, s, cfg.model.dropout,
                                  lambda m: print(m, file=sys.stderr))
            return mlps[s]

        if "mlp" in methods:
            row["mlp"] = []
            for s in seeds:
                r = mlp(s)
                row["mlp"].append({"seed": s, "epoch": r["epoch"], **summary(r["report"])})
                save()
        if "mlp3" in methods:
            row["mlp3"] = []
            for group in seed_groups(seeds):
                row["mlp3"].append(mlp_ensemble([mlp(s) for s in group], group, Yv, Yt))
                save()
        save()
    print(render(out))
    return 0


def render(out) -> str:
    lines = ["# Baselines (headline protocol: thresholds tuned on validation, test reported)",
             "", f"- command: `{out['command']}`", f"- date: {out['date']}", "",
             "ebF1 >=1: ebF1 when a sample with no label above the threshold gets its top label "
             "(threshold tuned on validation under that rule); ebF1 chosen: ebF1 under the rule, "
             "plain or >=1, that scores higher on validation.", "",
             "| dataset | split | method | ebF1 | miF1 | maF1 | ACC | ebF1 >=1 | ebF1 chosen | notes |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in out["results"]:
        for m in ("frequency", "linear", "mlp", "mlp3"):
            if m not in r:
                continue
            v = r[m]
            if isinstance(v, list) and not v:  # MLP started, no seed finished
                continue
            keys = ("ebF1", "miF1", "maF1", "ACC", "ebF1>=1", "ebF1 chosen")
            if isinstance(v, list):
                arr = {k: np.array([x.get(k, np.nan) for x in v]) for k in keys}
                cells = " | ".join("-" if np.isnan(arr[k]).all() else
                                   f"{arr[k].mean():.4f} ± {arr[k].std(ddof=1) if len(v) > 1 else 0:.4f}"
                                   for k in keys)
                note = (f"ensembles of seeds {[x['seeds'] for x in v]}" if m == "mlp3"
                        else f"seeds {[x['seed'] for x in v]}")
                note += f", epochs {[x['epoch'] for x in v]}"
            else:
                cells = " | ".join(f"{v[k]:.4f}" if k in v else "-" for k in keys)
                note = f"C={v['C']}" if "C" in v else ""
            lines.append(f"| {r['dataset']} | {r['split']} | {m} | {cells} | {note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
