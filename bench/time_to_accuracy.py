"""Time to a good model: test ebF1 against the wall-clock seconds of training + validation.

    python bench/time_to_accuracy.py --dataset bibtex --target 0.447 \\
        --arm "bibtex_fast=records/experiments/runs-2026-12-04/bibtex_fast-prior-fp32-seed*" \\
        --lr records/experiments/baselines-linear-2026-12-04.json \\
        --out records/bench/time-to-accuracy-bibtex-$(date +%F).md   # + .png beside it

Each ``--arm LABEL=GLOB`` is one config, its run directories (one per seed) matched by
the glob. The clock of a run is, epoch after epoch, ``train_seconds + eval_seconds -
test_seconds`` from its ``metrics.jsonl``: training and scoring validation, not the test
scoring that only draws the curve. At each epoch the model a user has is the checkpoint
best on validation so far (``best.pt``); its score is test ebF1 at the threshold tuned on
validation that epoch (``metrics.jsonl``'s ``test_ebF1``; for runs logged before it
existed, from ``last.pt``'s per-epoch records when the run directory still has it). A run
with neither gives one point: its headline (``results.json``) at its total time.

- ``--lr``: an ``experiments/baselines.py`` JSON record; its ``linear`` row for the dataset
  is drawn as a marker at its ``seconds`` (the whole baselines run of that dataset: data
  loading, the frequency baseline and the C grid of logistic regression).
- ``--original DIR``: the released QData/LaMP code's run folder (its ``opt.model_name``):
  ``epochs/{valid,test}_{preds,targets}<e>.pt`` as its ``runner.py`` saves them, and the
  stdout of the run in ``DIR/stdout.log`` (or ``--original-log``), whose ``(Training)
  elapse: X min`` and ``(Validation) elapse: X min`` lines give the clock. Scored here with
  lamp-pyg's metrics over the columns as saved (its target vocabulary). Not run yet.

Writes a markdown table (command, machine, date) and a PNG plot with the same stem.
"""
from __future__ import annotations

import argparse
import glob
import json
import re
import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_core import machine_info  # noqa: E402

Curve = List[Tuple[float, float]]  # (seconds so far, test ebF1 of the model chosen so far)


def selected_curve(seconds: List[float], valid: List[float], test: List[float]) -> Curve:
    """Per epoch: the clock so far and the test score of the epoch best on valid so far
    (ties -> the earlier epoch, as ``best.pt`` is kept)."""
    out, t, best = [], 0.0, None
    for s, v, x in zip(seconds, valid, test):
        t += s
        if best is None or v > best[0]:
            best = (v, x)
        out.append((t, best[1]))
    return out


def run_curve(run: Path) -> Dict[str, object]:
    """One lamp-pyg run directory: its curve (see the module docstring), final headline
    test ebF1, total seconds, and where the per-epoch test scores came from."""
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines() if l.strip()]
    if not rows:
        raise ValueError(f"{run / 'metrics.jsonl'}: no finished epoch")
    missing = [r["epoch"] for r in rows if "test_seconds" not in r]
    if missing:
        raise ValueError(f"{run / 'metrics.jsonl'}: epochs {missing} have no test_seconds")
    seconds = [r["train_seconds"] + r["eval_seconds"] - r["test_seconds"] for r in rows]
    metric = next(k for k in rows[0] if k.startswith("valid_"))
    valid = [r[metric] for r in rows]
    test, source = [r.get("test_ebF1") for r in rows], "metrics.jsonl"
    if None in test and (run / "last.pt").exists():
        from lamp_pyg.evaluation import tuned_on_valid
        from lamp_pyg.training.checkpoint import load_checkpoint
        hist = load_checkpoint(run / "last.pt")["train_state"]["history"]
        test, source = [tuned_on_valid(h["record"])["test"] for h in hist], "last.pt"
    res = json.loads((run / "results.json").read_text()) if (run / "results.json").exists() else None
    final = res["headline"]["ebF1"]["test"] if res else None
    if None in test:  # only the end point is known
        curve, source = ([(sum(seconds), final)] if final is not None else []), "results.json"
    else:
        curve = selected_curve(seconds, valid, test)
    return {"run": str(run), "curve": curve, "final": final, "seconds": sum(seconds),
            "epochs": len(rows), "source": source, "select_metric": metric[6:],
            "machine": res.get("machine") if res else None}


ELAPSE = re.compile(r"^\((Training|Validation)\) elapse: ([0-9.]+) min")


def original_curve(folder: Path, log: Optional[Path] = None) -> Dict[str, object]:
    """The released code's run: per-epoch saved predictions + its stdout's elapse lines."""
    import torch

    from lamp_pyg.evaluation import epoch_record, tuned_on_valid
    log = log or folder / "stdout.log"
    times: Dict[str, List[float]] = {"Training": [], "Validation": []}
    for line in log.read_text(errors="replace").splitlines():
        m = ELAPSE.match(line.strip())
        if m:
            times[m.group(1)].append(60 * float(m.group(2)))
    n = min(len(times["Training"]), len(times["Validation"]))
    if n == 0:
        raise ValueError(f"{log}: no '(Training) elapse: X min' / '(Validation) elapse' lines")
    valid, test = [], []
    for e in range(1, n + 1):
        load = lambda k: torch.load(folder / "epochs" / f"{k}{e}.pt").numpy()  # noqa: E731
        try:
            rec = epoch_record(e, load("valid_targets"), load("valid_preds"),
                               load("test_targets"), load("test_preds"))
        except FileNotFoundError as err:
            raise ValueError(f"{folder}: epoch {e} is in {log} but its predictions are "
                             f"missing ({err.filename})") from None
        r = tuned_on_valid(rec)
        valid.append(r["valid"])
        test.append(r["test"])
    seconds = [a + b for a, b in zip(times["Training"][:n], times["Validation"][:n])]
    curve = selected_curve(seconds, valid, test)
    return {"run": str(folder), "curve": curve, "final": curve[-1][1], "seconds": curve[-1][0],
            "epochs": n, "source": f"{log.name} + epochs/*.pt", "select_metric": "ebF1",
            "machine": None}


