"""The one Python pass over the rows after ``@data`` (dense and sparse), values collected flat."""
from __future__ import annotations

import re
from typing import List, Sequence, Tuple

import numpy as np

from lamp_pyg.io.arff.layout import Layout
from lamp_pyg.io.arff.tokens import split_values, unescape

# A sparse row body: "idx value, idx value, ..." (values unquoted; quoted ones take the slow path).
_SPARSE_BODY = re.compile(r"\s*(?:\d+\s+[^\s,{}]+\s*(?:,\s*\d+\s+[^\s,{}]+\s*)*)?")
_SPARSE_ENTRY = re.compile(r"""\s*(\d+)\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"{},]+)\s*""", re.S)


class Rows:
    """One pass over the rows after ``@data``: values collected flat (internal).

    Sparse rows go to ``sp_idx`` / ``sp_val`` (``sp_count`` entries per row), dense rows
    to ``dn_val`` (``n_attr`` per row). Values are floats: the number for numeric and
    ``{0,1}`` attributes, Weka's internal value (position) for other nominal attributes
    (``-1`` for a missing one read with ``missing='zero'``), ``0`` for string attributes.
    Checks that can run vectorised (range, finiteness, 0/1) are left to :mod:`~lamp_pyg.io.arff.blocks`.
    """

    def __init__(self, lay: Layout):
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
        for part in split_values(body, self.lay.path, lineno, keep_quotes=True):
            m = _SPARSE_ENTRY.fullmatch(part)
            if m is None:
                self.lay.fail(lineno, f"sparse entry {part.strip()[:30]!r}: expected '<attribute "
                                      "index> <value>' entries separated by commas")
            t = m.group(2)
            ii.append(int(m.group(1)))
            toks.append(unescape(t[1:-1]) if t[0] in "'\"" else t)
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
        toks = split_values(s, lay.path, lineno) if has_quote else s.split(",")
        if len(toks) != lay.n_attr:
            lay.fail(lineno, f"row has {len(toks)} comma-separated values: expected {lay.n_attr} "
                             "(one per @attribute; truncated or malformed row?)")
        try:
            if not lay.fast:  # nominal / string columns: lookup, then float() on the rest
                for j, index in lay.special.items():
                    toks[j] = 0.0 if index is None else index[toks[j].strip()]
            vv = list(map(float, toks))
        except (ValueError, KeyError):
            toks = split_values(s, lay.path, lineno) if has_quote else s.split(",")
            vv = [self.convert(j, t.strip(), lineno) for j, t in enumerate(toks)]
        self.dn_val.extend(vv)
        self.row_sparse.append(False)


def read_rows(lay: Layout, lines: List[str]) -> Rows:
    """The Python pass over the data lines; everything else is vectorised."""
    rows = Rows(lay)
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
