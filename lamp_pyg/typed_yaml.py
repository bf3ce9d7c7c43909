"""Typed configuration: YAML files and ``key=value`` overrides into nested dataclasses.

This module is generic: it knows nothing about lamp-pyg's own settings. A schema is
any (nested) dataclass; :func:`from_dict` checks a plain mapping against it and builds
it, :func:`load_yaml` does the same for a YAML file plus command-line style overrides,
and :func:`to_dict` / :func:`dump_yaml` go back. Every problem is reported as a
:class:`ConfigError` whose message names the file (or ``where`` label), the full
dotted key, what was expected and what was found, for example::

    configs/bibtex.yaml: unknown key 'model.d_modle'; did you mean 'd_model'? Valid keys: d_model, heads

Supported field types: ``int`` (``bool`` and floats are rejected, even ``3.0``),
``float`` (ints are converted), ``str``, ``bool``, ``None``, ``Any``, ``Optional[X]``
and ``X | None`` (and other unions), ``Literal[...]``, ``list[X]``, ``tuple[X, ...]``
and fixed ``tuple[X, Y]``, ``dict[K, V]``, nested dataclasses and, as a fallback,
plain classes checked with ``isinstance``. Annotations are resolved with
:func:`typing.get_type_hints`, so ``from __future__ import annotations`` works as long
as the dataclasses are defined at module level.

Two YAML 1.1 pitfalls are handled: scientific notation without a dot (``1e-4``), which
plain ``yaml.safe_load`` reads as a string, is read as a float; and a key repeated in
one mapping is an error instead of silently keeping the last value.

A field may carry a domain, declared once with :func:`setting`
(``d_model: int = setting(512, ge=1)``, ``kind: str = setting("prior", choices=KINDS)``):
:func:`from_dict` checks it on every value before the dataclass is built, naming the
key, and :func:`check_domains` does the same for an instance built in Python (call it
from ``__post_init__``). ``choices`` takes the tuple the code itself dispatches on, so
the allowed values are spelled once.

A dataclass may define ``validate(self)`` raising ``ValueError`` for checks across
fields; :func:`from_dict` calls it (and wraps ``ValueError`` from ``__post_init__``
the same way) and reports it as a :class:`ConfigError` naming the section.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import os
import re
import types
import typing
from pathlib import Path
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, TypeVar, Union

import yaml

__all__ = [
    "ConfigError",
    "setting",
    "check_domains",
    "domain_of",
    "from_dict",
    "load_yaml",
    "apply_overrides",
    "parse_override",
    "to_dict",
    "dump_yaml",
    "yaml_load",
]

T = TypeVar("T")

#: A key path: section names and field names (``str``) and list positions (``int``).
KeyPath = Tuple[Union[str, int], ...]

# Scientific notation that YAML 1.1 (and hence PyYAML) leaves as a string: no dot in
# the mantissa ("1e-4") or no sign in the exponent ("1.5e3"). YAML 1.2 reads both as floats.
_SCI_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")


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


# --------------------------------------------------------------------------- YAML

class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that reads ``1e-4`` as a float and rejects duplicate keys."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=False)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # unhashable key; the base class reports it
                    continue
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key {key!r} (first defined on line "
                        f"{first.start_mark.line + 1})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _SCI_FLOAT, list("-+0123456789."))


def yaml_load(text: str) -> Any:
    """Parse YAML text the way configuration files and override values are parsed.

    Like ``yaml.safe_load`` except that ``1e-4``-style numbers are floats and repeated
    keys in one mapping raise ``yaml.YAMLError``.

    Args:
        text: YAML source.

    Returns:
        The parsed value (``None`` for empty text).
    """
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


# --------------------------------------------------------------------------- domains

_BOUNDS = {"ge": (">=", lambda v, b: v >= b), "gt": (">", lambda v, b: v > b),
           "le": ("<=", lambda v, b: v <= b), "lt": ("<", lambda v, b: v < b)}


def setting(default: Any, *, choices: Optional[Iterable[Any]] = None, ge: Any = None,
            gt: Any = None, le: Any = None, lt: Any = None) -> Any:
    """A dataclass field with a default and a domain.

    Args:
        default: The default value (``None`` is always allowed for ``Optional`` fields).
        choices: The allowed values (e.g. the keys of the table the code dispatches on).
        ge, gt, le, lt: Bounds for numbers; for a tuple or list, every item. Words a
            ``Literal`` allows next to the numbers (``int | Literal['auto']``) pass.

    Returns:
        A :func:`dataclasses.field` whose metadata holds the domain.
    """
    domain = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt)) if v is not None}
    if choices is not None:
        domain["choices"] = tuple(choices)
    return dataclasses.field(default=default, metadata={"domain": domain})


def domain_of(f: dataclasses.Field) -> Dict[str, Any]:
    """The domain declared with :func:`setting` (``{}`` for a plain field)."""
    return dict(f.metadata.get("domain", {}))


def _describe_domain(domain: Mapping[str, Any]) -> str:
    if "choices" in domain:
        return "one of " + ", ".join(repr(c) for c in domain["choices"])
    return " and ".join(f"{_BOUNDS[k][0]} {v}" for k, v in domain.items())


def _domain_problem(domain: Mapping[str, Any], value: Any) -> Optional[str]:
    """Why ``value`` is outside ``domain``, or None."""
    if value is None or not domain:
        return None
    if "choices" in domain:
        if value in domain["choices"]:
            return None
        close = difflib.get_close_matches(str(value), [str(c) for c in domain["choices"]], n=1)
        return f"expected {_describe_domain(domain)}, got {value!r}" + (
            f"; did you mean {close[0]!r}?" if close else "")
    items = value if isinstance(value, (list, tuple)) else [value]
    for v in items:
        if isinstance(v, str):  # a word a Literal allows beside the numbers, e.g. 'auto'
            continue
        if not all(check(v, domain[k]) for k, (_, check) in _BOUNDS.items() if k in domain):
            what = "every item " if isinstance(value, (list, tuple)) else ""
            return f"expected {what}{_describe_domain(domain)}, got {value!r}"
    return None


def check_domains(obj: Any) -> None:
    """Raise ``ValueError`` naming the first field of ``obj`` outside its declared domain.

    For dataclasses built in Python rather than from a file; call it from
    ``__post_init__``. Nested dataclasses check themselves.
    """
    for f in _init_fields(type(obj)):
        problem = _domain_problem(domain_of(f), getattr(obj, f.name))
        if problem:
            raise ValueError(f"{f.name}: {problem}")


# --------------------------------------------------------------------------- helpers

def _fmt_path(path: KeyPath) -> str:
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += f".{seg}" if out else str(seg)
    return out


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _type_name(tp: Any) -> str:
    if tp is type(None) or tp is None:
        return "None"
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is Union or origin is types.UnionType:
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and origin is None:
        return tp.__name__
    return repr(tp).replace("typing.", "")


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> Dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception as exc:  # NameError for unresolvable forward references, ...
        raise TypeError(
            f"cannot resolve the field types of {cls.__qualname__}: {exc} "
            "(config dataclasses must be defined at module level)") from exc


def _init_fields(cls: type) -> List[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.init]


def _has_default(f: dataclasses.Field) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


class _Context:
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
        return ConfigError(self.where, message, _fmt_path(path) if path else None)


# --------------------------------------------------------------------------- building

def _section_name(path: KeyPath) -> str:
    return f"section {_fmt_path(path)!r}" if path else "top level"


def _build(cls: type, mapping: Any, ctx: _Context, path: KeyPath) -> Any:
    if not isinstance(mapping, Mapping):
        where = f"key {_fmt_path(path)!r}" if path else "the top level"
        raise ctx.error(path, f"{where} must be a mapping ({cls.__name__} section), "
                              f"got {_show(mapping)}")
    fields = _init_fields(cls)
    names = [f.name for f in fields]
    hints = _hints(cls)

    for key in mapping:
        if not isinstance(key, str):
            raise ctx.error(path + (str(key),),
                            f"invalid key {key!r} in {_section_name(path)}: keys must be strings "
                            "(quote it in YAML)")
        if key not in names:
            msg = f"unknown key {_fmt_path(path + (key,))!r}"
            close = difflib.get_close_matches(key, names, n=1)
            msg += f"; did you mean {close[0]!r}?" if close else "."
            msg += " Valid keys: " + (", ".join(names) if names else "(none)")
            raise ctx.error(path + (key,), msg)

    missing = [f.name for f in fields if f.name not in mapping and not _has_default(f)]
    if missing:
        keys = ", ".join(repr(_fmt_path(path + (m,))) for m in missing)
        raise ctx.error(path + ((missing[0],) if len(missing) == 1 else ()),
                        f"missing required key{'s' if len(missing) > 1 else ''} {keys}")

    # a section left out is built from {} like an empty one, so its checks run too
    kwargs = {f.name: _convert(hints[f.name], mapping[f.name] if f.name in mapping else {},
                               ctx, path + (f.name,))
              for f in fields if f.name in mapping or _is_dataclass_type(hints[f.name])}
    for f in fields:
        problem = f.name in kwargs and _domain_problem(domain_of(f), kwargs[f.name])
        if problem:
            raise ctx.error(path + (f.name,), f"key {_fmt_path(path + (f.name,))!r}: {problem}")
    try:
        obj = cls(**kwargs)
        validate = getattr(obj, "validate", None)
        if callable(validate):
            validate()
    except ConfigError:
        raise
    except ValueError as exc:
        what = f"section {_fmt_path(path)!r}" if path else "configuration"
        raise ctx.error(path, f"invalid {what}: {exc}") from exc
    return obj


def _type_error(ctx: _Context, path: KeyPath, tp: Any, value: Any, hint: str = "") -> ConfigError:
    return ctx.error(path, f"key {_fmt_path(path)!r}: expected {_type_name(tp)}, "
                           f"got {_show(value)}{hint}")


def _convert(tp: Any, value: Any, ctx: _Context, path: KeyPath, exact: bool = False) -> Any:
    """Check ``value`` against the annotation ``tp`` and return it converted.

    Dispatches on the kind of annotation: ``Any``, ``None``, unions, ``Literal``,
    dataclasses, containers (:data:`_CONTAINERS`), then scalars and plain classes.

    Args:
        tp: The annotation.
        value: The raw value.
        ctx: Where the value came from, for error messages.
        path: The value's key path.
        exact: Disable the int -> float and ``'1e-4'`` -> float conversions; unions use
            it for a first pass so that ``float | int`` keeps an int an int.

    Returns:
        The converted value.

    Raises:
        ConfigError: The value does not fit the annotation.
        TypeError: The annotation is not a supported field type.
    """
    if tp is Any or tp is object:
        return value
    if tp is type(None) or tp is None:
        if value is None:
            return None
        raise _type_error(ctx, path, type(None), value)
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _convert_union(tp, value, ctx, path, exact)
    if origin is Literal:
        return _convert_literal(tp, value, ctx, path)
    if _is_dataclass_type(tp):
        if value is None:  # an empty YAML section ("model:") means all defaults
            value = {}
        return _build(tp, value, ctx, path)
    for kinds, convert in _CONTAINERS:
        if origin in kinds or tp in kinds:
            return convert(tp, value, ctx, path, exact)
    if origin is not None:
        raise TypeError(f"unsupported config field type {tp!r} at {_fmt_path(path)!r}")
    return _convert_scalar(tp, value, ctx, path, exact)


def _convert_union(tp: Any, value: Any, ctx: _Context, path: KeyPath, exact: bool) -> Any:
    """A value for ``Union[...]`` / ``X | Y``: ``Optional[X]`` or the first option that fits.

    Options are tried in order, first without conversions (``exact``), then with
    them. When none fits, the first error about an item *inside* the value is
    raised, being the most precise, else a plain type error naming all options.
    """
    args = typing.get_args(tp)
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    if len(options) == 1:
        return _convert_optional(tp, options[0], value, ctx, path, exact)
    deeper = None
    for strict in ((True, False) if not exact else (True,)):
        for option in options:
            try:
                return _convert(option, value, ctx, path, strict)
            except ConfigError as exc:
                if deeper is None and exc.key != (_fmt_path(path) or None):
                    deeper = exc
    raise deeper if deeper is not None else _type_error(ctx, path, tp, value)


def _convert_optional(tp: Any, option: Any, value: Any, ctx: _Context, path: KeyPath,
                      exact: bool) -> Any:
    """A non-None value for ``Optional[X]`` (``tp``): X's own errors, saying "X or None"."""
    if value is None:
        raise _type_error(ctx, path, tp, value)
    try:
        return _convert(option, value, ctx, path, exact)
    except ConfigError as exc:
        prefix = f"key {_fmt_path(path)!r}: expected {_type_name(option)}, "
        if not exc.message.startswith(prefix):
            raise  # about an item inside X: already precise
        message = (f"key {_fmt_path(path)!r}: expected {_type_name(tp)}, "
                   + exc.message[len(prefix):])
        raise ConfigError(exc.where, message, exc.key) from None


