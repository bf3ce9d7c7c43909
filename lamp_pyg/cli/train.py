"""Train and evaluate LaMP from a YAML config.

    lamp-pyg train --config default        (or: python train.py --config configs/default.yaml)
    lamp-pyg train --config bibtex --set graph.kind=full --set train.seed=1
    lamp-pyg train --config configs/bibtex.yaml --run-dir runs/bibtex-prior --resume
    lamp-pyg predict runs/default-prior-seed0 --input "w12 w40 w7"
                                           (or: python train.py --predict RUN --input ...)

``--config`` takes a YAML file, or the name of a shipped config (``lamp-pyg configs``
lists them; ``own_data`` is the one to start from for your own files). Prints the
resolved config, trains with a progress bar (loss, samples/s), checkpoints (best on
validation and last), and writes results.json / results.txt / plots into the run
directory. Errors (bad config key, missing data, unreadable checkpoint, NaN loss) end
with a one-line message and exit code 1 or 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser(prog=None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="YAML config, or a shipped config's name "
                   "(lamp-pyg configs lists them)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set model.d_model=256 (repeatable)")
    p.add_argument("--run-dir", help="where checkpoints and results go "
                   "(default: run_dir from the config, else runs/<config>-<graph>-seed<seed>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    p.add_argument("--predict", metavar="RUN",
                   help="predict with a trained run: its run directory (a single run or an "
                        "ensemble), or a checkpoint file (best.pt)")
    add_predict_flags(p, "with --predict: ")
    return p


def add_predict_flags(p: argparse.ArgumentParser, prefix: str = "") -> None:
    p.add_argument("--input", action="append", default=[],
                   help=f"{prefix}a raw input (text line, or comma-separated feature "
                        "values, or 'idx:val idx:val' pairs); repeatable; '-' reads stdin lines")
    p.add_argument("--top", type=_positive, default=10,
                   help=f"{prefix}show at most this many labels (>= 1)")
    p.add_argument("--at-least-one", action=argparse.BooleanOptionalAction, default=None,
                   help=f"{prefix}give (or never give) the most likely label when none "
                        "clears the threshold; default: what the run chose on validation "
                        "(runs trained with eval.at_least_one=true; else never)")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help=f"{prefix}load checkpoints that hold more than plain data (any "
                        "pickled object, which can run code on this machine); only for files "
                        "from a source you trust. lamp-pyg never writes such files")


def main(argv=None, prog=None) -> int:
    p = build_parser(prog)
    args = p.parse_args(argv)
    if not args.predict and not args.config:
        p.error("--config is required (or --predict)")
    return run(args)


def run(args) -> int:
    """Trains (``args.config``) or predicts (``args.predict``); the exit code."""
    # imports after argparse so --help is instant
    from lamp_pyg.training.checkpoint import CheckpointError
    from lamp_pyg.training.run_dir import RunDirError
    from lamp_pyg.typed_yaml import ConfigError

    from lamp_pyg.training import distributed
    try:
        return _predict(args) if args.predict else _train(args)
    except (ConfigError, CheckpointError, RunDirError, FileNotFoundError, ValueError,
            ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: resume with --resume (the last checkpoint is kept)", file=sys.stderr)
        return 130
    except RuntimeError as e:  # TrainingError (NaN loss), a lost peer process, and friends
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        distributed.finish()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def config_path(value) -> Path:
    """``--config``'s file: a path, or a shipped config's name (a missing one is refused,
    naming the shipped ones)."""
    from lamp_pyg.shipped import resolve_config, shipped_configs
    path = resolve_config(value)
    if not path.is_file() and len(Path(value).parts) == 1:
        raise FileNotFoundError(f"--config {value}: no such file, and no shipped config of "
                                f"that name (shipped: {', '.join(shipped_configs())})")
    return path


def _train(args) -> int:
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.distributed import is_main_process
    from lamp_pyg.training.ensemble import resolve_ensemble, train_ensemble
    from lamp_pyg.training.loop import train
    from lamp_pyg.typed_yaml import dump_yaml

    cfg = load_config(config_path(args.config), args.overrides)
    run_dir = Path(args.run_dir or cfg.run_dir or
                   f"runs/{Path(args.config).stem}-{cfg.graph.kind}-seed{cfg.train.seed}")
    if is_main_process():  # under torchrun, rank 0 speaks for all
        print(f"# config {args.config}" + "".join(f" --set {o}" for o in args.overrides))
        print(dump_yaml(cfg).rstrip())
        print(f"# run directory: {run_dir}")
    cfg = resolve_ensemble(cfg, run_dir, log=print if is_main_process() else (lambda *a: None))
    if cfg.train.ensemble > 1:
        report = train_ensemble(cfg, run_dir, resume=args.resume)
        if is_main_process():
            print(f"results: {run_dir / 'results.txt'} and results.json; members: "
                  f"{run_dir}/seed*/; predict with --predict {run_dir}")
        return 0
    report = train(cfg, run_dir, resume=args.resume)
    if is_main_process():
        print(f"results: {run_dir / 'results.txt'} and results.json; checkpoints: best.pt, last.pt")
    return 0 if report else 1


def _predict(args) -> int:
    from lamp_pyg.training.predict import Predictor

    pred = Predictor.load(args.predict, at_least_one=args.at_least_one,
                          trusted=args.trust_checkpoint)
    inputs = []
    for x in args.input or ["-"]:
        inputs += [l.rstrip("\n") for l in sys.stdin] if x == "-" else [x]
    what = "tokens" if pred.kind == "text" else "features"
    for text, (known, total), result in zip(inputs, pred.known(inputs), pred.predict(inputs)):
        shown = result[:args.top]
        labels = ", ".join(f"{name} ({p:.3f})" for name, p in shown) or "(no label above threshold)"
        print(f"{text[:60]!r} ({known} of {total} {what} known): {labels}")
    return 0
