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

Modules: :mod:`~lamp_pyg.typed_yaml.core` (:class:`ConfigError`, key paths, the error context),
:mod:`~lamp_pyg.typed_yaml.loader` (:func:`yaml_load`), :mod:`~lamp_pyg.typed_yaml.domains`
(:func:`setting`, :func:`check_domains`), :mod:`~lamp_pyg.typed_yaml.build` (:func:`from_dict`),
:mod:`~lamp_pyg.typed_yaml.overrides` and :mod:`~lamp_pyg.typed_yaml.files` (:func:`load_yaml`,
:func:`to_dict`, :func:`dump_yaml`).
"""
from lamp_pyg.typed_yaml.build import from_dict
from lamp_pyg.typed_yaml.core import ConfigError
from lamp_pyg.typed_yaml.domains import check_domains, domain_of, setting
from lamp_pyg.typed_yaml.files import dump_yaml, load_yaml, to_dict
from lamp_pyg.typed_yaml.loader import yaml_load
from lamp_pyg.typed_yaml.overrides import apply_overrides, parse_override

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