def _convert_literal(tp: Any, value: Any, ctx: _Context, path: KeyPath) -> Any:
    """A value for ``Literal[...]``: equal to an allowed value and of the same type."""
    args = typing.get_args(tp)
    for allowed in args:
        if value == allowed and type(value) is type(allowed):
            return value
    hint = ""
    if isinstance(value, str):
        close = difflib.get_close_matches(value, [a for a in args if isinstance(a, str)], n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
    raise _type_error(ctx, path, tp, value, hint)


def _convert_list(tp: Any, value: Any, ctx: _Context, path: KeyPath, exact: bool) -> List[Any]:
    """A value for ``list[X]`` (or bare ``list``): a YAML sequence, each item an X."""
    if not isinstance(value, (list, tuple)):
        raise _type_error(ctx, path, tp, value)
    args = typing.get_args(tp)
    item = args[0] if args else Any
    return [_convert(item, v, ctx, path + (i,), exact) for i, v in enumerate(value)]


def _convert_tuple(tp: Any, value: Any, ctx: _Context, path: KeyPath, exact: bool) -> Tuple[Any, ...]:
    """A value for ``tuple[X, ...]``, fixed ``tuple[X, Y]`` or bare ``tuple``: a YAML sequence."""
    if not isinstance(value, (list, tuple)):
        raise _type_error(ctx, path, tp, value)
    args = typing.get_args(tp)
    if not args:
        return tuple(value)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(args[0], v, ctx, path + (i,), exact) for i, v in enumerate(value))
    if len(value) != len(args):
        raise _type_error(ctx, path, tp, value, f" (a list of exactly {len(args)} items)")
    return tuple(_convert(a, v, ctx, path + (i,), exact)
                 for i, (a, v) in enumerate(zip(args, value)))


