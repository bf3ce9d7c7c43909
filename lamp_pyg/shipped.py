"""The configs that ship with lamp-pyg (``lamp_pyg/configs/*.yaml``, also ``configs/`` in a
checkout): their names, where they are, and what each is for.

A ``--config`` value that names no file but a shipped config (``own_data``, ``default``,
``bibtex``, ...) means that config, so an installed lamp-pyg runs them from any folder.
Imports nothing else from lamp_pyg.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Union

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


def shipped_configs() -> Dict[str, Path]:
    """``{name: path}`` of the shipped configs, by name."""
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}


def describe(path: Path) -> str:
    """What a config is for: its first comment line after the command line that opens it."""
    for line in Path(path).read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text and not text.startswith(("python ", "lamp-pyg ")):
            return text
    return ""


def resolve_config(value: Union[str, Path]) -> Path:
    """The config file ``value`` means: an existing file as given; else the shipped config
    of that name (``own_data`` or ``own_data.yaml``); else ``value`` itself, unchanged, so
    that reading it reports the missing file."""
    path = Path(value)
    if path.is_file():
        return path
    name = path.name[:-5] if path.name.endswith(".yaml") else path.name
    shipped = shipped_configs()
    if name in shipped and len(path.parts) == 1:
        return shipped[name]
    return path
