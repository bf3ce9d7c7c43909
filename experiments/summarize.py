#!/usr/bin/env python
"""Summarise finished training runs as mean +- std over seeds (the tables of RESULTS.md).

    python experiments/summarize.py ../runs/* --out records/experiments/runs-$(date +%F).md

Each argument is a run directory written by ``train.py`` (``config.yaml`` and
``results.json``); directories without ``results.json`` are listed as unfinished, never
silently dropped. Runs are grouped by dataset, label graph, encoder mode and every other
setting that differs from the shipped ``configs/<dataset>.yaml`` (the "changes" column);
the seed (``train.seed``, and ``data.split_seed`` for SIDER's random splits) is what
varies inside a group. Spread is the sample standard deviation (n - 1), shown only with
two or more seeds. Runs trained with ``eval.at_least_one: true`` also get ebF1 under the
decoding rule chosen on validation, with how many chose the "at least one label" rule.
An ensemble's directory (``train.ensemble``) stands for its members (``seed<k>/``), and
its own score (the members' averaged probabilities) is listed below the table.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

REPO = Path(__file__).resolve().parents[1]

# Keys that do not change what is computed (or are the seed itself): never a "change".
IGNORED = {"data.root", "data.path", "data.cache", "train.seed", "data.split_seed",
           "train.num_threads", "train.progress", "train.device", "eval.plots", "run_dir",
           "train.checkpoint_minutes"}
METRICS = ("ebF1", "miF1", "maF1")


def _flatten(d: dict, prefix: str = "") -> Dict[str, object]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = tuple(v) if isinstance(v, list) else v
    return out


def _shipped(name: str) -> Dict[str, object]:
    sys.path.insert(0, str(REPO))
    from dataclasses import asdict

    from lamp_pyg.training.config import load_config
    path = REPO / "configs" / f"{name}.yaml"
    if not path.exists():
        return {}
    return _flatten(asdict(load_config(path)))


def changes(cfg: Dict[str, object], shipped: Dict[str, object]) -> str:
    """The settings of a run that differ from its dataset's shipped config."""
    diff = [f"{k}={cfg[k]}" for k in sorted(cfg)
            if k not in IGNORED and k not in ("graph.kind", "model.encoder_graph")
            and shipped.get(k, object()) != cfg[k]]
    return ", ".join(diff) if diff else "-"


def load_run(run: Path) -> Optional[dict]:
    if not (run / "results.json").exists() or not (run / "config.yaml").exists():
        return None
    cfg = _flatten(yaml.safe_load((run / "config.yaml").read_text()))
    res = json.loads((run / "results.json").read_text())
    return {"cfg": cfg, "res": res, "run": run}


def _fmt(values: List[float], digits: int = 4) -> str:
    if not values:
        return "-"
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def summarize(runs: List[Path]) -> Tuple[str, List[Path]]:
    groups: Dict[tuple, List[dict]] = defaultdict(list)
    unfinished = []
    shipped_cache: Dict[str, Dict[str, object]] = {}
    for run in runs:
        if not run.is_dir():
            continue
        r = load_run(run)
        if r is None:
            if (run / "config.yaml").exists():
                unfinished.append(run)
            continue
        cfg = r["cfg"]
        name = cfg["data.name"]
        if name not in shipped_cache:
            shipped_cache[name] = _shipped(name)
        key = (name, cfg["graph.kind"], cfg["model.encoder_graph"],
               changes(cfg, shipped_cache[name]))
        groups[key].append(r)

    head = ("| dataset | graph | encoder | changes | seeds | headline ebF1 | miF1 | maF1 "
            "| ebF1, rule chosen on valid | paper-protocol ebF1 | best epoch / epochs run "
            "| train s/epoch | samples/s |")
    lines = [head, "|" + "---|" * 13]
    for key in sorted(groups):
        rs = groups[key]
        seeds = sorted(f"{r['cfg']['train.seed']}" + (f"/split{r['cfg']['data.split_seed']}"
                                                      if key[0] == "sider" else "") for r in rs)
        hl = {m: [r["res"]["headline"][m]["test"] for r in rs] for m in METRICS}
        # eval.at_least_one: the rule (plain or at least one label) better on validation
        chosen = [r["res"]["headline"]["ebF1"]["chosen"] for r in rs
                  if "chosen" in r["res"]["headline"]["ebF1"]]
        n_one = sum(c["rule"] == "at_least_one" for c in chosen)
        ch = (f"{_fmt([c['test'] for c in chosen])} (>=1 in {n_one} of {len(chosen)})"
              if chosen else "-")
        pp = [r["res"]["paper_protocol"]["ebF1"]["test"] for r in rs
              if r["res"].get("paper_protocol")]  # none without per-epoch test scores
        epochs = ", ".join(f"{r['res']['best_epoch']}/{r['res']['epochs']}" for r in rs)
        sec = [r["res"]["seconds_per_epoch"] for r in rs]
        sps = [r["res"]["samples_per_second"] for r in rs]
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {', '.join(seeds)} "
                     f"| {_fmt(hl['ebF1'])} | {_fmt(hl['miF1'])} | {_fmt(hl['maF1'])} | {ch} "
                     f"| {_fmt(pp)} | {epochs} | {_fmt(sec, 1)} | {_fmt(sps, 0)} |")
    return "\n".join(lines) + "\n", unfinished


def expand(runs: List[Path]) -> Tuple[List[Path], List[str]]:
    """Each ensemble directory replaced by its members; the finished ensembles' lines."""
    out, lines = [], []
    for run in runs:
        members = sorted(m.parent for m in run.glob("seed*/config.yaml")) if run.is_dir() else []
        if not members:
            out.append(run)
            continue
        out += members
        if (run / "results.json").is_file():
            h = json.loads((run / "results.json").read_text())["headline"]["ebF1"]
            chosen = f", rule chosen on valid {h['chosen']['test']:.4f}" if "chosen" in h else ""
            lines.append(f"- {run}: ensemble of {len(members)}, headline ebF1 "
                         f"{h['test']:.4f}{chosen}")
    return out, lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="run directories (train.py --run-dir)")
    p.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = p.parse_args(argv)
    runs, ensembles = expand(args.runs)
    table, unfinished = summarize(runs)
    text = table
    if ensembles:
        text += "\nEnsembles (members' probabilities averaged):\n" + "\n".join(ensembles) + "\n"
    if unfinished:
        text += "\nUnfinished (no results.json): " + ", ".join(str(u) for u in unfinished) + "\n"
    print(text, end="")
    if args.out:
        sys.path.insert(0, str(REPO))
        from bench.records import record_command
        cmd = record_command("experiments/summarize.py", [str(r) for r in args.runs])
        args.out.write_text(f"<!-- {cmd} -->\n" + text)


if __name__ == "__main__":
    main()
