"""Configuration files: :func:`load_yaml` (file + overrides -> dataclass), and back,
:func:`to_dict` / :func:`dump_yaml`."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Union

import yaml

from lamp_pyg.typed_yaml.build import from_mapping
from lamp_pyg.typed_yaml.core import ConfigError, Context, T, init_fields, show
from lamp_pyg.typed_yaml.loader import describe_yaml_error, yaml_load
from lamp_pyg.typed_yaml.overrides import apply_overrides, parse_override


def load_yaml(cls: type[T], path: Union[str, Path], overrides: Iterable[str] = ()) -> T:
    """Read a YAML file, apply overrides and build the dataclass.

    Args:
        cls: The dataclass to build (see :func:`from_dict`).
        path: The YAML file. An empty file counts as an empty mapping.
        overrides: ``dotted.key=value`` strings applied to the raw mapping before
            validation (see :func:`apply_overrides`); errors about keys they set say so.

    Returns:
        An instance of ``cls``.

    Raises:
        ConfigError: If the file cannot be read, is not valid YAML (the message gives
            YAML's line and column), has a top level that is not a mapping, or fails
            any check of :func:`from_dict`. Messages start with the file path.
    """
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(where, f"cannot read config file: {exc.strerror or exc}") from None
    try:
        raw = yaml_load(text)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(where, "invalid YAML" + describe_yaml_error(exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(where, f"invalid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(where, f"the top level must be a mapping of keys to values, "
                                 f"got {show(raw)}")
    overrides = list(overrides)
    raw = apply_overrides(raw, overrides, where)
    origins = [(parse_override(o, where)[0], o) for o in overrides]
    return from_mapping(cls, raw, Context(where, origins))


def to_dict(obj: Any) -> Dict[str, Any]:
    """Turn a config dataclass back into plain data for ``yaml.safe_dump``.

    Nested dataclasses become dicts (fields in declaration order, ``init=False``
    fields left out), tuples become lists. ``from_dict(type(x), to_dict(x)) == x``.

    Args:
        obj: A dataclass instance.

    Returns:
        A new dict of plain values.

    Raises:
        TypeError: If ``obj`` is not a dataclass instance.
    """
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"to_dict needs a dataclass instance, got {obj!r}")
    return _plain(obj)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in init_fields(type(value))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def dump_yaml(obj: Any, path: Optional[Union[str, Path]] = None) -> str:
    """A config dataclass (or a plain mapping) as YAML, keys in declaration order.

    Args:
        obj: A dataclass instance or a mapping of plain values.
        path: Output file, replaced atomically (missing parent folders are created);
            ``None``: only return it.

    Returns:
        The YAML text.
    """
    data = obj if isinstance(obj, Mapping) else to_dict(obj)
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    if path is None:
        return text
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # atomic: a reader (another process) never sees half a file
    return text
