"""Vectorised checks and assembly of the rows read by :func:`~lamp_pyg.io.arff.rows.read_rows`:
finite and 0/1 values, labels, dense features and sparse features (one-hot included)."""
from __future__ import annotations

import numpy as np

from lamp_pyg.io.arff.labels import stale_c
from lamp_pyg.io.arff.layout import Layout
from lamp_pyg.io.arff.rows import Rows

_F32_MAX = float(np.finfo(np.float32).max)


def _check_values(lay: Layout, values: np.ndarray, attr_at, line_of, m01: np.ndarray) -> None:
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
            lay.fail(line_of(k), stale_c(lay.meka_c, a, f"holds the value {values[k]:g} on this line"))
    k = int(bad[0])
    lay.fail(line_of(k), f"value {values[k]:g} of attribute {lay.attrs[int(attr_at(k))].name!r}: "
                         "expected 0 or 1")


def dense_block(lay: Layout, rows: Rows, dense_rows: np.ndarray):
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


def _onehot_entries(lay: Layout, idx, val, rowid, n_rows):
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


def sparse_block(lay: Layout, rows: Rows, sparse_rows: np.ndarray):
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
