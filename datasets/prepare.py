#!/usr/bin/env python
"""Prepare a dataset from its files and print its statistics (the same as the installed
``lamp-pyg prepare``).

    python datasets/prepare.py bibtex --root ../shared/data
    python datasets/prepare.py synthetic                  # built in, no download
    python datasets/prepare.py --list

The flags and what they do: ``lamp_pyg/cli/prepare.py`` (``python datasets/prepare.py --help``).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from lamp_pyg.cli.prepare import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
