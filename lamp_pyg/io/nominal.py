"""How nominal ARFF attributes become feature columns (the rules :mod:`lamp_pyg.io.arff` applies).

- **Two declared values** (``{YES,NO}``, ``{true,false}``, ``{1,0}``, ``{absent,present}``):
  one 0/1 column, named ``attr=VALUE`` after the value that reads as 1 (``{0,1}`` in this
  order stays the plain column ``attr``, the value as written). The value that reads as 1
  is the one of the two that is a *positive word* (``1``, ``yes``, ``y``, ``true``, ``t``,
  any case); when neither or both are, the **second** declared value (Weka's internal value
  1, so that an attribute a sparse row leaves out, which has the first value, reads as 0).
- **More values**: one-hot, one column ``attr=value`` per declared value.
- **Identifier-like** (a row id, a protein name: :func:`id_like`): left out by default and
  counted in ``skipped``; ``id_attributes='keep'`` (``data.id_attributes: keep``) one-hot
  encodes it like any nominal attribute.

Only numpy here.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

POSITIVE_WORDS = ("1", "yes", "y", "true", "t")
ID_ATTRIBUTES = ("drop", "keep")
#: an attribute is identifier-like when its distinct values in the rows are at least this
#: share of the rows ...
ID_DISTINCT_SHARE = 0.9
#: ... and at least this many (so that a small hand-written file keeps its nominal columns)
ID_MIN_DISTINCT = 20


def positive_index(values: Sequence[str]) -> int:
    """Which of two declared values reads as 1 (0 or 1, an index into ``values``)."""
    if len(values) != 2:
        raise ValueError(f"expected two values, got {len(values)}")
    pos = [v.strip().lower() in POSITIVE_WORDS for v in values]
    return 0 if pos == [True, False] else 1


def kept_values(values: Sequence[str]) -> List[Optional[int]]:
    """Per declared value (Weka's code), the offset of its column within the attribute's
    columns, or ``None`` for the value of a binary attribute that reads as 0."""
    if len(values) != 2:
        return list(range(len(values)))
    p = positive_index(values)
    return [0 if k == p else None for k in range(2)]


def column_names(name: str, values: Sequence[str]) -> List[str]:
    """The feature names of a nominal attribute's columns, in column order."""
    return [f"{name}={v}" for v, k in zip(values, kept_values(values)) if k is not None]


def id_like(values: Sequence[str], codes: np.ndarray) -> bool:
    """Whether a nominal attribute looks like an identifier: over ``codes`` (its value,
    as Weka's code, in every row read; ``-1`` for missing) at least ``ID_MIN_DISTINCT``
    distinct values, covering at least ``ID_DISTINCT_SHARE`` of the rows."""
    if len(values) <= 2 or codes.size == 0:
        return False
    distinct = np.unique(codes[codes >= 0]).size
    return distinct >= ID_MIN_DISTINCT and distinct >= ID_DISTINCT_SHARE * codes.size


def id_skip_key(name: str, distinct: int, rows: int) -> str:
    """The ``skipped`` key of an identifier-like attribute left out."""
    return (f"identifier-like attribute {name!r} ({distinct} distinct values in {rows} rows; "
            "dropped, data.id_attributes: keep keeps it)")
