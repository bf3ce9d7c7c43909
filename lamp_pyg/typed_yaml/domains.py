"""Field domains declared once with :func:`setting` and checked by :func:`check_domains`."""
from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Dict, Iterable, Mapping, Optional

from lamp_pyg.typed_yaml.core import init_fields


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


def domain_problem(domain: Mapping[str, Any], value: Any) -> Optional[str]:
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
    for f in init_fields(type(obj)):
        problem = domain_problem(domain_of(f), getattr(obj, f.name))
        if problem:
            raise ValueError(f"{f.name}: {problem}")