def lr_marker(path: Path, dataset: str) -> Dict[str, object]:
    rec = json.loads(path.read_text())
    row = next((r for r in rec["results"] if r["dataset"] == dataset and "linear" in r), None)
    if row is None:
        raise ValueError(f"{path}: no 'linear' result for dataset {dataset!r}")
    return {"ebF1": row["linear"]["ebF1"], "seconds": row["seconds"], "record": str(path),
            "date": rec.get("date"), "C": row["linear"].get("C")}


def first_hit(curve: Curve, target: float) -> Optional[float]:
    return next((t for t, x in curve if x is not None and x >= target), None)


def render(r) -> str:
    tgt = r["target"]
    lines = [f"# Time to accuracy: {r['dataset']}, test ebF1 (threshold tuned on validation)",
             "", f"- command: `{r['command']}`", f"- date: {r['date']}",
             f"- machine (this script's): {r['machine']['cpu']}, "
             f"{r['machine']['usable_cores']} usable cores; the runs' own machines below",
             "- clock: training + scoring validation, summed over epochs from metrics.jsonl "
             "(test scoring left out); the score at a time is the test ebF1 of the checkpoint "
             "best on validation so far", "",
             f"| arm | run | epochs | s to ebF1 >= {tgt} | final test ebF1 | total s | "
             "per-epoch test from | run's machine |", "|---|---|---|---|---|---|---|---|"]
    for arm, runs in r["arms"].items():
        for x in runs:
            hit = first_hit(x["curve"], tgt)
            when = ("not reached" if hit is None else f"{hit:.0f}" if len(x["curve"]) > 1
                    else f"<= {hit:.0f} (end only)")
            m = x["machine"] or {}
            mach = (f"{m.get('cpu', '?')}, {m.get('torch_threads', '?')} threads, fast bf16 "
                    f"{m.get('fast_bf16', '?')}" if m else "-")
            lines.append(f"| {arm} | `{x['run']}` | {x['epochs']} | "
                         f"{when} | "
                         f"{'%.4f' % x['final'] if x['final'] is not None else '-'} | "
                         f"{x['seconds']:.0f} | {x['source']} | {mach} |")
    if r.get("lr"):
        lr = r["lr"]
        lines += ["", f"Logistic regression (marker): test ebF1 {lr['ebF1']:.4f} after "
                  f"{lr['seconds']:.0f} s (the dataset's whole baselines run: data, frequency "
                  f"baseline, C grid), record `{lr['record']}` ({lr['date']})."]
    return "\n".join(lines) + "\n"


def plot(r, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for k, (arm, runs) in enumerate(r["arms"].items()):
        for j, x in enumerate(runs):
            c = x["curve"]
            ax.plot([t / 60 for t, _ in c], [v for _, v in c], marker="o" if len(c) > 1 else "s",
                    ms=3 if len(c) > 1 else 6, color=f"C{k}", label=arm if j == 0 else None)
    if r.get("lr"):
        ax.plot([r["lr"]["seconds"] / 60], [r["lr"]["ebF1"]], marker="*", ms=14, color="k",
                ls="none", label="logistic regression (C grid)")
    ax.axhline(r["target"], color="grey", ls=":", label=f"target {r['target']}")
    ax.set(xlabel="training + validation, minutes", ylabel="test ebF1 (valid-tuned threshold)",
           title=f"{r['dataset']}: time to accuracy ({r['date'][:10]})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arm", action="append", default=[], metavar="LABEL=GLOB",
                   help="one config's run directories (repeatable)")
    p.add_argument("--dataset", default="bibtex")
    p.add_argument("--target", type=float, default=0.447)
    p.add_argument("--lr", type=Path, help="experiments/baselines.py JSON with a linear row")
    p.add_argument("--original", type=Path, help="the released code's run folder")
    p.add_argument("--original-log", type=Path, help="its stdout (default DIR/stdout.log)")
    p.add_argument("--out", type=Path, required=True, help="markdown report (.png beside it)")
    a = p.parse_args(argv)
    if not a.arm and not a.original:
        p.error("give at least one --arm LABEL=GLOB or --original DIR")
    return a


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    a = parse(argv)
    arms: Dict[str, list] = {}
    for spec in a.arm:
        label, sep, pattern = spec.partition("=")
        dirs = sorted(Path(d) for d in glob.glob(pattern) if Path(d).is_dir())
        if not sep or not dirs:
            print(f"time_to_accuracy.py: error: --arm {spec!r}: expected LABEL=GLOB matching "
                  "run directories", file=sys.stderr)
            return 2
        arms[label] = [run_curve(d) for d in dirs]
    if a.original:
        arms["released code"] = [original_curve(a.original, a.original_log)]
    r = {"command": "python bench/time_to_accuracy.py " + shlex.join(argv),
         "date": datetime.now().isoformat(timespec="seconds"), "machine": machine_info(),
         "dataset": a.dataset, "target": a.target, "arms": arms,
         "lr": lr_marker(a.lr, a.dataset) if a.lr else None}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    text = render(r)
    a.out.write_text(text)
    a.out.with_suffix(".json").write_text(json.dumps(r, indent=1))
    plot(r, a.out.with_suffix(".png"))
    print(text)
    print(f"wrote {a.out}, its .json and .png", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
