"""Which attributes are the labels: MULAN's XML label header, ``num_labels``, or MEKA's ``-C``."""
from __future__ import annotations

import re
import xml.parsers.expat
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from lamp_pyg.io.base import DataFormatError
from lamp_pyg.io.arff.header import ArffAttribute, Header

PathLike = Union[str, Path]

_MEKA_C = re.compile(r"(?:^|[\s:;,])-C\s+(-?\d+)")


def is01(a: ArffAttribute) -> bool:
    return a.type == "nominal" and a.values == ["0", "1"]


def stale_c(c: int, a: ArffAttribute, what: str) -> str:
    """Message for a MEKA ``-C`` option that selects a non-binary attribute as a label."""
    return (f"'-C {c}' in @relation makes the {'first' if c > 0 else 'last'} {abs(c)} attributes "
            f"the labels, but label attribute {a.name!r} (line {a.line}) {what}: expected binary "
            "labels (declared {0,1}, or numeric holding only 0 and 1). The -C option may be stale "
            "(the attributes changed after MEKA wrote it): pass the MULAN XML label header "
            "(label_names, e.g. from read_mulan_labels) or num_labels")


def _meka_c(path: Path, header: Header) -> int:
    m = _MEKA_C.search(header.relation) or _MEKA_C.search(header.relation_rest)
    if m is None:
        raise DataFormatError(
            path, header.relation_line,
            f"no label information in @relation {header.relation!r}: expected MEKA's "
            "'-C <n>' option, or pass label_names (MULAN) or num_labels")
    return int(m.group(1))


def label_attributes(path: Path, header: Header, label_names, labels_first,
                      num_labels) -> Tuple[List[int], Optional[int]]:
    """Indices of the label attributes (ascending) and the MEKA ``-C`` value if it decided."""
    attrs = header.attributes
    n_attr = len(attrs)
    c = None
    if label_names is not None:
        label_names = list(label_names)
        if len(set(label_names)) != len(label_names):
            raise ValueError("label_names contains duplicates")
        pos = {a.name: j for j, a in enumerate(attrs)}
        missing = [n for n in label_names if n not in pos]
        if missing:
            raise DataFormatError(
                path, header.data_line,
                f"{len(missing)} label(s) of the label header are not declared by any @attribute, "
                f"e.g. {missing[:3]}: expected every label name to be an attribute of the ARFF file")
        label_attr = sorted(pos[n] for n in label_names)
    else:
        first, n, where = labels_first, num_labels, header.data_line
        if n is None:
            c = _meka_c(path, header)
            first, n, where = c > 0, abs(c), header.relation_line
        if not 0 < n < n_attr:
            raise DataFormatError(path, where, f"{n} label attributes requested but the header "
                                               f"declares {n_attr} attributes: expected 0 < labels < {n_attr}")
        label_attr = list(range(n)) if first else list(range(n_attr - n, n_attr))
    for j in label_attr:
        a = attrs[j]
        if a.type == "numeric" or is01(a):
            continue
        what = "string" if a.type == "string" else "{" + ",".join(a.values) + "}"
        if c is not None:
            raise DataFormatError(path, a.line, stale_c(c, a, f"is declared {what}"))
        raise DataFormatError(path, a.line, f"label attribute {a.name!r} is declared {what}: "
                                            "expected {0,1} or numeric")
    return label_attr, c


def read_mulan_labels(path: PathLike) -> List[str]:
    """Label names from a MULAN XML label header.

    Accepts the namespaced form ``<labels xmlns="http://mulan.sourceforge.net/labels">``
    and hierarchies (``<label>`` elements nested in ``<label>``): every ``label`` element
    counts, in document order (a parent before its children).

    Args:
        path: The ``<name>.xml`` file.

    Returns:
        The label names, in document order.

    Raises:
        DataFormatError: Malformed XML, root element not ``labels``, a ``label`` element
            without ``name``, a duplicated name, or no labels at all.
    """
    path = Path(path)
    names: List[str] = []
    seen: Dict[str, int] = {}
    state = {"root": None}
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def start(tag, attrib):
        local = tag.rsplit(" ", 1)[-1]
        line = parser.CurrentLineNumber
        if state["root"] is None:
            state["root"] = local
            if local != "labels":
                raise DataFormatError(path, line, f"root element <{local}>: expected <labels>")
            return
        if local == "label":
            name = attrib.get("name")
            if name is None:
                raise DataFormatError(path, line, "<label> without a name attribute: expected "
                                                  '<label name="...">')
            if name in seen:
                raise DataFormatError(path, line, f"label {name!r} already declared on line "
                                                  f"{seen[name]}: expected unique label names")
            seen[name] = line
            names.append(name)

    parser.StartElementHandler = start
    data = path.read_bytes()
    if not data.strip():
        raise DataFormatError(path, None, "empty file: expected a MULAN <labels> XML header")
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as e:
        raise DataFormatError(path, e.lineno, f"malformed XML ({xml.parsers.expat.errors.messages[e.code]}): "
                                              "expected a MULAN <labels> header") from None
    if not names:
        raise DataFormatError(path, None, "no <label> elements: expected at least one label")
    return names
