"""Paths as committed records show them, so a record's command runs on another machine.

A path inside the checkout is written relative to it; one under the data root
(``$LAMP_PYG_DATA``, or a data root the script was given) as ``$LAMP_PYG_DATA/...``; one
beside the checkout as ``../...``; one under the home folder as ``~/...``. Relative paths
and anything else are kept as given. The data roots a command names (``--data-root``,
``--root``, ``data.root=``) count as data roots.

Usage::

    command = record_command("bench/bench_speed.py", sys.argv[1:])
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Iterable, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
ENV_DATA = "LAMP_PYG_DATA"  # = lamp_pyg.io.sources.ENV_DATA (bench/ stays import-light)


def _under(path: Path, root: Path) -> Optional[str]:
    """``path`` relative to ``root`` ('' for the root itself), or None if outside it."""
    if path == root:
        return ""
    return path.relative_to(root).as_posix() if root in path.parents else None


def portable_path(text: str, data_roots: Iterable[Optional[str]] = ()) -> str:
    """One path as a record writes it (see the module docstring)."""
    expanded = os.path.expanduser(text)
    if not os.path.isabs(expanded):
        return text
    path = Path(os.path.abspath(expanded))
    roots = [r for r in (*data_roots, os.environ.get(ENV_DATA)) if r]
    for root in roots:
        rest = _under(path, Path(os.path.abspath(os.path.expanduser(root))))
        if rest is not None:
            return "$" + ENV_DATA + ("/" + rest if rest else "")
    rest = _under(path, REPO)
    if rest is not None:
        return rest or "."
    if _under(path, REPO.parent) is not None:
        return os.path.relpath(path, REPO)
    rest = _under(path, Path.home())
    if rest is not None:
        return "~/" + rest if rest else "~"
    return text


def portable_arg(arg: str, data_roots: Iterable[Optional[str]] = ()) -> str:
    """A command-line word: a path, or ``key=path`` / ``--flag=path``."""
    key, eq, value = arg.partition("=")
    if eq and not os.path.isabs(os.path.expanduser(key)):
        return key + eq + portable_path(value, data_roots)
    return portable_path(arg, data_roots)


DATA_ROOT_FLAGS = ("--data-root", "--root")  # the scripts' data-root options


def given_data_roots(argv: Sequence[str]) -> list:
    """The data roots a command line names: ``--data-root X``, ``--data-root=X``,
    ``data.root=X`` (a ``--set`` override)."""
    roots = []
    for i, arg in enumerate(argv):
        key, eq, value = arg.partition("=")
        if key in DATA_ROOT_FLAGS and not eq and i + 1 < len(argv):
            roots.append(argv[i + 1])
        elif eq and key in DATA_ROOT_FLAGS + ("data.root",):
            roots.append(value)
    return roots


def record_command(script: str, argv: Sequence[str], data_roots: Iterable[Optional[str]] = ()
                   ) -> str:
    """``python <script> <argv>`` with every path made portable, shell-quoted where needed
    (``$LAMP_PYG_DATA`` stays expandable)."""
    roots = list(data_roots) + given_data_roots(argv)
    words = [portable_arg(a, roots) for a in argv]
    return "python " + " ".join([script] + [w if w.startswith(("$", "~")) or "=$" in w
                                            else shlex.quote(w) for w in words])