def _convert_dict(tp: Any, value: Any, ctx: _Context, path: KeyPath, exact: bool) -> Dict[Any, Any]:
    """A value for ``dict[K, V]`` (or bare ``dict``): a mapping, keys K and values V."""
    if not isinstance(value, Mapping):
        raise _type_error(ctx, path, tp, value)
    args = typing.get_args(tp)
    key_tp, val_tp = args if args else (Any, Any)
    out = {}
    for k, v in value.items():
        sub = path + (str(k),)
        try:
            ck = _convert(key_tp, k, ctx, sub, exact)
        except ConfigError:
            raise ctx.error(sub, f"key {_fmt_path(sub)!r}: the key must be "
                                 f"{_type_name(key_tp)}, got {_show(k)}") from None
        out[ck] = _convert(val_tp, v, ctx, sub, exact)
    return out


#: Container annotations (as origin or bare type) -> converter, tried in order by
#: :func:`_convert`.
_CONTAINERS = (
    ((list, List), _convert_list),
    ((tuple, Tuple), _convert_tuple),
    ((dict, Dict), _convert_dict),
)


def _convert_scalar(tp: Any, value: Any, ctx: _Context, path: KeyPath, exact: bool) -> Any:
    """A value for ``bool``, ``int``, ``float``, ``str`` or another plain class.

    ``bool`` is never an ``int`` or a ``float`` here; ``float`` takes ints and
    ``'1e-4'``-style strings unless ``exact``.
    """
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise _type_error(ctx, path, tp, value)
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _type_error(ctx, path, tp, value)
    if tp is float:
        if isinstance(value, float):
            return value
        if not exact:
            if isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str) and _SCI_FLOAT.match(value.strip()):
                return float(value.strip().replace("_", ""))
        raise _type_error(ctx, path, tp, value)
    if tp is str:
        if isinstance(value, str):
            return value
        hint = " (quote it to make it a string)" if isinstance(value, (bool, int, float)) else ""
        raise _type_error(ctx, path, tp, value, hint)
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise _type_error(ctx, path, tp, value)
    raise TypeError(f"unsupported config field type {tp!r} at {_fmt_path(path)!r}")


