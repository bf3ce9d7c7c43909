"""Seed ensembles (``train.ensemble: N``), an option beyond LaMP.

One command trains ``N`` runs (``auto``: 3 on small data, else 1; ``resolve_ensemble``)
that differ only in their seed (``train.seed``, ``train.seed + 1``, ...) into
``<run_dir>/seed<k>/`` (each an ordinary run directory, resumable on its own), then
averages the probabilities of their best checkpoints and applies the headline protocol to
the average: thresholds tuned on validation for the ensemble, applied to test. The
ensemble's ``results.json`` / ``results.txt`` and ``ensemble.json`` (members and
thresholds, what ``train.py --predict <run_dir>`` reads) are written into ``<run_dir>``.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from lamp_pyg.evaluation import format_table, headline_report
from lamp_pyg.training.batches import predict_scores
from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint
from lamp_pyg.training.config import Config, load_config
from lamp_pyg.training.distributed import is_main_process
from lamp_pyg.training.loop import train
from lamp_pyg.training.run_dir import RunLock
from lamp_pyg.training.setup import load_datasets, pick_device
from lamp_pyg.typed_yaml import dump_yaml, to_dict


def held_ensemble(run_dir: Path) -> Optional[int]:
    """What ``run_dir`` already holds: 1 for a single run, N for an ensemble of N (its
    ``ensemble.json``, or the ``config.yaml`` it writes before training its members),
    ``None`` for nothing."""
    if (run_dir / "ensemble.json").is_file():
        return len(json.loads((run_dir / "ensemble.json").read_text())["members"])
    if (run_dir / "last.pt").is_file() or (run_dir / "best.pt").is_file():
        return 1
    if (run_dir / "config.yaml").is_file():
        k = load_config(run_dir / "config.yaml").train.ensemble
        return k if isinstance(k, int) else None
    return None


def resolve_ensemble(cfg: Config, run_dir: Path, log=print) -> Config:
    """``train.ensemble`` as a number. ``auto``: what ``run_dir`` already holds (so a
    resumed run stays what it was), else by the number of training samples
    (``TrainConfig.ensemble_for``). A number that contradicts what ``run_dir`` holds is
    refused: a single run and an ensemble never share a directory."""
    held, k = held_ensemble(Path(run_dir)), cfg.train.ensemble
    if k == "auto" and held is not None:
        k, why = held, f"what {run_dir} holds"
    elif k == "auto":
        train_ds = load_datasets(cfg)["train"]  # cached: the members load it again at no cost
        log(train_ds.describe())
        k, why = cfg.train.ensemble_for(len(train_ds)), f"{len(train_ds):,} training samples"
    elif held is not None and held != k:
        what = "a single run" if held == 1 else f"an ensemble of {held}"
        raise ValueError(f"train.ensemble={k}, but {run_dir} holds {what}: use another "
                         f"--run-dir (or train.ensemble={held} to resume it)")
    if cfg.train.ensemble == "auto":
        log(f"train.ensemble: auto -> {k} ({why})")
    return dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, ensemble=k))


def member_config(cfg: Config, k: int) -> Config:
    """The config of member ``k``: the same run with seed ``train.seed + k``."""
    t = dataclasses.replace(cfg.train, seed=cfg.train.seed + k, ensemble=1)
    return dataclasses.replace(cfg, train=t)


def train_ensemble(cfg: Config, run_dir: Path, resume: bool = False, log=print,
                   datasets: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Trains the members (skipping finished ones when resuming) and scores the average
    (``datasets``: as for :func:`~lamp_pyg.training.loop.train`)."""
    run_dir = Path(run_dir)
    if is_main_process():  # recorded first: a resumed `auto` finds what this directory holds
        run_dir.mkdir(parents=True, exist_ok=True)
        dump_yaml(to_dict(cfg), run_dir / "config.yaml")
    members: List[Path] = []
    for k in range(cfg.train.ensemble):
        m_cfg, m_dir = member_config(cfg, k), run_dir / f"seed{cfg.train.seed + k}"
        members.append(m_dir)
        if resume and (m_dir / "results.json").is_file():
            log(f"ensemble member {k + 1}/{cfg.train.ensemble}: {m_dir} finished")
            continue
        log(f"ensemble member {k + 1}/{cfg.train.ensemble}: seed {m_cfg.train.seed} -> {m_dir}")
        train(m_cfg, m_dir, resume=resume, log=log, datasets=datasets)
    if not is_main_process():  # under torchrun the members trained together; rank 0 scores
        return {}
    with RunLock(run_dir):  # the members' resolved epochs (train.epochs: auto) recorded too
        epochs = load_config(members[0] / "config.yaml").train.epochs
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, epochs=epochs))
        dump_yaml(to_dict(cfg), run_dir / "config.yaml")
        return _score(cfg, run_dir, members, log, datasets)


def average_scores(cfg: Config, members: List[Path], ds) -> Dict[str, np.ndarray]:
    """Mean validation and test probabilities of the members' best checkpoints."""
    device = pick_device(cfg.train.device)
    S = {"valid": [], "test": []}
    Y = {}
    for m in members:
        model = model_from_checkpoint(load_checkpoint(m / "best.pt")).to(device)
        for split in S:
            s, y = predict_scores(model, ds[split], device, cfg.train.precision,
                                  cfg.train.eval_batch_size)
            S[split].append(s)
            Y[split] = y
    return {"Sv": np.mean(S["valid"], 0), "Yv": Y["valid"], "St": np.mean(S["test"], 0),
            "Yt": Y["test"]}


def _score(cfg: Config, run_dir: Path, members: List[Path], log,
           datasets: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    ds = datasets if datasets is not None else load_datasets(cfg)
    a = average_scores(cfg, members, ds)
    headline = headline_report(a["Yv"], a["Sv"], a["Yt"], a["St"],
                               per_label=cfg.eval.per_label_thresholds,
                               at_least_one=cfg.eval.at_least_one)
    singles = [json.loads((m / "results.json").read_text())["headline"] for m in members]
    graph = json.loads((members[0] / "results.json").read_text())["graph"]  # auto resolved
    report = {"dataset": ds["train"].name, "graph": graph, "seed": cfg.train.seed,
              "ensemble": [str(m) for m in members], "select_metric": cfg.train.select_metric,
              "headline": headline,
              "members_test_ebF1": [s["ebF1"]["test"] for s in singles]}
    tuned = {m: r for m, r in headline.items() if r.get("threshold") is not None}
    info = {"members": [m.name for m in members], "select_metric": cfg.train.select_metric,
            "thresholds": {m: r["threshold"] for m, r in tuned.items()}}
    if cfg.eval.at_least_one:
        info["thresholds_at_least_one"] = {m: r["at_least_one"]["threshold"] for m, r in tuned.items()}
        info["rule_chosen"] = {m: r["chosen"]["rule"] for m, r in tuned.items()}
    (run_dir / "ensemble.json").write_text(json.dumps(info, indent=2))
    text = format_table(headline, title=f"Headline protocol, ensemble of {len(members)} seeds "
                        "(probabilities averaged; thresholds tuned on valid, applied to test)")
    (run_dir / "results.json").write_text(json.dumps(report, indent=2, default=_plain))
    (run_dir / "results.txt").write_text(text + "\n")
    log(text)
    return report


def _plain(o):
    return o.tolist() if isinstance(o, (np.ndarray, np.generic)) else float(o)
