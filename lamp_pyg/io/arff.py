"""MULAN / MEKA ARFF reader (files -> :class:`~lamp_pyg.io.base.RawDataset`).

ARFF is Weka's attribute-relation file format. Multi-label benchmarks ship it in two
flavours that differ only in where the label attributes are:

- **MULAN** (bibtex, delicious, yeast, emotions, scene, corel5k, birds, ...): labels are
  the attributes named in a separate XML label header ``<name>.xml``
  (``<labels xmlns="http://mulan.sourceforge.net/labels"><label name="..."/>...``,
  possibly nested for hierarchies). In practice they are the last attributes.
- **MEKA**: the ``@relation`` name carries a ``-C n`` option; ``n > 0`` means the first
  ``n`` attributes are the labels, ``n < 0`` the last ``|n|``.

Label selection, in order of precedence: the XML label names (``label_names``), then
``num_labels``, then ``-C``; ``-C`` is ignored when either of the others is given. When
``-C`` alone decides, every attribute it selects must be binary, so that a stale ``-C``
(left in the name after the file was edited) is an error naming the ``-C`` value and
the first offending attribute, never word features read as labels.

Supported syntax: ``@relation``, ``@attribute`` with ``numeric`` / ``real`` /
``integer``, nominal ``{v1, v2, ...}`` or ``string`` type, ``@data``, ``%`` comment
lines, quoted (``'...'`` / ``"..."`` with backslash escapes) names and values, dense
comma-separated rows and sparse ``{index value, ...}`` rows (0-based attribute indices;
attributes left out are 0, i.e. Weka's internal value 0: the *first declared value* of a
nominal attribute). Not supported (raise :class:`DataFormatError`): ``date`` and
``relational`` attributes and instance weights.

Features, one or more columns per input attribute, in attribute order:

- ``numeric`` / ``real`` / ``integer``: one column, the value as written.
- nominal ``{0,1}`` (exactly these two values, in this order): one binary column, the
  value as written. This is what MULAN's bag-of-words benchmarks use.
- any other nominal with **two** values (``{YES,NO}``, ``{true,false}``, ``{1,0}``): one
  0/1 column named ``attr=VALUE`` after the value that reads as 1: a positive word
  (``1``, ``yes``, ``y``, ``true``, ``t``, any case) if exactly one of the two is, else the
  second declared value (:mod:`lamp_pyg.io.nominal`). In sparse rows an omitted attribute
  has its first declared value, so an omitted ``{YES,NO}`` or ``{1,0}`` reads as 1.
- nominal with more values (birds' ``location {2,10,1,7,...}``): **one-hot**, one column
  per declared value, named ``attr=value``; a row sets the column of its value to 1.
- an **identifier-like** nominal attribute (at least 20 distinct values, covering 90% of
  the rows of all files read together: a protein or row id): **dropped** and counted in
  ``skipped`` (``"identifier-like attribute 'name' (...)": rows``), unless
  ``id_attributes='keep'``.
- ``string`` (a row id, a comment): **dropped**, and counted in ``skipped`` as
  ``"string attribute 'name' (dropped)": rows``.

So ``RawDataset.num_features`` (columns) can exceed ``num_attributes`` (input attributes
as declared, label and string attributes excluded; what MULAN's table calls features):
birds has 260 attributes and 271 features. Label attributes must be declared ``{0,1}``
or numeric and hold 0 or 1.

Missing values ``?``: by default a :class:`DataFormatError` naming the file, line and
attribute; with ``missing='zero'`` a missing feature value reads as 0 (a missing nominal
value as no one-hot column) and the replaced values are counted in ``skipped`` as
``"missing values '?' (read as 0)"``. A missing label value is always an error.

Values must be finite: ``nan``, ``inf``, ``-Infinity`` ... and numbers beyond the float32
range (which would become infinite) raise :class:`DataFormatError` with file and line,
in dense and sparse rows alike.

Only numpy is used here (no torch). Parsing is one line loop (:func:`_read_rows`,
collecting values flat) followed by vectorised checks and assembly (:func:`_check_values`,
:func:`_dense_block`, :func:`_sparse_block`): delicious (16k sparse rows, 1483
attributes) parses in about 0.3 s.
"""
from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from lamp_pyg.io import nominal
from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit, read_text_lines

PathLike = Union[str, Path]

__all__ = [
    "ArffAttribute",
    "ArffData",
    "read_arff",
    "read_arff_dataset",
    "read_mulan",
    "read_mulan_labels",
]

