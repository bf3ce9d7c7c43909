"""The errors and key paths every part of the engine shares: :class:`ConfigError`,
dotted key names, type names, dataclass fields, the override-aware error context."""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, Dict, Iterable, List, Literal, Optional, Tuple, TypeVar, Union


T = TypeVar("T")

#: A key path: section names and field names (``str``) and list positions (``int``).
KeyPath = Tuple[Union[str, int], ...]


class ConfigError(ValueError):
    """An invalid configuration: unknown or missing key, wrong type, bad file or override.

    Attributes:
        where: The file the configuration came from, or another label (``'config'``).
        key: The full dotted key the problem is about (``'model.d_model'``,
            ``'train.steps[2]'``), or ``None`` when it is about the file as a whole.
        message: The description without the ``where`` prefix.
    """

    def __init__(self, where: str, message: str, key: Optional[str] = None):
        self.where = where
        self.key = key
        self.message = message
        super().__init__(f"{where}: {message}")


def fmt_path(path: KeyPath) -> str:
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += f".{seg}" if out else str(seg)
    return out


def show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def type_name(tp: Any) -> str:
    if tp is type(None) or tp is None:
        return "None"
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is Union or origin is types.UnionType:
        return " or ".join(type_name(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and origin is None:
        return tp.__name__
    return repr(tp).replace("typing.", "")


def is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


@functools.lru_cache(maxsize=None)
def field_types(cls: type) -> Dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception as exc:  # NameError for unresolvable forward references, ...
        raise TypeError(
            f"cannot resolve the field types of {cls.__qualname__}: {exc} "
            "(config dataclasses must be defined at module level)") from exc


def init_fields(cls: type) -> List[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.init]


def has_default(f: dataclasses.Field) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


class Context:
    """Where a mapping came from: the file label and which keys overrides set."""

    def __init__(self, where: str, overrides: Iterable[Tuple[KeyPath, str]] = ()):
        self.where = where
        self.overrides = list(overrides)

    def error(self, path: KeyPath, message: str) -> ConfigError:
        if path:
            related = [text for opath, text in self.overrides
                       if opath[:len(path)] == path or path[:len(opath)] == opath]
            if related:
                message += " (from override " + ", ".join(repr(t) for t in related) + ")"
        return ConfigError(self.where, message, fmt_path(path) if path else None)
