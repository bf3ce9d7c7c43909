#!/usr/bin/env python
"""Train and evaluate LaMP from a YAML config (the same as the installed ``lamp-pyg train``).

    python train.py --config configs/default.yaml
    python train.py --config configs/bibtex.yaml --set graph.kind=full --set train.seed=1
    python train.py --config configs/bibtex.yaml --run-dir runs/bibtex-prior --resume
    python train.py --predict runs/default-prior-seed0 --input "w12 w40 w7"

The flags and what they do: ``lamp_pyg/cli/train.py`` (``python train.py --help``).
"""
import sys

from lamp_pyg.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
