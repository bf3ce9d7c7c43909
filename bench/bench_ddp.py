#!/usr/bin/env python
"""Training throughput of one process against torchrun with several, on one machine.

    python bench/bench_ddp.py --out records/bench/ddp-$(date +%F).md
    python bench/bench_ddp.py --config configs/bibtex_fast.yaml --epochs 1 --set data.root=../shared/data

Runs ``train.py`` on the same config for the same epochs, one arm after the other, and
reads the training samples/s of each epoch from ``metrics.jsonl``:

- ``1 process x T threads`` (T = the machine's cores), and ``1 process x 1 thread``;
- ``N processes x T/N threads`` under ``torchrun --standalone`` (same global batch).

The arms alternate ``--rounds`` times, so machine noise falls on both; the load average is
recorded. Default: the built-in synthetic data (``configs/default.yaml``), 2 epochs.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_core import loadavg, machine_info  # noqa: E402
from bench.records import (given_data_roots, portable_arg, portable_path,  # noqa: E402
                           record_command)


def run_arm(procs: int, threads: int, a, run_dir: Path) -> float:
    """Median training samples/s over the epochs of one run."""
    sets = [f"train.num_threads={threads}", f"train.epochs={a.epochs}", "train.progress=false",
            "eval.plots=false", *a.set]
    args = [str(REPO / "train.py"), "--config", a.config, "--run-dir", str(run_dir)]
    args += [x for s in sets for x in ("--set", s)]
    cmd = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
            "--nproc_per_node", str(procs)] if procs > 1 else [sys.executable]) + args
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"arm {procs}x{threads} failed:\n{r.stderr[-2000:]}")
    rows = [json.loads(l) for l in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return median(row["samples_per_second"] for row in rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="configs/default.yaml")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--set", action="append", default=[], help="extra config overrides")
    p.add_argument("--out", help="markdown report")
    a = p.parse_args(argv)
    cores = os.cpu_count() or 1
    arms = [(1, cores), (1, 1), (a.procs, max(1, cores // a.procs))]
    load0, t0 = loadavg(), time.time()
    results = {arm: [] for arm in arms}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for procs, threads in arms:
                sps = run_arm(procs, threads, a, Path(tmp) / f"r{r}-{procs}x{threads}")
                results[(procs, threads)].append(sps)
                print(f"round {r + 1}: {procs} process(es) x {threads} thread(s): {sps:.1f} "
                      "samples/s", file=sys.stderr)
    base = median(results[arms[0]])
    m = machine_info()
    lines = ["# Training throughput: one process vs torchrun", "",
             f"- command: `{record_command('bench/bench_ddp.py', argv or sys.argv[1:])}`",
             f"- date: {datetime.now().isoformat(timespec='seconds')} "
             f"(elapsed {time.time() - t0:.0f} s)",
             f"- machine: {m}", f"- load average: {load0} -> {loadavg()}",
             f"- config: `{portable_path(a.config)}` "
             f"{' '.join(portable_arg(s, given_data_roots(a.set)) for s in a.set)}, "
             f"{a.epochs} epochs per run, "
             f"{a.rounds} rounds, arms alternating; the global batch is the config's", "",
             "| arm | training samples/s (median per epoch, per round) | vs 1 process |",
             "|---|---|---|"]
    for procs, threads in arms:
        v = results[(procs, threads)]
        lines.append(f"| {procs} process{'es' if procs > 1 else ''} x {threads} thread"
                     f"{'s' if threads > 1 else ''} | {', '.join(f'{x:.1f}' for x in v)} | "
                     f"{median(v) / base:.2f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        Path(a.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
