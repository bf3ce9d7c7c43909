"""Where each attribute of one ARFF file goes: label index, feature column(s) or dropped."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from lamp_pyg.io import nominal
from lamp_pyg.io.base import DataFormatError
from lamp_pyg.io.arff.header import Header
from lamp_pyg.io.arff.labels import is01


class Layout:
    """Where each attribute of one file goes (internal, built once per file).

    Feature columns follow the attribute order; a nominal attribute takes the columns of
    :func:`lamp_pyg.io.nominal.kept_values` (one for two values, else one per value), a
    ``string`` attribute and an identifier-like one in ``drop`` none.
    """

    def __init__(self, path: Path, header: Header, label_attr: List[int], meka_c: Optional[int],
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
            if a.type == "nominal" and not is01(a) and not self.is_label[j]}
        self.is_onehot = np.zeros(n, dtype=bool)
        self.is_onehot[list(self.nominal_index)] = True
        self.is_onehot &= ~dropped
        self.must01 = self.is_label | np.array([is01(a) for a in attrs], dtype=bool)
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
        self.feature_binary = bool(len(self.feat_attr)) and all(is01(attrs[j]) for j in self.feat_attr)
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

    def dropping(self, drop: Sequence[int]) -> "Layout":
        """The same layout with the attributes ``drop`` (identifier-like) left out."""
        return Layout(*self._args, drop=drop) if drop else self

    @property
    def label_names(self) -> List[str]:
        return [self.attrs[j].name for j in self.label_attr.tolist()]

    @property
    def num_attributes(self) -> int:
        return len(self.feat_attr)

    def fail(self, lineno: Optional[int], msg: str):
        raise DataFormatError(self.path, lineno, msg)
