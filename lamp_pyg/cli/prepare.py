"""Prepare a dataset from its files and print its statistics.

    lamp-pyg prepare bibtex --root ../shared/data     (or: python datasets/prepare.py ...)
    lamp-pyg prepare reuters --path ~/downloads/reuters21578
    lamp-pyg prepare synthetic                  # built in, no download
    lamp-pyg prepare corel5k --format arff --root ../shared/data/mulan-extra/corel5k \\
        --train Corel5k-train-sparse.arff --test Corel5k-test-sparse.arff --labels Corel5k.xml
    lamp-pyg prepare --list

Every ``data.*`` key of a config is a flag here (``data.max_len`` is ``--max-len``), with
the same checks; a key with a fixed set of values lists them (``--format {arff,...}``).
The processed cache (``--cache``, default ``$LAMP_PYG_CACHE`` or ~/.cache/lamp-pyg) is
keyed by the content of the files read and the options that change the result;
preparing twice reuses it (``--force`` rebuilds). Everything a reader or LaMP's rules
dropped is counted in the table.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time


def build_parser(prog=None) -> argparse.ArgumentParser:
    from lamp_pyg.io.sources import DATASETS

    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", help=f"a registered dataset ({', '.join(DATASETS)}) or, "
                                           "with --format, a name for your own files")
    for f in data_fields():
        metavar, help = flag_help(f)
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, metavar=metavar, help=help)
    p.add_argument("--force", action="store_true", help="rebuild the cache")
    p.add_argument("--list", action="store_true", help="list registered datasets")
    return p


def data_fields():
    from lamp_pyg.training.config import DataConfig
    return [f for f in dataclasses.fields(DataConfig) if f.name != "name"]


def flag_help(f: dataclasses.Field):
    """``(metavar, help)`` of the flag of ``data.<f.name>``: ``{a,b,...}`` for a key with
    choices (its domain, as the config checks it) or a bool, else ``VALUE``."""
    from lamp_pyg.typed_yaml import domain_of
    choices = domain_of(f).get("choices")
    if f.type in ("bool", bool):
        choices = ("true", "false")
    metavar = "{" + ",".join(map(str, choices)) + "}" if choices else "VALUE"
    return metavar, f"data.{f.name} (default {f.default!r}; YAML syntax)"


def main(argv=None, prog=None) -> int:
    from lamp_pyg.data.dataset import LaMPDataset, format_stats
    from lamp_pyg.io.sources import DATASETS
    from lamp_pyg.training.config import DataConfig
    from lamp_pyg.training.setup import cache_dir
    from lamp_pyg.typed_yaml import ConfigError, from_dict, yaml_load

    a = build_parser(prog).parse_args(argv)
    if a.list or not (a.name or a.format):
        for k, entry in DATASETS.items():
            print(f"{k:<10} {entry.location or '(built in)':<16} {entry.about}")
        return 0
    t0 = time.perf_counter()
    fields = data_fields()
    try:
        given = {f.name: _flag_value(f.name, getattr(a, f.name), yaml_load) for f in fields
                 if getattr(a, f.name) is not None}
        d = from_dict(DataConfig, {"name": a.name, **given}, where=prog or "datasets/prepare.py")
        cache = cache_dir(d)
        ds = LaMPDataset(cache, d.name, "train", path=d.path, data_root=d.root,
                         options=d.prepare_options, source=d.source, force_reload=a.force)
    except ConfigError as e:  # the flag named too: "key 'format' (--format): expected ..."
        flag = (e.key or "").split(".")[0].split("[")[0]
        named = f"key '{e.key}'"
        message = (e.message.replace(named, f"{named} (--{flag.replace('_', '-')})", 1)
                   if flag else e.message)
        print(f"error: {e.where}: {message}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(ds.describe())
    print(format_stats(ds.meta))
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


def _flag_value(name: str, text: str, yaml_load):
    """A flag's value parsed as YAML (as ``--set`` values are); a ValueError naming the flag."""
    import yaml
    try:
        return yaml_load(text)
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e)
        raise ValueError(f"--{name.replace('_', '-')} {text!r}: expected a YAML value "
                         f"(data.{name}), got invalid YAML: {problem}") from None
