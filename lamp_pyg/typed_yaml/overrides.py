"""Command-line style ``dotted.key=value`` overrides of a raw mapping."""
from __future__ import annotations

import copy
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

import yaml

from lamp_pyg.typed_yaml.core import ConfigError, show
from lamp_pyg.typed_yaml.loader import yaml_load


def parse_override(text: str, where: str = "overrides") -> Tuple[Tuple[str, ...], Any]:
    """Split one ``dotted.key=value`` override into its key path and parsed value.

    The value is parsed as YAML (see :func:`yaml_load`): ``3`` is an int, ``1e-4`` a
    float, ``true`` a bool, ``[1, 2]`` a list, ``null`` (or nothing) ``None``,
    anything else a string.

    Args:
        text: The override, e.g. ``'train.lr=1e-4'``.
        where: Label for error messages.

    Returns:
        ``(('train', 'lr'), 0.0001)``.

    Raises:
        ConfigError: If there is no ``=``, the key has an empty part, or the value is
            not valid YAML.
    """
    if "=" not in text:
        raise ConfigError(where, f"override {text!r} must look like dotted.key=value "
                                 "(e.g. model.d_model=512)")
    key, raw = text.split("=", 1)
    parts = tuple(p.strip() for p in key.strip().split("."))
    if not all(parts):
        raise ConfigError(where, f"override {text!r}: invalid key {key.strip()!r}")
    try:
        value = yaml_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(where, f"override {text!r}: value is not valid YAML: {problem}",
                          ".".join(parts)) from None
    return parts, value


def apply_overrides(mapping: Optional[Mapping[str, Any]], overrides: Iterable[str],
                    where: str = "overrides") -> Dict[str, Any]:
    """Apply ``dotted.key=value`` overrides to a raw mapping, before any validation.

    Sections that do not exist yet (or are ``null``) are created, so
    ``eval.k=5`` works even when the file has no ``eval`` section. Key names are not
    checked here; :func:`from_dict` checks them afterwards like any other key.

    Args:
        mapping: The raw configuration (``None`` counts as empty). Not modified.
        overrides: Strings like ``'model.d_model=512'``, applied in order.
        where: Label for error messages.

    Returns:
        A new mapping with the overrides applied.

    Raises:
        ConfigError: On a malformed override, or if a key on its path holds a value
            that is not a mapping (``model=3`` then ``model.d_model=4``).
    """
    out = copy.deepcopy(dict(mapping)) if mapping is not None else {}
    for text in overrides:
        parts, value = parse_override(text, where)
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise ConfigError(where, f"override {text!r}: cannot set a key inside "
                                         f"{'.'.join(parts[:i + 1])!r}, which is "
                                         f"{show(child)}, not a section",
                                  ".".join(parts))
            node = child
        node[parts[-1]] = value
    return out
