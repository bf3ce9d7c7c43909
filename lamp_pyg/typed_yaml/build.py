"""Plain mappings into (nested) dataclasses, every key and value checked: :func:`from_dict`."""
from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Dict, List, Literal, Mapping, Tuple, Union

from lamp_pyg.typed_yaml.core import (ConfigError, Context, KeyPath, T, fmt_path, field_types, has_default,
                                      init_fields, is_dataclass_type, show, type_name)
from lamp_pyg.typed_yaml.domains import domain_of, domain_problem
from lamp_pyg.typed_yaml.loader import SCI_FLOAT


def _section_name(path: KeyPath) -> str:
    return f"section {fmt_path(path)!r}" if path else "top level"


def _build(cls: type, mapping: Any, ctx: Context, path: KeyPath) -> Any:
    if not isinstance(mapping, Mapping):
        where = f"key {fmt_path(path)!r}" if path else "the top level"
        raise ctx.error(path, f"{where} must be a mapping ({cls.__name__} section), "
                              f"got {show(mapping)}")
    fields = init_fields(cls)
    names = [f.name for f in fields]
    hints = field_types(cls)

    for key in mapping:
        if not isinstance(key, str):
            raise ctx.error(path + (str(key),),
                            f"invalid key {key!r} in {_section_name(path)}: keys must be strings "
                            "(quote it in YAML)")
        if key not in names:
            msg = f"unknown key {fmt_path(path + (key,))!r}"
            close = difflib.get_close_matches(key, names, n=1)
            msg += f"; did you mean {close[0]!r}?" if close else "."
            msg += " Valid keys: " + (", ".join(names) if names else "(none)")
            raise ctx.error(path + (key,), msg)

    missing = [f.name for f in fields if f.name not in mapping and not has_default(f)]
    if missing:
        keys = ", ".join(repr(fmt_path(path + (m,))) for m in missing)
        raise ctx.error(path + ((missing[0],) if len(missing) == 1 else ()),
                        f"missing required key{'s' if len(missing) > 1 else ''} {keys}")

    # a section left out is built from {} like an empty one, so its checks run too
    kwargs = {f.name: _convert(hints[f.name], mapping[f.name] if f.name in mapping else {},
                               ctx, path + (f.name,))
              for f in fields if f.name in mapping or is_dataclass_type(hints[f.name])}
    for f in fields:
        problem = f.name in kwargs and domain_problem(domain_of(f), kwargs[f.name])
        if problem:
            raise ctx.error(path + (f.name,), f"key {fmt_path(path + (f.name,))!r}: {problem}")
    try:
        obj = cls(**kwargs)
        validate = getattr(obj, "validate", None)
        if callable(validate):
            validate()
    except ConfigError:
        raise
    except ValueError as exc:
        what = f"section {fmt_path(path)!r}" if path else "configuration"
        raise ctx.error(path, f"invalid {what}: {exc}") from exc
    return obj


def _type_error(ctx: Context, path: KeyPath, tp: Any, value: Any, hint: str = "") -> ConfigError:
    return ctx.error(path, f"key {fmt_path(path)!r}: expected {type_name(tp)}, "
                           f"got {show(value)}{hint}")


def _convert(tp: Any, value: Any, ctx: Context, path: KeyPath, exact: bool = False) -> Any:
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
    if is_dataclass_type(tp):
        if value is None:  # an empty YAML section ("model:") means all defaults
            value = {}
        return _build(tp, value, ctx, path)
    for kinds, convert in _CONTAINERS:
        if origin in kinds or tp in kinds:
            return convert(tp, value, ctx, path, exact)
    if origin is not None:
        raise TypeError(f"unsupported config field type {tp!r} at {fmt_path(path)!r}")
    return _convert_scalar(tp, value, ctx, path, exact)


def _convert_union(tp: Any, value: Any, ctx: Context, path: KeyPath, exact: bool) -> Any:
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
                if deeper is None and exc.key != (fmt_path(path) or None):
                    deeper = exc
    raise deeper if deeper is not None else _type_error(ctx, path, tp, value)


def _convert_optional(tp: Any, option: Any, value: Any, ctx: Context, path: KeyPath,
                      exact: bool) -> Any:
    """A non-None value for ``Optional[X]`` (``tp``): X's own errors, saying "X or None"."""
    if value is None:
        raise _type_error(ctx, path, tp, value)
    try:
        return _convert(option, value, ctx, path, exact)
    except ConfigError as exc:
        prefix = f"key {fmt_path(path)!r}: expected {type_name(option)}, "
        if not exc.message.startswith(prefix):
            raise  # about an item inside X: already precise
        message = (f"key {fmt_path(path)!r}: expected {type_name(tp)}, "
                   + exc.message[len(prefix):])
        raise ConfigError(exc.where, message, exc.key) from None


def _convert_literal(tp: Any, value: Any, ctx: Context, path: KeyPath) -> Any:
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


def _convert_list(tp: Any, value: Any, ctx: Context, path: KeyPath, exact: bool) -> List[Any]:
    """A value for ``list[X]`` (or bare ``list``): a YAML sequence, each item an X."""
    if not isinstance(value, (list, tuple)):
        raise _type_error(ctx, path, tp, value)
    args = typing.get_args(tp)
    item = args[0] if args else Any
    return [_convert(item, v, ctx, path + (i,), exact) for i, v in enumerate(value)]


def _convert_tuple(tp: Any, value: Any, ctx: Context, path: KeyPath, exact: bool) -> Tuple[Any, ...]:
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


def _convert_dict(tp: Any, value: Any, ctx: Context, path: KeyPath, exact: bool) -> Dict[Any, Any]:
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
            raise ctx.error(sub, f"key {fmt_path(sub)!r}: the key must be "
                                 f"{type_name(key_tp)}, got {show(k)}") from None
        out[ck] = _convert(val_tp, v, ctx, sub, exact)
    return out


#: Container annotations (as origin or bare type) -> converter, tried in order by
#: :func:`_convert`.
_CONTAINERS = (
    ((list, List), _convert_list),
    ((tuple, Tuple), _convert_tuple),
    ((dict, Dict), _convert_dict),
)


def _convert_scalar(tp: Any, value: Any, ctx: Context, path: KeyPath, exact: bool) -> Any:
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
            if isinstance(value, str) and SCI_FLOAT.match(value.strip()):
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
    raise TypeError(f"unsupported config field type {tp!r} at {fmt_path(path)!r}")


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
    return from_mapping(cls, mapping, Context(where))


def from_mapping(cls: type[T], mapping: Any, ctx: Context) -> T:
    if not is_dataclass_type(cls):
        raise TypeError(f"from_dict needs a dataclass type, got {cls!r}")
    return _build(cls, mapping, ctx, ())
