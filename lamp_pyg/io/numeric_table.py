"""Tables of numbers: one row per sample, numeric feature columns plus its labels.

The layout of most tabular data (a CSV from pandas, OpenML or scikit-multilearn), read
with no code (``format: numeric_table``):

- **labels** either as one 0/1 column per label, named (``label_columns: [l1, l2, ...]``)
  or counted (``num_labels: n``: the last ``n`` columns, the first with ``labels_first``,
  the id column aside), the columns' names being the label names; or as one cell of
  label strings (``label_field``, default ``labels``; ``label_sep`` splits it, default
  whitespace);
- an optional id column (``id_field``);
- **every other column is a feature** and must hold a number. An empty cell, ``?``,
  ``NA`` or ``nan`` is missing: an error naming file, line and column, or 0 with
  ``missing: zero`` (counted).

The first row names the columns unless ``columns`` does; every split must have the
train file's columns. The delimiter is a tab for ``.tsv`` / ``.txt`` files and a comma
otherwise (``delimiter``). The result is kind ``dense``: LaMP reads one input node per
feature (``data.dense_mode: nodes``), standardised on the training split.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit
from lamp_pyg.io.text_table import PathLike, _column_index, open_table, split_labels

__all__ = ["read_numeric_table", "read_numeric_dataset"]

MISSING = ("", "?", "na", "nan", "null")


class Table(NamedTuple):
    """One file read: its split (labels as strings), column names, feature column names,
    label column names (``None``: one cell of labels) and what was skipped or replaced."""

    split: RawSplit
    columns: List[str]
    features: List[str]
    label_columns: Optional[List[str]]
    skipped: Dict[str, int]


def _counted_labels(path: Path, names: List[str], num_labels: int, labels_first: bool,
                    id_field: Optional[str]) -> List[str]:
    """The names of the first or last ``num_labels`` columns, the id column aside."""
    cols = [n for n in names if n != id_field]
    if num_labels >= len(cols):
        raise DataFormatError(path, 1, f"num_labels={num_labels} leaves no feature column "
                                       f"among the {len(cols)} columns {cols[:8]}")
    return cols[:num_labels] if labels_first else cols[-num_labels:]


def _layout(path: Path, names: List[str], label_columns, label_field: str,
            id_field: Optional[str]) -> Tuple[List[int], List[int], Optional[int]]:
    """(label column indices, feature column indices, id column index)."""
    labels = _column_index(path, names, list(label_columns) if label_columns else label_field,
                           "label_columns" if label_columns else "label_field")
    ids = _column_index(path, names, id_field, "id_field")[0] if id_field else None
    feats = [j for j in range(len(names)) if j not in labels and j != ids]
    if not feats:
        raise DataFormatError(path, 1, f"no feature column: the columns {names} are all "
                                       "labels or ids")
    return labels, feats, ids


def _number(cell: str, path: Path, line: int, column: str, missing: str,
            skipped: Dict[str, int]) -> float:
    try:
        v = float(cell)
    except ValueError:
        v = None
    if v is not None and np.isfinite(v):
        return v
    if cell.strip().lower() in MISSING or (v is not None and np.isnan(v)):
        if missing == "zero":
            skipped["missing values (read as 0)"] = skipped.get("missing values (read as 0)", 0) + 1
            return 0.0
        raise DataFormatError(path, line, f"column {column!r} is missing ({cell!r}): expected a "
                                          "number (data.missing: zero reads it as 0)")
    raise DataFormatError(path, line, f"column {column!r} holds {cell[:30]!r}: expected a "
                                      "number (every column that is not a label or the id is "
                                      "a feature)")


def _label_bits(row, cols: List[int], names: List[str], path: Path, line: int) -> List[str]:
    out = []
    for j in cols:
        cell = row[j].strip()
        if cell not in ("0", "1", "0.0", "1.0"):
            raise DataFormatError(path, line, f"label column {names[j]!r} holds {cell[:30]!r}: "
                                              "expected 0 or 1")
        if cell.startswith("1"):
            out.append(names[j])
    return out


def read_numeric_table(path: PathLike, *, label_columns: Optional[Sequence[str]] = None,
                       num_labels: Optional[int] = None, labels_first: bool = False,
                       label_field: str = "labels", id_field: Optional[str] = None,
                       columns: Optional[Sequence[str]] = None, delimiter: Optional[str] = None,
                       label_sep: Optional[str] = None, missing: str = "error",
                       encoding: str = "utf-8") -> Table:
    """Read one file (the keys as in the module docstring); the split's labels are label
    *strings*, turned into indices by :func:`read_numeric_dataset`."""
    path = Path(path)
    names, rows, skipped = open_table(path, columns, delimiter, encoding)
    if num_labels:
        label_columns = _counted_labels(path, names, num_labels, labels_first, id_field)
    lab, feats, idc = _layout(path, names, label_columns, label_field, id_field)
    X, labels, ids = [], [], []
    for line, row in rows:
        if len(row) != len(names):
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            raise DataFormatError(path, line, f"{len(row)} fields: expected {len(names)} "
                                              f"({shown})")
        X.append([_number(row[j], path, line, names[j], missing, skipped) for j in feats])
        labels.append(_label_bits(row, lab, names, path, line) if label_columns
                      else split_labels(row[lab[0]], label_sep))
        ids.append(row[idc] if idc is not None else f"{path.name}:{line}")
    X = np.asarray(X, dtype=np.float32).reshape(len(ids), len(feats))
    return Table(RawSplit("dense", X, labels, ids), names, [names[j] for j in feats],
                 list(label_columns) if label_columns else None, skipped)


def read_numeric_dataset(name: str, files: Mapping[str, PathLike], **kwargs) -> RawDataset:
    """Several files (``'train'``, ``'test'``, optionally ``'valid'``) as one dataset; every
    file must have the train file's columns. Label names: the label columns in their
    order, else every label string seen in any split, sorted."""
    parts = {split: read_numeric_table(p, **kwargs) for split, p in files.items()}
    train = parts["train"]
    for split, t in parts.items():
        if t.columns != train.columns:
            raise DataFormatError(Path(files[split]), 1, f"columns {t.columns[:8]} differ from "
                                  f"the train file's {train.columns[:8]}: expected the same columns")
    label_names = train.label_columns or sorted(
        {l for t in parts.values() for labs in t.split.labels for l in labs})
    feature_names = train.features
    index = {n: i for i, n in enumerate(label_names)}
    splits, skipped = {}, {}
    for split, (s, _, _, _, skip) in parts.items():
        splits[split] = RawSplit("dense", s.inputs,
                                 [sorted(index[l] for l in labs) for labs in s.labels], s.ids)
        skipped.update({f"{k} ({split})": v for k, v in skip.items()})
    return RawDataset(name=name, splits=splits, label_names=label_names,
                      feature_names=feature_names, num_features=len(feature_names),
                      skipped=skipped, sources=[str(p) for p in files.values()])
