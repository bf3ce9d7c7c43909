"""``lamp-pyg``: the installed command (``python -m lamp_pyg`` is the same).

    lamp-pyg train --config own_data --set data.train=my-train.csv --set data.test=my-test.csv
    lamp-pyg predict RUN_DIR --input "some text"
    lamp-pyg prepare bibtex --root ../shared/data
    lamp-pyg configs

``train`` takes the flags of ``python train.py``, ``prepare`` those of
``python datasets/prepare.py``; ``--config`` takes a file or a shipped config's name.
"""
from __future__ import annotations

import argparse
import sys

COMMANDS = {
    "train": "train and evaluate from a config (the flags of train.py)",
    "predict": "predict labels for raw inputs with a trained run directory",
    "prepare": "prepare a dataset and print its statistics (the flags of datasets/prepare.py)",
    "configs": "list the shipped configs (usable by name: --config own_data)",
}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="lamp-pyg", description=__doc__.split("\n\n")[0],
                                epilog="\n".join(f"  {k:<8} {v}" for k, v in COMMANDS.items()),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=tuple(COMMANDS), help="see below; COMMAND --help for its flags")
    p.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    if not argv or argv[0] in ("-h", "--help"):
        p.print_help()
        return 0 if argv else 2
    a = p.parse_args(argv[:1])
    rest, prog = argv[1:], f"lamp-pyg {a.command}"
    if a.command == "train":
        from lamp_pyg.cli.train import main as train_main
        return train_main(rest, prog=prog)
    if a.command == "predict":
        return predict(rest, prog)
    if a.command == "prepare":
        from lamp_pyg.cli.prepare import main as prepare_main
        return prepare_main(rest, prog=prog)
    return list_configs(rest, prog)


def predict(argv, prog: str) -> int:
    from lamp_pyg.cli import train as cli_train
    p = argparse.ArgumentParser(prog=prog, description=COMMANDS["predict"])
    p.add_argument("predict", metavar="RUN_DIR", help="a run directory (a single run or an "
                   "ensemble), or a checkpoint file (best.pt)")
    cli_train.add_predict_flags(p)
    return cli_train.run(p.parse_args(argv))


def list_configs(argv, prog: str) -> int:
    from lamp_pyg.shipped import CONFIG_DIR, describe, shipped_configs
    p = argparse.ArgumentParser(prog=prog, description=COMMANDS["configs"])
    p.add_argument("--path", action="store_true", help="print the folder that holds them")
    if p.parse_args(argv).path:
        print(CONFIG_DIR)
        return 0
    for name, path in shipped_configs().items():
        print(f"{name:<18} {describe(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
