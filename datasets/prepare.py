#!/usr/bin/env python
"""Prepare a dataset from its public download and print its statistics.

    python datasets/prepare.py bibtex --root ../shared/data
    python datasets/prepare.py reuters --path ~/downloads/reuters21578
    python datasets/prepare.py synthetic            # built in, no download
    python datasets/prepare.py --list

The processed cache (``--cache``, default ``$LAMP_PYG_CACHE`` or ~/.cache/lamp-pyg)
is keyed by the options that change it; preparing twice reuses it (``--force``
rebuilds). Everything a reader or LaMP's rules dropped is counted in the table.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main(argv=None) -> int:
    from lamp_pyg.data.dataset import REGISTRY, LaMPDataset, format_stats
    from lamp_pyg.data.prepare import PrepareOptions

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", nargs="?", help=f"one of: {', '.join(REGISTRY)}")
    p.add_argument("--root", help="folder holding mulan/, reuters21578/, sider/ (default $LAMP_PYG_DATA)")
    p.add_argument("--path", help="the dataset's own raw files (overrides --root)")
    p.add_argument("--cache", default=os.environ.get("LAMP_PYG_CACHE", "~/.cache/lamp-pyg"))
    p.add_argument("--max-len", type=int, default=None)
    p.add_argument("--dense-mode", default="linear", choices=["linear", "nodes"])
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--valid-fraction", type=float, default=0.1)
    p.add_argument("--split-file", default=None)
    p.add_argument("--force", action="store_true", help="rebuild the cache")
    p.add_argument("--list", action="store_true", help="list known datasets")
    a = p.parse_args(argv)
    if a.list or not a.name:
        for k, (sub, _) in REGISTRY.items():
            print(f"{k:<10} {'built in, no download' if sub is None else (sub or 'give --path')}")
        return 0
    opts = PrepareOptions(max_len=a.max_len, dense_mode=a.dense_mode, split_seed=a.split_seed,
                          valid_fraction=a.valid_fraction, split_file=a.split_file)
    t0 = time.perf_counter()
    try:
        ds = LaMPDataset(os.path.expanduser(a.cache), a.name, "train", path=a.path,
                         data_root=a.root, options=opts, force_reload=a.force)
    except (FileNotFoundError, ValueError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_stats(ds.meta))
    print(f"cache: {ds.processed_dir} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
