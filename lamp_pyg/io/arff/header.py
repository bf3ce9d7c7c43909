"""The ARFF header: ``@relation``, ``@attribute`` declarations and ``@data``."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from lamp_pyg.io.base import DataFormatError
from lamp_pyg.io.arff.tokens import split_values, take_token

_NUMERIC_TYPES = ("numeric", "real", "integer")
_UNSUPPORTED_TYPES = ("date", "relational")


@dataclass
class ArffAttribute:
    """One ``@attribute`` declaration.

    Attributes:
        name: Attribute name, unquoted and unescaped (unquoted names are kept verbatim,
            backslashes included, so that they match MULAN's XML label names).
        type: ``'numeric'``, ``'nominal'`` or ``'string'`` (dropped when reading rows).
        values: Declared nominal values (``None`` for numeric attributes).
        line: 1-based line of the declaration.
    """

    name: str
    type: str
    values: Optional[List[str]]
    line: int


@dataclass
class Header:
    relation: str
    relation_line: int
    attributes: List[ArffAttribute]
    data_line: int  # 1-based line of @data
    relation_rest: str = ""  # the whole text after @relation (MEKA options may follow an unquoted name)


def _parse_attribute(rest: str, path: Path, lineno: int) -> ArffAttribute:
    """The text after ``@attribute``: a name and a type."""
    name, pos = take_token(rest, 0, path, lineno)
    if name is None:
        raise DataFormatError(path, lineno, "@attribute without a name")
    typ = rest[pos:].strip()
    if typ.startswith("{"):
        close = typ.rfind("}")
        if close < 0:
            raise DataFormatError(path, lineno, f"nominal type of {name!r} is not closed: expected '}}'")
        values = split_values(typ[1:close], path, lineno)
        if values == [""]:
            raise DataFormatError(path, lineno, f"nominal type of {name!r} has no values")
        if len(set(values)) != len(values):
            dup = next(v for v in values if values.count(v) > 1)
            raise DataFormatError(path, lineno, f"nominal type of {name!r} lists {dup!r} twice: "
                                                "expected distinct values")
        return ArffAttribute(name, "nominal", values, lineno)
    t = typ.split()[0].lower() if typ.split() else ""
    if t in _NUMERIC_TYPES:
        return ArffAttribute(name, "numeric", None, lineno)
    if t == "string":
        return ArffAttribute(name, "string", None, lineno)
    if t in _UNSUPPORTED_TYPES:
        raise DataFormatError(path, lineno, f"attribute {name!r} has type {t!r}, which is not supported: "
                                            "expected numeric, real, integer, {v1,v2,...} (nominal) "
                                            "or string (dropped)")
    raise DataFormatError(path, lineno, f"attribute {name!r}: expected a type numeric, real, integer, "
                                        f"{{v1,v2,...}} or string, found {typ[:40]!r}")


def parse_header(path: Path, lines: List[str]) -> Header:
    relation: Optional[str] = None
    relation_line = 0
    relation_rest = ""
    attrs: List[ArffAttribute] = []
    seen: Dict[str, int] = {}
    for i, raw in enumerate(lines):
        lineno = i + 1
        s = raw.strip()
        if not s or s[0] == "%":
            continue
        if s[0] != "@":
            raise DataFormatError(path, lineno, f"expected an @relation, @attribute or @data "
                                                f"declaration, found {s[:40]!r}")
        m = re.match(r"@(\w+)", s)
        kw = m.group(1).lower() if m else ""
        rest = s[m.end():] if m else ""
        if kw == "relation":
            if relation is not None:
                raise DataFormatError(path, lineno, "second @relation: expected one per file")
            name, _ = take_token(rest, 0, path, lineno)
            if name is None:
                raise DataFormatError(path, lineno, "@relation without a name")
            relation, relation_line, relation_rest = name, lineno, rest.strip()
        elif kw == "attribute":
            if relation is None:
                raise DataFormatError(path, lineno, "@attribute before @relation: expected the "
                                                    "header to start with @relation")
            attr = _parse_attribute(rest, path, lineno)
            if attr.name in seen:
                raise DataFormatError(path, lineno, f"attribute {attr.name!r} already declared on line "
                                                    f"{seen[attr.name]}: expected unique names")
            seen[attr.name] = lineno
            attrs.append(attr)
        elif kw == "data":
            if relation is None:
                raise DataFormatError(path, lineno, "@data before @relation: expected an ARFF header")
            if not attrs:
                raise DataFormatError(path, lineno, "@data without any @attribute")
            return Header(relation, relation_line, attrs, lineno, relation_rest)
        else:
            raise DataFormatError(path, lineno, f"unknown declaration {s.split()[0]!r}: expected "
                                                "@relation, @attribute or @data")
    if relation is None:
        raise DataFormatError(path, None, "empty file: expected an ARFF header starting with @relation")
    last = len(lines) - (1 if lines and lines[-1] == "" else 0)
    raise DataFormatError(path, last, "file ends before @data: expected a complete header "
                                      "followed by @data and rows (truncated file?)")
