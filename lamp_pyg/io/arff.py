"""MULAN / MEKA ARFF reader (files -> :class:`~lamp_pyg.io.base.RawDataset`).

ARFF is Weka's attribute-relation file format. Multi-label benchmarks ship it in two
flavours that differ only in where the label attributes are:

- **MULAN** (bibtex, delicious, yeast, emotions, scene, ...): labels are the attributes
  named in a separate XML label header ``<name>.xml``
  (``<labels xmlns="http://mulan.sourceforge.net/labels"><label name="..."/>...``,
  possibly nested for hierarchies). In practice they are the last attributes.
- **MEKA**: the ``@relation`` name carries a ``-C n`` option; ``n > 0`` means the first
  ``n`` attributes are the labels, ``n < 0`` the last ``|n|``.

Supported syntax: ``@relation``, ``@attribute`` with ``numeric`` / ``real`` /
``integer`` or a nominal ``{v1, v2, ...}`` type, ``@data``, ``%`` comment lines, quoted
(``'...'`` / ``"..."`` with backslash escapes) names and values, dense comma-separated
rows and sparse ``{index value, ...}`` rows (0-based attribute indices; attributes left
out are 0). Not supported (raise :class:`DataFormatError`): ``string`` / ``date`` /
``relational`` attributes, missing values ``?`` and instance weights.

Feature values: numeric attributes as written; nominal attributes as the position of the
value in the declaration (Weka's internal value), which for the usual ``{0,1}`` is the
value itself. Label attributes must be declared ``{0,1}`` or numeric and hold 0 or 1.

Only numpy is used here (no torch). Parsing is a line loop with regex validation of
sparse rows and numpy conversion of dense rows: delicious (16k sparse rows, 1483
attributes) parses in about a second.
"""
from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

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
_UNSUPPORTED_TYPES = ("string", "date", "relational")
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
        type: ``'numeric'`` or ``'nominal'``.
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
        feature_names: Names of the non-label attributes, in attribute order; sparse
            feature indices and dense columns index into this list.
        label_names: Names of the label attributes, in attribute (column) order.
        relation: The ``@relation`` name.
        attributes: All ``@attribute`` declarations in file order.
        rows_without_labels: How many rows have no positive label. Informational only:
            these rows are *kept* in :attr:`split` (dropping them is the dataset step's
            decision), so this is a count, not a number of skipped rows.
        path: The file read.
    """

    split: RawSplit
    feature_names: List[str]
    label_names: List[str]
    relation: str
    attributes: List[ArffAttribute]
    rows_without_labels: int
    path: str

    @property
    def num_features(self) -> int:
        """Number of feature (non-label) attributes."""
        return len(self.feature_names)


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
            name, pos = _take_token(rest, 0, path, lineno)
            if name is None:
                raise DataFormatError(path, lineno, "@attribute without a name")
            typ = rest[pos:].strip()
            if typ.startswith("{"):
                close = typ.rfind("}")
                if close < 0:
                    raise DataFormatError(path, lineno, f"nominal type of {name!r} is not closed: "
                                                        "expected '}'")
                values = _split_values(typ[1:close], path, lineno)
                if values == [""]:
                    raise DataFormatError(path, lineno, f"nominal type of {name!r} has no values")
                attr = ArffAttribute(name, "nominal", values, lineno)
            else:
                t = typ.split()[0].lower() if typ.split() else ""
                if t in _NUMERIC_TYPES:
                    attr = ArffAttribute(name, "numeric", None, lineno)
                elif t in _UNSUPPORTED_TYPES:
                    raise DataFormatError(path, lineno, f"attribute {name!r} has type {t!r}: only "
                                                        "numeric/real/integer and {nominal} are supported")
                else:
                    raise DataFormatError(path, lineno, f"attribute {name!r}: expected a type "
                                                        f"numeric, real, integer or {{v1,v2,...}}, found {typ[:40]!r}")
            if name in seen:
                raise DataFormatError(path, lineno, f"attribute {name!r} already declared on line "
                                                    f"{seen[name]}: expected unique names")
            seen[name] = lineno
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


# --------------------------------------------------------------------------- rows


class _Parsed:
    """Rows of one file before the choice of output kind (internal)."""

    def __init__(self, path, header, label_attr, feats, labels, ids, feature_binary):
        self.path = path
        self.header = header
        self.label_attr = label_attr
        self.feats = feats  # per row: np.ndarray [F] (dense row) or (idx int64, val float32)
        self.labels = labels
        self.ids = ids
        self.feature_binary = feature_binary
        attrs = header.attributes
        is_label = set(label_attr)
        self.label_names = [attrs[j].name for j in label_attr]
        self.feature_names = [a.name for j, a in enumerate(attrs) if j not in is_label]

    @property
    def has_sparse_rows(self) -> bool:
        return any(isinstance(f, tuple) for f in self.feats)

    @property
    def auto_kind(self) -> str:
        return "sparse" if (self.has_sparse_rows or self.feature_binary) else "dense"

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


def _label_attributes(path: Path, header: _Header, label_names, labels_first, num_labels) -> List[int]:
    attrs = header.attributes
    n_attr = len(attrs)
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
        first = labels_first
        n = num_labels
        if n is None:
            m = _MEKA_C.search(header.relation) or _MEKA_C.search(header.relation_rest)
            if m is None:
                raise DataFormatError(
                    path, header.relation_line,
                    f"no label information in @relation {header.relation!r}: expected MEKA's "
                    "'-C <n>' option, or pass label_names (MULAN) or num_labels")
            c = int(m.group(1))
            first, n = c > 0, abs(c)
            where = header.relation_line
        else:
            where = header.data_line
        if not 0 < n < n_attr:
            raise DataFormatError(path, where, f"{n} label attributes requested but the header "
                                               f"declares {n_attr} attributes: expected 0 < labels < {n_attr}")
        label_attr = list(range(n)) if first else list(range(n_attr - n, n_attr))
    for j in label_attr:
        a = attrs[j]
        if a.type == "nominal" and a.values != ["0", "1"]:
            raise DataFormatError(path, a.line, f"label attribute {a.name!r} is declared "
                                                f"{{{','.join(a.values)}}}: expected {{0,1}} or numeric")
    return label_attr


def _parse_arff(path: PathLike, label_names=None, labels_first=False, num_labels=None,
                encoding="utf-8") -> _Parsed:
    path = Path(path)
    lines = _read_lines(path, encoding)
    header = _parse_header(path, lines)
    attrs = header.attributes
    n_attr = len(attrs)
    label_attr = _label_attributes(path, header, label_names, labels_first, num_labels)

    is_label = np.zeros(n_attr, dtype=bool)
    is_label[label_attr] = True
    label_of = np.full(n_attr, -1, dtype=np.int64)
    label_of[label_attr] = np.arange(len(label_attr))
    feat_attr = np.flatnonzero(~is_label)
    feat_of = np.full(n_attr, -1, dtype=np.int64)
    feat_of[feat_attr] = np.arange(len(feat_attr))
    label_attr_arr = np.asarray(label_attr, dtype=np.int64)

    # {0,1}-valued attributes (labels and binary nominal features) are checked vectorised;
    # nominal attributes with other value lists need a per-value lookup (slow path).
    must01 = np.zeros(n_attr, dtype=bool)
    nominal_index: Dict[int, Dict[str, int]] = {}
    for j, a in enumerate(attrs):
        if a.type == "nominal":
            if a.values == ["0", "1"]:
                must01[j] = True
            else:
                nominal_index[j] = {v: k for k, v in enumerate(a.values)}
    must01 |= is_label
    must01_idx = np.flatnonzero(must01)
    feature_binary = bool(len(feat_attr)) and all(
        attrs[j].type == "nominal" and attrs[j].values == ["0", "1"] for j in feat_attr)
    fast = not nominal_index
    fname = path.name

    def fail(lineno, msg):
        raise DataFormatError(path, lineno, msg)

    def convert(j: int, tok: str, lineno: int) -> float:
        """Slow path: one value of attribute j, with a precise message on failure."""
        a = attrs[j]
        if tok == "?":
            fail(lineno, f"missing value '?' for attribute {a.name!r}: missing values are not supported")
        if j in nominal_index:
            k = nominal_index[j].get(tok)
            if k is None:
                fail(lineno, f"value {tok!r} of nominal attribute {a.name!r}: expected one of "
                             f"{{{','.join(a.values)}}}")
            return float(k)
        try:
            v = float(tok)
        except ValueError:
            fail(lineno, f"value {tok!r} of attribute {a.name!r} is not numeric: expected a number")
        if must01[j] and v != 0.0 and v != 1.0:
            fail(lineno, f"value {tok!r} of attribute {a.name!r}: expected 0 or 1")
        return v

    def slow_sparse(body: str, lineno: int) -> Tuple[List[int], List[float]]:
        """Sparse row body with quotes / symbolic values, or one the fast regex rejected."""
        idx_l: List[int] = []
        val_l: List[float] = []
        if not body.strip():
            return idx_l, val_l
        for part in _split_values(body, path, lineno, keep_quotes=True):
            m = _SPARSE_ENTRY.fullmatch(part)
            if m is None:
                fail(lineno, f"sparse entry {part.strip()[:30]!r}: expected '<attribute index> <value>' "
                             "entries separated by commas")
            j = int(m.group(1))
            if j >= n_attr:
                fail(lineno, f"attribute index {j} out of range: expected 0..{n_attr - 1}")
            t = m.group(2)
            if t[0] in "'\"":
                t = _unescape(t[1:-1])
            idx_l.append(j)
            val_l.append(convert(j, t, lineno))
        return idx_l, val_l

    # One Python pass collects the values flat; all checks and the label / feature split
    # then run vectorised over the whole file.
    row_line: List[int] = []
    row_sparse: List[bool] = []
    sp_idx: List[int] = []
    sp_val: List[float] = []
    sp_count: List[int] = []
    dn_val: List[float] = []
    for i in range(header.data_line, len(lines)):
        s = lines[i].strip()
        if not s or s[0] == "%":
            continue
        lineno = i + 1
        has_quote = "'" in s or '"' in s
        if "%" in s and not has_quote:
            s = s[:s.index("%")].rstrip()
        if s[0] == "{":
            if not s.endswith("}"):
                fail(lineno, "sparse row is not closed: expected '{index value, ...}' ending with '}' "
                             "(truncated line, or an instance weight, which is not supported)")
            body = s[1:-1]
            if fast and not has_quote and _SPARSE_BODY.fullmatch(body):
                toks = body.replace(",", " ").split()
                ii = list(map(int, toks[0::2]))
                try:
                    vv = list(map(float, toks[1::2]))
                except ValueError:
                    for j in ii:
                        if j >= n_attr:
                            fail(lineno, f"attribute index {j} out of range: expected 0..{n_attr - 1}")
                    vv = [convert(j, t, lineno) for j, t in zip(ii, toks[1::2])]
            else:
                ii, vv = slow_sparse(body, lineno)
            sp_idx.extend(ii)
            sp_val.extend(vv)
            sp_count.append(len(ii))
            row_sparse.append(True)
        else:
            toks = _split_values(s, path, lineno) if has_quote else s.split(",")
            if len(toks) != n_attr:
                fail(lineno, f"row has {len(toks)} comma-separated values: expected {n_attr} "
                             "(one per @attribute; truncated or malformed row?)")
            vv = None
            if fast:
                try:
                    vv = list(map(float, toks))
                except ValueError:
                    vv = None
            if vv is None:
                vv = [convert(j, t.strip(), lineno) for j, t in enumerate(toks)]
            dn_val.extend(vv)
            row_sparse.append(False)
        row_line.append(lineno)

    n_rows = len(row_line)
    if n_rows == 0:
        fail(header.data_line, "no data rows after @data: expected at least one row (truncated file?)")

    def bad01(values: np.ndarray, attr_of: np.ndarray, line_of):
        bad = np.flatnonzero((values != 0.0) & (values != 1.0))
        if bad.size:
            k = int(bad[0])
            fail(line_of(k), f"value {values[k]:g} of attribute {attrs[int(attr_of[k])].name!r}: "
                             "expected 0 or 1")

    labels: List[Optional[List[int]]] = [None] * n_rows
    feats: list = [None] * n_rows
    is_sp = np.array(row_sparse, dtype=bool)
    dense_rows = np.flatnonzero(~is_sp)
    sparse_rows = np.flatnonzero(is_sp)

    if dense_rows.size:
        D = np.array(dn_val, dtype=np.float64).reshape(dense_rows.size, n_attr)
        if must01_idx.size:
            sub = D[:, must01_idx]
            bad01(sub.ravel(), np.tile(must01_idx, dense_rows.size),
                  lambda k: row_line[dense_rows[k // must01_idx.size]])
        L = D[:, label_attr_arr] != 0.0
        X = D[:, feat_attr]
        for k, r in enumerate(dense_rows.tolist()):
            labels[r] = np.flatnonzero(L[k]).tolist()
            feats[r] = X[k]

    if sparse_rows.size:
        idx = np.array(sp_idx, dtype=np.int64)
        val = np.array(sp_val, dtype=np.float64)
        cnt = np.array(sp_count, dtype=np.int64)
        rowid = np.repeat(np.arange(cnt.size), cnt)

        def line_of(k):
            return row_line[sparse_rows[rowid[k]]]

        if idx.size:
            over = np.flatnonzero(idx >= n_attr)
            if over.size:
                fail(line_of(over[0]), f"attribute index {int(idx[over[0]])} out of range: "
                                       f"expected 0..{n_attr - 1}")
            same_row = rowid[1:] == rowid[:-1]
            if ((np.diff(idx) <= 0) & same_row).any():
                order = np.lexsort((idx, rowid))  # rowid is already sorted, so it stays aligned
                idx, val = idx[order], val[order]
                dup = np.flatnonzero((np.diff(idx) == 0) & same_row)
                if dup.size:
                    fail(line_of(dup[0]), f"attribute index {int(idx[dup[0]])} appears twice: "
                                          "expected each index at most once per row")
            m01 = np.flatnonzero(must01[idx])
            if m01.size:
                bad01(val[m01], idx[m01], lambda k: line_of(m01[k]))
        nz = val != 0.0
        lm = is_label[idx]
        lab_sel = lm & nz
        feat_sel = ~lm & nz
        cuts_l = np.cumsum(np.bincount(rowid[lab_sel], minlength=cnt.size))[:-1]
        cuts_f = np.cumsum(np.bincount(rowid[feat_sel], minlength=cnt.size))[:-1]
        lab_parts = np.split(label_of[idx[lab_sel]], cuts_l)
        fi_parts = np.split(feat_of[idx[feat_sel]], cuts_f)
        fv_parts = np.split(val[feat_sel].astype(np.float32), cuts_f)
        for k, r in enumerate(sparse_rows.tolist()):
            labels[r] = lab_parts[k].tolist()
            feats[r] = (fi_parts[k], fv_parts[k])

    ids = [f"{fname}:{ln}" for ln in row_line]
    return _Parsed(str(path), header, label_attr, feats, labels, ids, feature_binary)


# --------------------------------------------------------------------------- public API


def read_arff(path: PathLike, label_names: Optional[Sequence[str]] = None, labels_first: bool = False,
              num_labels: Optional[int] = None, *, kind: Optional[str] = None,
              encoding: str = "utf-8") -> ArffData:
    """Read one multi-label ARFF file.

    Which attributes are labels, in order of precedence:

    1. ``label_names`` given (MULAN): the attributes with those names, wherever they are.
    2. ``num_labels`` given: the first (``labels_first=True``, MEKA) or last (MULAN)
       ``num_labels`` attributes.
    3. Otherwise MEKA's ``-C n`` in the ``@relation`` name: first ``n`` if ``n > 0``,
       last ``|n|`` if ``n < 0`` (``labels_first`` is ignored).

    Label indices follow the attribute (column) order, which is not necessarily the order
    of ``label_names`` (MULAN's yeast.xml lists Class6 before Class4, for instance).

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

    Returns:
        An :class:`ArffData` with the split, the feature and label names and header info.
        Rows without any label are kept.

    Raises:
        DataFormatError: Malformed header or row, index out of range, non-numeric value,
            label names missing from the header, empty or truncated file, undecodable bytes.
    """
    parsed = _parse_arff(path, label_names, labels_first, num_labels, encoding)
    split = parsed.to_split(kind or parsed.auto_kind)
    return ArffData(split=split, feature_names=parsed.feature_names, label_names=parsed.label_names,
                    relation=parsed.header.relation, attributes=parsed.header.attributes,
                    rows_without_labels=sum(1 for l in parsed.labels if not l), path=parsed.path)


def read_arff_dataset(name: str, files: Mapping[str, PathLike],
                      label_names: Optional[Sequence[str]] = None, labels_first: bool = False,
                      num_labels: Optional[int] = None, *, kind: Optional[str] = None,
                      encoding: str = "utf-8", sources: Sequence[PathLike] = ()) -> RawDataset:
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

    Returns:
        A :class:`RawDataset`; ``skipped`` is empty because nothing is skipped (rows
        without labels are kept).

    Raises:
        DataFormatError: As :func:`read_arff`, or when a file's attributes (names, order or
            label set) differ from the first file's.
    """
    if not files:
        raise ValueError("files must name at least one split")
    parsed = {split: _parse_arff(p, label_names, labels_first, num_labels, encoding)
              for split, p in files.items()}
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
    return RawDataset(name=name, splits=splits, label_names=list(first.label_names),
                      feature_names=list(first.feature_names),
                      num_features=len(first.feature_names), skipped={},
                      sources=[str(s) for s in sources] + [p.path for p in parsed.values()])


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
               encoding: str = "utf-8") -> RawDataset:
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
    missing = [str(p) for p in [xml_path, *files.values()] if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"MULAN dataset {name!r}: missing {', '.join(missing)} (expected "
                                f"{name}-train.arff, {name}-test.arff and {name}.xml in {folder})")
    label_names = read_mulan_labels(xml_path)
    return read_arff_dataset(name, files, label_names=label_names, kind=kind, encoding=encoding,
                             sources=[xml_path])
