#!/usr/bin/env python
"""Benchmark: preparing datasets from their raw files, and reloading a prepared one.

    python bench/bench_prepare.py --root ../shared/data --out records/bench/prepare-<date>.md

Targets (issue 3): preparing delicious and bibtex from their ARFF files each under 30 s,
loading a prepared dataset (all three splits) under 2 s. Each measurement runs in a
fresh process (a cold import of torch is not counted: the child times only the work)
with a fresh cache folder; the median of --repeat runs is reported.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.records import record_command  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from lamp_pyg.data.dataset import LaMPDataset
from lamp_pyg.data.prepare import PrepareOptions
name, root, cache = {name!r}, {root!r}, {cache!r}
opts = PrepareOptions(max_len={max_len!r})
t0 = time.perf_counter()
for s in ("train", "valid", "test"):
    LaMPDataset(cache, name, s, data_root=root, options=opts)
print(json.dumps({{"seconds": time.perf_counter() - t0}}))
"""


def run(name, root, cache, max_len):
    code = CHILD.format(repo=str(REPO), name=name, root=str(root), cache=str(cache), max_len=max_len)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=os.environ.get("LAMP_PYG_DATA", str(REPO.parent / "shared" / "data")))
    p.add_argument("--datasets", default="bibtex,delicious,reuters,yeast,emotions,scene,synthetic")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out")
    a = p.parse_args()
    rows = []
    for name in a.datasets.split(","):
        max_len = 300 if name == "reuters" else (500 if name in ("bibtex", "delicious") else None)
        prep, load = [], []
        for _ in range(a.repeat):
            with tempfile.TemporaryDirectory() as cache:
                prep.append(run(name, a.root, cache, max_len))  # processes from raw files
                load.append(run(name, a.root, cache, max_len))  # reloads the cache
        rows.append((name, statistics.median(prep), statistics.median(load)))
        print(f"{name:<10} prepare {rows[-1][1]:6.2f} s   load {rows[-1][2]:5.2f} s", flush=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    import torch, torch_geometric
    lines = [f"# Dataset preparation benchmark", "",
             f"- command: `{record_command('bench/bench_prepare.py', sys.argv[1:])}`",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"- machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"torch {torch.__version__}, torch_geometric {torch_geometric.__version__}",
             f"- median of {a.repeat} runs, each in a fresh process with a fresh cache; "
             f"times exclude interpreter start-up and imports", "",
             "| dataset | prepare from raw files (s) | load prepared, 3 splits (s) |", "|---|---|---|"]
    lines += [f"| {n} | {pr:.2f} | {lo:.2f} |" for n, pr, lo in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(text)


if __name__ == "__main__":
    main()
