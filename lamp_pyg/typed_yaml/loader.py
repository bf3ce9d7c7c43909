"""YAML text as configuration files are read: ``1e-4`` is a float, a repeated key an error."""
from __future__ import annotations

import re
from typing import Any

import yaml


# Scientific notation that YAML 1.1 (and hence PyYAML) leaves as a string: no dot in
# the mantissa ("1e-4") or no sign in the exponent ("1.5e3"). YAML 1.2 reads both as floats.
SCI_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")


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


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", SCI_FLOAT, list("-+0123456789."))


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


def describe_yaml_error(exc: yaml.MarkedYAMLError) -> str:
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