def from_dict(cls: type[T], mapping: Mapping[str, Any], where: str = "config") -> T:
    """Build a (nested) dataclass from a plain mapping, checking every key and value.

    Args:
        cls: The dataclass to build. Fields whose type is a dataclass are built from
            nested mappings (``None`` for such a field means "all defaults").
        mapping: Raw values, e.g. parsed YAML. Not modified.
        where: Label for error messages, usually the file the mapping came from.

    Returns:
        An instance of ``cls``. Values are converted where documented (ints to floats
        for ``float`` fields, lists to tuples for ``tuple`` fields).

    Raises:
        ConfigError: On an unknown key (with the closest valid key as a suggestion), a
            missing required key, a value of the wrong type, or a ``ValueError`` from
            a dataclass's ``__post_init__`` or ``validate()``.
        TypeError: If ``cls`` is not a dataclass or uses an unsupported field type.
    """
    return _from_dict(cls, mapping, _Context(where))


def _from_dict(cls: type[T], mapping: Any, ctx: _Context) -> T:
    if not _is_dataclass_type(cls):
        raise TypeError(f"from_dict needs a dataclass type, got {cls!r}")
    return _build(cls, mapping, ctx, ())


# --------------------------------------------------------------------------- overrides

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
                                         f"{_show(child)}, not a section",
                                  ".".join(parts))
            node = child
        node[parts[-1]] = value
    return out


# --------------------------------------------------------------------------- files

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
        raise ConfigError(where, "invalid YAML" + _describe_yaml_error(exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(where, f"invalid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(where, f"the top level must be a mapping of keys to values, "
                                 f"got {_show(raw)}")
    overrides = list(overrides)
    raw = apply_overrides(raw, overrides, where)
    origins = [(parse_override(o, where)[0], o) for o in overrides]
    return _from_dict(cls, raw, _Context(where, origins))


def _describe_yaml_error(exc: yaml.MarkedYAMLError) -> str:
    """``' at line L, column C: problem (while ... at line L0, column C0)'``, 1-based."""
    def at(mark):
        return f"line {mark.line + 1}, column {mark.column + 1}"

    mark = exc.problem_mark or exc.context_mark
    text = f" at {at(mark)}: " if mark else ": "
    text += exc.problem or exc.context or "syntax error"
    if exc.problem and exc.context:
        text += f" ({exc.context}"
        if exc.context_mark is not None and exc.context_mark is not mark:
            text += f" at {at(exc.context_mark)}"
        text += ")"
    return text


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
        return {f.name: _plain(getattr(value, f.name)) for f in _init_fields(type(value))}
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