_NUMERIC_TYPES = ("numeric", "real", "integer")
_UNSUPPORTED_TYPES = ("date", "relational")
_MISSING_MODES = ("error", "zero")
_MISSING_KEY = "missing values '?' (read as 0)"
_F32_MAX = float(np.finfo(np.float32).max)
# A sparse row body: "idx value, idx value, ..." (values unquoted; quoted ones take the slow path).
_SPARSE_BODY = re.compile(r"\s*(?:\d+\s+[^\s,{}]+\s*(?:,\s*\d+\s+[^\s,{}]+\s*)*)?")
_SPARSE_ENTRY = re.compile(r"""\s*(\d+)\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"{},]+)\s*""", re.S)
_MEKA_C = re.compile(r"(?:^|[\s:;,])-C\s+(-?\d+)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


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
class ArffData:
    """One ARFF file read into a :class:`RawSplit` plus its header information.

    Attributes:
        split: The rows. ``labels`` index into :attr:`label_names`; ``ids`` are
            ``"<file name>:<line>"``.
        feature_names: Names of the feature columns, in attribute order (``attr=value``
            for the one-hot columns of a nominal attribute); sparse feature indices and
            dense columns index into this list.
        label_names: Names of the label attributes, in attribute (column) order.
        relation: The ``@relation`` name.
        attributes: All ``@attribute`` declarations in file order.
        rows_without_labels: How many rows have no positive label. Informational only:
            these rows are *kept* in :attr:`split` (dropping them is the dataset step's
            decision), so this is a count, not a number of skipped rows.
        path: The file read.
        skipped: What was dropped or replaced, reason -> count: ``"string attribute
            'id' (dropped)"`` (rows) and, with ``missing='zero'``, ``"missing values '?'
            (read as 0)"`` (values); identifier-like attributes left out (rows).
        id_attributes: Names of the identifier-like attributes left out.
    """

    split: RawSplit
    feature_names: List[str]
    label_names: List[str]
    relation: str
    attributes: List[ArffAttribute]
    rows_without_labels: int
    path: str
    skipped: Dict[str, int] = field(default_factory=dict)
    id_attributes: List[str] = field(default_factory=list)

    @property
    def num_features(self) -> int:
        """Number of feature columns (a one-hot nominal attribute counts once per value)."""
        return len(self.feature_names)

    @property
    def num_attributes(self) -> int:
        """Number of input attributes as declared: labels, ``string`` and identifier-like
        attributes left out excluded."""
        return (sum(1 for a in self.attributes if a.type != "string") - len(self.label_names)
                - len(self.id_attributes))


# --------------------------------------------------------------------------- text & header


_read_lines = read_text_lines


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(_ESCAPES.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _take_token(s: str, pos: int, path: Path, lineno: int) -> Tuple[Optional[str], int]:
    """Next name token of a header line from ``pos``: quoted, or a run up to space / ``{`` / ``%``."""
    n = len(s)
    while pos < n and s[pos].isspace():
        pos += 1
    if pos >= n or s[pos] == "%":
        return None, n
    q = s[pos]
    if q in "'\"":
        i = pos + 1
        while i < n:
            if s[i] == "\\":
                i += 2
                continue
            if s[i] == q:
                return _unescape(s[pos + 1:i]), i + 1
            i += 1
        raise DataFormatError(path, lineno, f"unterminated quoted name starting {s[pos:pos + 30]!r}: "
                                            f"expected a closing {q}")
    i = pos
    while i < n and not s[i].isspace() and s[i] not in "{%":
        i += 1
    return s[pos:i], i


def _split_values(body: str, path: Path, lineno: int, keep_quotes: bool = False) -> List[str]:
    """Split a comma separated list (nominal declaration or data row) honouring quotes.

    Quoted items are unquoted and unescaped unless ``keep_quotes`` (then items are only
    split, verbatim).
    """
    if keep_quotes:
        parts, start, i, n = [], 0, 0, len(body)
        while i < n:
            c = body[i]
            if c in "'\"":
                j = i + 1
                while j < n and body[j] != c:
                    j += 2 if body[j] == "\\" else 1
                if j >= n:
                    raise DataFormatError(path, lineno, f"unterminated quoted value {body[i:i + 30]!r}: "
                                                        f"expected a closing {c}")
                i = j + 1
            elif c == ",":
                parts.append(body[start:i])
                start = i = i + 1
            else:
                i += 1
        parts.append(body[start:])
        return parts
    vals, cur, i, n = [], [], 0, len(body)
    quoted_tok = False
    while i < n:
        c = body[i]
        if c in "'\"":
            j = i + 1
            while j < n and body[j] != c:
                j += 2 if body[j] == "\\" else 1
            if j >= n:
                raise DataFormatError(path, lineno, f"unterminated quoted value {body[i:i + 30]!r}: "
                                                    f"expected a closing {c}")
            if not "".join(cur).strip():
                cur = []  # whitespace before the opening quote
            cur.append(_unescape(body[i + 1:j]))
            quoted_tok = True
            i = j + 1
        elif c == ",":
            vals.append("".join(cur) if quoted_tok else "".join(cur).strip())
            cur, quoted_tok = [], False
            i += 1
        elif c.isspace() and quoted_tok:
            i += 1
        else:
            cur.append(c)
            i += 1
    vals.append("".join(cur) if quoted_tok else "".join(cur).strip())
    return vals


@dataclass
class _Header:
    relation: str
    relation_line: int
    attributes: List[ArffAttribute]
    data_line: int  # 1-based line of @data
    relation_rest: str = ""  # the whole text after @relation (MEKA options may follow an unquoted name)


def _parse_attribute(rest: str, path: Path, lineno: int) -> ArffAttribute:
    """The text after ``@attribute``: a name and a type."""
    name, pos = _take_token(rest, 0, path, lineno)
    if name is None:
        raise DataFormatError(path, lineno, "@attribute without a name")
    typ = rest[pos:].strip()
    if typ.startswith("{"):
        close = typ.rfind("}")
        if close < 0:
            raise DataFormatError(path, lineno, f"nominal type of {name!r} is not closed: expected '}}'")
        values = _split_values(typ[1:close], path, lineno)
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


def _parse_header(path: Path, lines: List[str]) -> _Header:
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
            name, _ = _take_token(rest, 0, path, lineno)
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
            return _Header(relation, relation_line, attrs, lineno, relation_rest)
        else:
            raise DataFormatError(path, lineno, f"unknown declaration {s.split()[0]!r}: expected "
                                                "@relation, @attribute or @data")
    if relation is None:
        raise DataFormatError(path, None, "empty file: expected an ARFF header starting with @relation")
    last = len(lines) - (1 if lines and lines[-1] == "" else 0)
    raise DataFormatError(path, last, "file ends before @data: expected a complete header "
                                      "followed by @data and rows (truncated file?)")


# --------------------------------------------------------------------------- labels & layout


def _is01(a: ArffAttribute) -> bool:
    return a.type == "nominal" and a.values == ["0", "1"]


def _stale_c(c: int, a: ArffAttribute, what: str) -> str:
    """Message for a MEKA ``-C`` option that selects a non-binary attribute as a label."""
    return (f"'-C {c}' in @relation makes the {'first' if c > 0 else 'last'} {abs(c)} attributes "
            f"the labels, but label attribute {a.name!r} (line {a.line}) {what}: expected binary "
            "labels (declared {0,1}, or numeric holding only 0 and 1). The -C option may be stale "
            "(the attributes changed after MEKA wrote it): pass the MULAN XML label header "
            "(label_names, e.g. from read_mulan_labels) or num_labels")


def _meka_c(path: Path, header: _Header) -> int:
    m = _MEKA_C.search(header.relation) or _MEKA_C.search(header.relation_rest)
    if m is None:
        raise DataFormatError(
            path, header.relation_line,
            f"no label information in @relation {header.relation!r}: expected MEKA's "
            "'-C <n>' option, or pass label_names (MULAN) or num_labels")
    return int(m.group(1))


def _label_attributes(path: Path, header: _Header, label_names, labels_first,
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
        if a.type == "numeric" or _is01(a):
            continue
        what = "string" if a.type == "string" else "{" + ",".join(a.values) + "}"
        if c is not None:
            raise DataFormatError(path, a.line, _stale_c(c, a, f"is declared {what}"))
        raise DataFormatError(path, a.line, f"label attribute {a.name!r} is declared {what}: "
                                            "expected {0,1} or numeric")
    return label_attr, c


class _Layout:
    """Where each attribute of one file goes (internal, built once per file).

    Feature columns follow the attribute order; a nominal attribute takes the columns of
    :func:`lamp_pyg.io.nominal.kept_values` (one for two values, else one per value), a
    ``string`` attribute and an identifier-like one in ``drop`` none.
    """

    def __init__(self, path: Path, header: _Header, label_attr: List[int], meka_c: Optional[int],
                 missing: str, drop: Sequence[int] = ()):
        attrs = header.attributes
        n = len(attrs)
        self.path, self.header, self.attrs, self.n_attr = path, header, attrs, n
        self.meka_c, self.missing, self.drop = meka_c, missing, tuple(drop)
        self._args = (path, header, list(label_attr), meka_c, missing)
        self.label_attr = np.asarray(label_attr, dtype=np.int64)
        self.is_label = np.zeros(n, dtype=bool)
        self.is_label[self.label_attr] = True
        self.label_of = np.full(n, -1, dtype=np.int64)
        self.label_of[self.label_attr] = np.arange(len(label_attr))
        self.is_string = np.array([a.type == "string" for a in attrs], dtype=bool)
        dropped = self.is_string.copy()
        dropped[list(self.drop)] = True
        # nominal features other than {0,1}: value -> Weka's internal value (position)
        self.nominal_index: Dict[int, Dict[str, float]] = {
            j: {v: float(k) for k, v in enumerate(a.values)} for j, a in enumerate(attrs)
            if a.type == "nominal" and not _is01(a) and not self.is_label[j]}
        self.is_onehot = np.zeros(n, dtype=bool)
        self.is_onehot[list(self.nominal_index)] = True
        self.is_onehot &= ~dropped
        self.must01 = self.is_label | np.array([_is01(a) for a in attrs], dtype=bool)
        self.feat_attr = np.flatnonzero(~self.is_label & ~dropped)
        self.is_plain = ~self.is_label & ~dropped & ~self.is_onehot
        self.col_of = np.full(n, -1, dtype=np.int64)
        names: List[str] = []
        for j in self.feat_attr.tolist():
            self.col_of[j] = len(names)
            a = attrs[j]
            names += nominal.column_names(a.name, a.values) if self.is_onehot[j] else [a.name]
        self.feature_names = names
        self.onehot_attr = np.flatnonzero(self.is_onehot)
        # one-hot attribute (slot) x Weka code -> feature column, -1: no column (binary's 0)
        width = max((len(attrs[j].values) for j in self.onehot_attr.tolist()), default=0)
        self.code_col = np.full((self.onehot_attr.size, width), -1, dtype=np.int64)
        for s, j in enumerate(self.onehot_attr.tolist()):
            for k, off in enumerate(nominal.kept_values(attrs[j].values)):
                if off is not None:
                    self.code_col[s, k] = self.col_of[j] + off
        # columns that need more than float(token): nominal lookup or string (dropped)
        self.special = {j: self.nominal_index.get(j) for j in np.flatnonzero(
            self.is_onehot | self.is_string).tolist()}
        self.fast = not self.special
        self.feature_binary = bool(len(self.feat_attr)) and all(_is01(attrs[j]) for j in self.feat_attr)
        self._check_feature_names()

    def _check_feature_names(self):
        if len(set(self.feature_names)) == len(self.feature_names):
            return
        seen: Dict[str, str] = {}  # feature name -> attribute name
        for j in self.feat_attr.tolist():
            a = self.attrs[j]
            for f in (nominal.column_names(a.name, a.values) if self.is_onehot[j] else [a.name]):
                if f in seen:
                    raise DataFormatError(
                        self.path, a.line, f"feature {f!r} of attribute {a.name!r} has the name of "
                        f"a feature of attribute {seen[f]!r} (one-hot features are named "
                        "'attribute=value'): expected distinct feature names")
                seen[f] = a.name

    def dropping(self, drop: Sequence[int]) -> "_Layout":
        """The same layout with the attributes ``drop`` (identifier-like) left out."""
        return _Layout(*self._args, drop=drop) if drop else self

    @property
    def label_names(self) -> List[str]:
        return [self.attrs[j].name for j in self.label_attr.tolist()]

    @property
    def num_attributes(self) -> int:
        return len(self.feat_attr)

    def fail(self, lineno: Optional[int], msg: str):
        raise DataFormatError(self.path, lineno, msg)


# --------------------------------------------------------------------------- rows


class _Rows:
    """One pass over the rows after ``@data``: values collected flat (internal).

    Sparse rows go to ``sp_idx`` / ``sp_val`` (``sp_count`` entries per row), dense rows
    to ``dn_val`` (``n_attr`` per row). Values are floats: the number for numeric and
    ``{0,1}`` attributes, Weka's internal value (position) for other nominal attributes
    (``-1`` for a missing one read with ``missing='zero'``), ``0`` for string attributes.
    Checks that can run vectorised (range, finiteness, 0/1) are left to :func:`_check_values`.
    """

    def __init__(self, lay: _Layout):
        self.lay = lay
        self.row_line: List[int] = []
        self.row_sparse: List[bool] = []
        self.sp_idx: List[int] = []
        self.sp_val: List[float] = []
        self.sp_count: List[int] = []
        self.dn_val: List[float] = []
        self.n_missing = 0

    def codes(self, attrs: Sequence[int]) -> np.ndarray:
        """``[rows, len(attrs)]``: the values of attributes ``attrs`` in every row (a sparse
        row's omitted attribute: 0)."""
        attrs = np.asarray(attrs, dtype=np.int64)
        out = np.zeros((len(self.row_line), attrs.size))
        is_sp = np.array(self.row_sparse, dtype=bool)
        if (~is_sp).any():
            dense = np.asarray(self.dn_val).reshape(-1, self.lay.n_attr)
            out[np.flatnonzero(~is_sp)] = dense[:, attrs]
        if is_sp.any():
            idx, val = np.asarray(self.sp_idx, dtype=np.int64), np.asarray(self.sp_val)
            rowid = np.flatnonzero(is_sp)[np.repeat(np.arange(len(self.sp_count)), self.sp_count)]
            slot = np.full(self.lay.n_attr, -1, dtype=np.int64)
            slot[attrs] = np.arange(attrs.size)
            sel = slot[idx] >= 0 if idx.size else np.zeros(0, dtype=bool)
            out[rowid[sel], slot[idx[sel]]] = val[sel]
        return out

    def missing_value(self, j: int, lineno: int) -> float:
        lay = self.lay
        a = lay.attrs[j]
        if lay.is_label[j]:
            lay.fail(lineno, f"missing value '?' for label attribute {a.name!r}: expected 0 or 1 "
                             "(missing='zero' applies to feature attributes only)")
        if lay.missing == "error":
            lay.fail(lineno, f"missing value '?' for attribute {a.name!r}: expected a value (pass "
                             "missing='zero' to read missing values as 0, counted in skipped)")
        self.n_missing += 1
        return -1.0 if j in lay.nominal_index else 0.0

    def convert(self, j: int, tok: str, lineno: int) -> float:
        """Slow path: one value of attribute j, with a precise message on failure."""
        lay = self.lay
        if lay.is_string[j]:
            return 0.0
        if tok == "?":
            return self.missing_value(j, lineno)
        index = lay.nominal_index.get(j)
        if index is not None:
            k = index.get(tok)
            if k is None:
                a = lay.attrs[j]
                lay.fail(lineno, f"value {tok!r} of nominal attribute {a.name!r}: expected one of "
                                 f"{{{','.join(a.values)}}}")
            return k
        try:
            return float(tok)
        except ValueError:
            a = lay.attrs[j]
            if a.type == "nominal":
                lay.fail(lineno, f"value {tok!r} of nominal attribute {a.name!r}: expected one of "
                                 f"{{{','.join(a.values)}}}")
            lay.fail(lineno, f"value {tok!r} of attribute {a.name!r} is not numeric: expected a number")

    def entries(self, ii: List[int], toks: List[str], lineno: int) -> List[float]:
        """Values of sparse entries (indices ``ii``) one by one, after a range check."""
        n_attr = self.lay.n_attr
        for j in ii:
            if j >= n_attr:
                self.lay.fail(lineno, f"attribute index {j} out of range: expected 0..{n_attr - 1}")
        return [self.convert(j, t, lineno) for j, t in zip(ii, toks)]

    def slow_sparse(self, body: str, lineno: int) -> Tuple[List[int], List[float]]:
        """Sparse row body with quotes, or one the fast regex rejected."""
        ii: List[int] = []
        toks: List[str] = []
        if not body.strip():
            return ii, []
        for part in _split_values(body, self.lay.path, lineno, keep_quotes=True):
            m = _SPARSE_ENTRY.fullmatch(part)
            if m is None:
                self.lay.fail(lineno, f"sparse entry {part.strip()[:30]!r}: expected '<attribute "
                                      "index> <value>' entries separated by commas")
            t = m.group(2)
            ii.append(int(m.group(1)))
            toks.append(_unescape(t[1:-1]) if t[0] in "'\"" else t)
        return ii, self.entries(ii, toks, lineno)

    def sparse_row(self, s: str, lineno: int, has_quote: bool):
        if not s.endswith("}"):
            self.lay.fail(lineno, "sparse row is not closed: expected '{index value, ...}' ending with "
                                  "'}' (truncated line, or an instance weight, which is not supported)")
        body = s[1:-1]
        if not has_quote and _SPARSE_BODY.fullmatch(body):
            toks = body.replace(",", " ").split()
            ii = list(map(int, toks[0::2]))
            vv = None
            if self.lay.fast or self.lay.special.keys().isdisjoint(ii):
                try:
                    vv = list(map(float, toks[1::2]))
                except ValueError:
                    pass
            if vv is None:
                vv = self.entries(ii, toks[1::2], lineno)
        else:
            ii, vv = self.slow_sparse(body, lineno)
        self.sp_idx.extend(ii)
        self.sp_val.extend(vv)
        self.sp_count.append(len(ii))
        self.row_sparse.append(True)

    def dense_row(self, s: str, lineno: int, has_quote: bool):
        lay = self.lay
        toks = _split_values(s, lay.path, lineno) if has_quote else s.split(",")
        if len(toks) != lay.n_attr:
            lay.fail(lineno, f"row has {len(toks)} comma-separated values: expected {lay.n_attr} "
                             "(one per @attribute; truncated or malformed row?)")
        try:
            if not lay.fast:  # nominal / string columns: lookup, then float() on the rest
                for j, index in lay.special.items():
                    toks[j] = 0.0 if index is None else index[toks[j].strip()]
            vv = list(map(float, toks))
        except (ValueError, KeyError):
            toks = _split_values(s, lay.path, lineno) if has_quote else s.split(",")
            vv = [self.convert(j, t.strip(), lineno) for j, t in enumerate(toks)]
        self.dn_val.extend(vv)
        self.row_sparse.append(False)


def _read_rows(lay: _Layout, lines: List[str]) -> _Rows:
    """The Python pass over the data lines; everything else is vectorised."""
    rows = _Rows(lay)
    row_line = rows.row_line
    sparse_row, dense_row = rows.sparse_row, rows.dense_row
    for i in range(lay.header.data_line, len(lines)):
        s = lines[i].strip()
        if not s or s[0] == "%":
            continue
        lineno = i + 1
        has_quote = "'" in s or '"' in s
        if "%" in s and not has_quote:
            s = s[:s.index("%")].rstrip()
        if s[0] == "{":
            sparse_row(s, lineno, has_quote)
        else:
            dense_row(s, lineno, has_quote)
        row_line.append(lineno)
    if not row_line:
        lay.fail(lay.header.data_line, "no data rows after @data: expected at least one row "
                                       "(truncated file?)")
    return rows


# --------------------------------------------------------------------------- checks & assembly


def _check_values(lay: _Layout, values: np.ndarray, attr_at, line_of, m01: np.ndarray) -> None:
    """Finite (float32) values everywhere; 0/1 for labels and ``{0,1}`` attributes.

    ``values[k]`` (``k`` in file order) belongs to attribute ``attr_at(k)`` (``k`` an int
    or an array) on line ``line_of(k)``; ``m01`` are the positions of 0/1-valued attributes.
    """
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(np.argmin(finite))
    elif values.size and (values.max() > _F32_MAX or values.min() < -_F32_MAX):
        bad = int(np.flatnonzero(np.abs(values) > _F32_MAX)[0])
    else:
        bad = None
    if bad is not None:
        lay.fail(line_of(bad), f"value {values[bad]:g} of attribute {lay.attrs[int(attr_at(bad))].name!r} "
                               "is not a finite number: expected a finite value within the float32 "
                               "range (NaN and infinity are not accepted)")
    if not m01.size:
        return
    v = values[m01]
    bad = m01[(v != 0.0) & (v != 1.0)]
    if not bad.size:
        return
    if lay.meka_c is not None:
        bad_attr = attr_at(bad)
        lab = lay.is_label[bad_attr]
        if lab.any():
            j = int(bad_attr[lab].min())  # the first offending label attribute, in column order
            k = int(bad[bad_attr == j][0])
            a = lay.attrs[j]
            lay.fail(line_of(k), _stale_c(lay.meka_c, a, f"holds the value {values[k]:g} on this line"))
    k = int(bad[0])
    lay.fail(line_of(k), f"value {values[k]:g} of attribute {lay.attrs[int(attr_at(k))].name!r}: "
                         "expected 0 or 1")


def _dense_block(lay: _Layout, rows: _Rows, dense_rows: np.ndarray):
    """Labels and ``[rows, F]`` float64 features of the dense rows."""
    n_attr = lay.n_attr
    D = np.array(rows.dn_val, dtype=np.float64).reshape(dense_rows.size, n_attr)
    row_line = rows.row_line
    m01_attr = np.flatnonzero(lay.must01)
    m01 = (np.arange(dense_rows.size)[:, None] * n_attr + m01_attr).ravel()
    _check_values(lay, D.ravel(), lambda k: k % n_attr, lambda k: row_line[dense_rows[k // n_attr]], m01)
    L = D[:, lay.label_attr] != 0.0
    if lay.fast:
        X = D[:, lay.feat_attr]
    else:
        X = np.zeros((dense_rows.size, len(lay.feature_names)), dtype=np.float64)
        plain = np.flatnonzero(lay.is_plain)
        X[:, lay.col_of[plain]] = D[:, plain]
        for s, j in enumerate(lay.onehot_attr.tolist()):
            code = D[:, j].astype(np.int64)
            col = np.where(code >= 0, lay.code_col[s, np.maximum(code, 0)], -1)
            ok = np.flatnonzero(col >= 0)  # -1: missing (read as no value) or binary's 0
            X[ok, col[ok]] = 1.0
    return [np.flatnonzero(l).tolist() for l in L], list(X)


def _onehot_entries(lay: _Layout, idx, val, rowid, n_rows):
    """(row, column) of the one-hot features of sparse rows: an omitted nominal attribute
    has Weka's internal value 0, i.e. its first declared value."""
    oh = lay.onehot_attr
    slot = np.full(lay.n_attr, -1, dtype=np.int64)
    slot[oh] = np.arange(oh.size)
    code = np.zeros((n_rows, oh.size), dtype=np.int64)
    given = lay.is_onehot[idx]
    code[rowid[given], slot[idx[given]]] = val[given].astype(np.int64)
    r, s = np.nonzero(code >= 0)
    col = lay.code_col[s, code[r, s]]
    keep = col >= 0  # the value of a binary attribute that reads as 0 has no column
    return r[keep], col[keep]


def _sparse_block(lay: _Layout, rows: _Rows, sparse_rows: np.ndarray):
    """Labels and ``(indices, values)`` features of the sparse rows."""
    idx = np.array(rows.sp_idx, dtype=np.int64)
    val = np.array(rows.sp_val, dtype=np.float64)
    cnt = np.array(rows.sp_count, dtype=np.int64)
    rowid = np.repeat(np.arange(cnt.size), cnt)
    row_line = rows.row_line

    def line_of(k):
        return row_line[sparse_rows[rowid[k]]]

    if idx.size:
        over = np.flatnonzero(idx >= lay.n_attr)
        if over.size:
            lay.fail(line_of(over[0]), f"attribute index {int(idx[over[0]])} out of range: "
                                       f"expected 0..{lay.n_attr - 1}")
        same_row = rowid[1:] == rowid[:-1]
        if ((np.diff(idx) <= 0) & same_row).any():
            order = np.lexsort((idx, rowid))  # rowid is already sorted, so it stays aligned
            idx, val = idx[order], val[order]
            dup = np.flatnonzero((np.diff(idx) == 0) & same_row)
            if dup.size:
                lay.fail(line_of(dup[0]), f"attribute index {int(idx[dup[0]])} appears twice: "
                                          "expected each index at most once per row")
        _check_values(lay, val, lambda k: idx[k], line_of, np.flatnonzero(lay.must01[idx]))
    nz = val != 0.0
    lab_sel = lay.is_label[idx] & nz
    feat_sel = lay.is_plain[idx] & nz
    f_row, f_col, f_val = rowid[feat_sel], lay.col_of[idx[feat_sel]], val[feat_sel]
    if lay.onehot_attr.size:
        o_row, o_col = _onehot_entries(lay, idx, val, rowid, cnt.size)
        f_row = np.concatenate([f_row, o_row])
        f_col = np.concatenate([f_col, o_col])
        f_val = np.concatenate([f_val, np.ones(o_row.size)])
        order = np.lexsort((f_col, f_row))
        f_row, f_col, f_val = f_row[order], f_col[order], f_val[order]
    cuts_l = np.cumsum(np.bincount(rowid[lab_sel], minlength=cnt.size))[:-1]
    cuts_f = np.cumsum(np.bincount(f_row, minlength=cnt.size))[:-1]
    labels = [p.tolist() for p in np.split(lay.label_of[idx[lab_sel]], cuts_l)]
    feats = list(zip(np.split(f_col, cuts_f), np.split(f_val.astype(np.float32), cuts_f)))
    return labels, feats


def _id_attributes(files: Sequence[Tuple[_Layout, _Rows]]) -> Dict[int, str]:
    """The identifier-like attributes over the rows of all ``files`` (one header):
    attribute index -> its ``skipped`` key (:func:`lamp_pyg.io.nominal.id_like`)."""
    lay = files[0][0]
    cand = [j for j in lay.onehot_attr.tolist() if len(lay.attrs[j].values) > 2]
    if not cand:
        return {}
    codes = np.concatenate([rows.codes(cand) for _, rows in files])
    out = {}
    for k, j in enumerate(cand):
        c = codes[:, k]
        if nominal.id_like(lay.attrs[j].values, c):
            out[j] = nominal.id_skip_key(lay.attrs[j].name, np.unique(c[c >= 0]).size, c.size)
    return out


class _Parsed:
    """Rows of one file before the choice of output kind (internal). ``ids``: the
    identifier-like attributes left out (index -> ``skipped`` key)."""

    def __init__(self, lay: _Layout, rows: _Rows, ids: Optional[Dict[int, str]] = None):
        ids = ids or {}
        lay = lay.dropping(sorted(ids))
        self.path = str(lay.path)
        self.header = lay.header
        self.layout = lay
        n_rows = len(rows.row_line)
        self.labels: List[Optional[List[int]]] = [None] * n_rows
        self.feats: list = [None] * n_rows  # per row: np.ndarray [F] (dense row) or (idx, val)
        is_sp = np.array(rows.row_sparse, dtype=bool)
        for block, sel in ((_dense_block, np.flatnonzero(~is_sp)), (_sparse_block, np.flatnonzero(is_sp))):
            if sel.size:
                labels, feats = block(lay, rows, sel)
                for k, r in enumerate(sel.tolist()):
                    self.labels[r] = labels[k]
                    self.feats[r] = feats[k]
        fname = lay.path.name
        self.ids = [f"{fname}:{ln}" for ln in rows.row_line]
        self.label_names = lay.label_names
        self.feature_names = lay.feature_names
        self.num_attributes = lay.num_attributes
        self.has_sparse_rows = bool(is_sp.any())
        self.skipped: Dict[str, int] = {}
        self.id_attributes = [lay.attrs[j].name for j in sorted(ids)]
        for j in np.flatnonzero(lay.is_string).tolist():
            self.skipped[f"string attribute {lay.attrs[j].name!r} (dropped)"] = n_rows
        for key in ids.values():
            self.skipped[key] = n_rows
        if rows.n_missing:
            self.skipped[_MISSING_KEY] = rows.n_missing

    @property
    def auto_kind(self) -> str:
        return "sparse" if (self.has_sparse_rows or self.layout.feature_binary) else "dense"

    def to_split(self, kind: str) -> RawSplit:
        F = len(self.feature_names)
        if kind == "dense":
            X = np.zeros((len(self.feats), F), dtype=np.float32)
            for i, f in enumerate(self.feats):
                if isinstance(f, tuple):
                    X[i, f[0]] = f[1]
                else:
                    X[i] = f
            inputs = X
        elif kind == "sparse":
            inputs = []
            for f in self.feats:
                if isinstance(f, tuple):
                    inputs.append(f)
                else:
                    nz = np.flatnonzero(f)
                    inputs.append((nz.astype(np.int64), f[nz].astype(np.float32)))
        else:
            raise ValueError(f"kind must be 'sparse' or 'dense', got {kind!r}")
        return RawSplit(kind=kind, inputs=inputs, labels=self.labels, ids=self.ids)


def _read_file(path: PathLike, label_names=None, labels_first=False, num_labels=None,
               encoding="utf-8", missing="error") -> Tuple[_Layout, _Rows]:
    if missing not in _MISSING_MODES:
        raise ValueError(f"missing must be one of {_MISSING_MODES}, got {missing!r}")
    path = Path(path)
    lines = _read_lines(path, encoding)
    header = _parse_header(path, lines)
    label_attr, meka_c = _label_attributes(path, header, label_names, labels_first, num_labels)
    lay = _Layout(path, header, label_attr, meka_c, missing)
    return lay, _read_rows(lay, lines)


def _parse_files(files: Sequence[PathLike], id_attributes: str = "drop", **kwargs) -> List[_Parsed]:
    """Each file parsed; identifier-like attributes decided over all their rows together
    (so that every split gets the same columns) and left out unless ``id_attributes='keep'``."""
    if id_attributes not in nominal.ID_ATTRIBUTES:
        raise ValueError(f"id_attributes must be one of {nominal.ID_ATTRIBUTES}, got {id_attributes!r}")
    read = [_read_file(p, **kwargs) for p in files]
    decl = [[(a.name, a.type, a.values) for a in lay.attrs] for lay, _ in read]
    same = all(d == decl[0] for d in decl)  # else the caller's header check names the difference
    ids = _id_attributes(read) if id_attributes == "drop" and same else {}
    return [_Parsed(lay, rows, ids) for lay, rows in read]


# --------------------------------------------------------------------------- public API


def read_arff(path: PathLike, label_names: Optional[Sequence[str]] = None, labels_first: bool = False,
              num_labels: Optional[int] = None, *, kind: Optional[str] = None,
              encoding: str = "utf-8", missing: str = "error",
              id_attributes: str = "drop") -> ArffData:
    """Read one multi-label ARFF file.

    Which attributes are labels, in order of precedence:

    1. ``label_names`` given (MULAN): the attributes with those names, wherever they are
       (a ``-C`` option in ``@relation`` is then ignored).
    2. ``num_labels`` given: the first (``labels_first=True``, MEKA) or last (MULAN)
       ``num_labels`` attributes (``-C`` ignored).
    3. Otherwise MEKA's ``-C n`` in the ``@relation`` name: first ``n`` if ``n > 0``,
       last ``|n|`` if ``n < 0`` (``labels_first`` is ignored). As ``-C`` is easily
       left stale when a file is edited, every attribute it selects must be binary
       (declared ``{0,1}``, or numeric holding only 0 and 1); otherwise a
       :class:`DataFormatError` names the ``-C`` value and the first offending attribute.

    Label indices follow the attribute (column) order, which is not necessarily the order
    of ``label_names`` (MULAN's yeast.xml lists Class6 before Class4, for instance).
    Features: see the module docstring (a two-valued nominal attribute is one 0/1
    feature, other nominal attributes are one-hot encoded, ``string`` and
    identifier-like attributes dropped).

    Args:
        path: The ``.arff`` file.
        label_names: Names of the label attributes (e.g. from :func:`read_mulan_labels`).
        labels_first: With ``num_labels``: labels are the first attributes (MEKA) instead
            of the last (MULAN).
        num_labels: Number of label attributes.
        kind: ``'sparse'`` or ``'dense'`` output; ``None`` picks ``'sparse'`` when the file
            has sparse rows or every feature is a binary ``{0,1}`` nominal, else ``'dense'``.
            Sparse rows keep only non-zero features, indexed 0-based within the feature
            block (labels removed).
        encoding: Text encoding of the file.
        missing: What a missing value ``?`` of a feature attribute means: ``'error'``
            (default) raises :class:`DataFormatError` naming the line and attribute;
            ``'zero'`` reads it as 0 (a missing nominal value as no one-hot feature) and
            counts the replaced values in ``skipped``. A ``?`` in a label attribute is
            always an error.
        id_attributes: ``'drop'`` (default) leaves out identifier-like nominal attributes
            (:func:`lamp_pyg.io.nominal.id_like`, over this file's rows) and counts them
            in ``skipped``; ``'keep'`` one-hot encodes them.

    Returns:
        An :class:`ArffData` with the split, the feature and label names and header info.
        Rows without any label are kept.

    Raises:
        DataFormatError: Malformed header or row, index out of range, non-numeric, NaN
            or infinite value, a missing value (unless ``missing='zero'``), a nominal
            value not declared, a ``date`` / ``relational`` attribute, a non-binary label
            attribute (a stale ``-C``), label names missing from the header, empty or
            truncated file, undecodable bytes.
        ValueError: ``missing`` is not ``'error'`` or ``'zero'``, or ``id_attributes``
            not ``'drop'`` or ``'keep'``.
    """
    parsed, = _parse_files([path], id_attributes, label_names=label_names, labels_first=labels_first,
                           num_labels=num_labels, encoding=encoding, missing=missing)
    split = parsed.to_split(kind or parsed.auto_kind)
    return ArffData(split=split, feature_names=parsed.feature_names, label_names=parsed.label_names,
                    relation=parsed.header.relation, attributes=parsed.header.attributes,
                    rows_without_labels=sum(1 for l in parsed.labels if not l), path=parsed.path,
                    skipped=dict(parsed.skipped), id_attributes=parsed.id_attributes)


def read_arff_dataset(name: str, files: Mapping[str, PathLike],
                      label_names: Optional[Sequence[str]] = None, labels_first: bool = False,
                      num_labels: Optional[int] = None, *, kind: Optional[str] = None,
                      encoding: str = "utf-8", sources: Sequence[PathLike] = (),
                      missing: str = "error", id_attributes: str = "drop") -> RawDataset:
    """Read several ARFF files with the same header as the splits of one dataset.

    Label selection works as in :func:`read_arff`. With ``kind=None`` the dataset is
    ``'sparse'`` if any file would be read as sparse, else ``'dense'``, so that all
    splits share one kind.

    Args:
        name: Dataset name.
        files: Split name (``'train'``, ``'test'``, optionally ``'valid'``) -> ARFF path.
        label_names: See :func:`read_arff`.
        labels_first: See :func:`read_arff`.
        num_labels: See :func:`read_arff`.
        kind: ``'sparse'``, ``'dense'`` or ``None`` (automatic).
        encoding: Text encoding of the files.
        sources: Extra files to list in ``RawDataset.sources`` (e.g. the XML header).
        missing: ``'error'`` or ``'zero'``, see :func:`read_arff`.
        id_attributes: ``'drop'`` or ``'keep'``, see :func:`read_arff`; identifier-like
            is decided over the rows of all files together.

    Returns:
        A :class:`RawDataset`. ``num_features`` counts feature columns (after one-hot
        encoding), ``num_attributes`` the input attributes as declared (labels and
        dropped string attributes excluded). ``skipped`` is empty unless the files have
        ``string`` attributes (``"string attribute 'id' (dropped)"``: rows, all splits)
        or missing values read with ``missing='zero'`` (``"missing values '?' (read as
        0)"``: values, all splits). Rows without labels are kept, not skipped.

    Raises:
        DataFormatError: As :func:`read_arff`, or when a file's attributes (names, order,
            nominal values or label set) differ from the first file's.
    """
    if not files:
        raise ValueError("files must name at least one split")
    parsed = dict(zip(files, _parse_files(
        list(files.values()), id_attributes, label_names=label_names, labels_first=labels_first,
        num_labels=num_labels, encoding=encoding, missing=missing)))
    first_split, first = next(iter(parsed.items()))
    for split, p in parsed.items():
        if p.feature_names != first.feature_names or p.label_names != first.label_names:
            what = "feature" if p.feature_names != first.feature_names else "label"
            raise DataFormatError(
                p.path, p.header.data_line,
                f"{what} attributes differ from those of {first.path} ({first_split}): expected "
                "every split to declare the same attributes in the same order")
    if kind is None:
        kind = "sparse" if any(p.auto_kind == "sparse" for p in parsed.values()) else "dense"
    splits = {split: p.to_split(kind) for split, p in parsed.items()}
    skipped: Dict[str, int] = {}
    for p in parsed.values():
        for k, v in p.skipped.items():
            skipped[k] = skipped.get(k, 0) + v
    return RawDataset(name=name, splits=splits, label_names=list(first.label_names),
                      feature_names=list(first.feature_names),
                      num_features=len(first.feature_names), skipped=skipped,
                      sources=[str(s) for s in sources] + [p.path for p in parsed.values()],
                      num_attributes=first.num_attributes)


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


def read_mulan(folder: PathLike, name: Optional[str] = None, *, kind: Optional[str] = None,
               encoding: str = "utf-8", missing: str = "error",
               id_attributes: str = "drop") -> RawDataset:
    """Read a MULAN benchmark: ``<name>-train.arff``, ``<name>-test.arff`` and ``<name>.xml``.

    Labels are the attributes named in the XML header, numbered in ARFF column order.
    bibtex and delicious (all features ``{0,1}``, sparse rows) come back ``'sparse'``;
    yeast, emotions and scene ``'dense'``. Rows without labels are kept (delicious has 10
    in train and 4 in test).

    Args:
        folder: Folder holding the three files.
        name: Dataset name / file stem; defaults to the folder's name.
        kind: ``'sparse'``, ``'dense'`` or ``None`` (automatic, see :func:`read_arff`).
        encoding: Text encoding of the ARFF files.
        missing: ``'error'`` or ``'zero'``, see :func:`read_arff`.
        id_attributes: ``'drop'`` or ``'keep'``, see :func:`read_arff`.

    Returns:
        A :class:`RawDataset` with ``train`` and ``test`` splits.

    Raises:
        FileNotFoundError: One of the three files is missing.
        DataFormatError: Any malformed file (see :func:`read_arff`, :func:`read_mulan_labels`).
    """
    folder = Path(folder)
    name = name or folder.name
    xml_path = folder / f"{name}.xml"
    files = {"train": folder / f"{name}-train.arff", "test": folder / f"{name}-test.arff"}
    absent = [str(p) for p in [xml_path, *files.values()] if not p.is_file()]
    if absent:
        raise FileNotFoundError(f"MULAN dataset {name!r}: missing {', '.join(absent)} (expected "
                                f"{name}-train.arff, {name}-test.arff and {name}.xml in {folder})")
    label_names = read_mulan_labels(xml_path)
    return read_arff_dataset(name, files, label_names=label_names, kind=kind, encoding=encoding,
                             sources=[xml_path], missing=missing, id_attributes=id_attributes)
