"""Plain containers that every reader returns (files -> dataset contract).

Readers in :mod:`lamp_pyg.io` turn a publisher's files into a :class:`RawDataset`.
Nothing here depends on torch or torch_geometric: the dataset step
(:mod:`lamp_pyg.data`) turns these into PyG ``HeteroData`` samples.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

import numpy as np

KINDS = ("text", "sparse", "dense", "molecule")


class DataFormatError(ValueError):
    """Malformed input file: names the file, the line (1-based, if known) and what was expected."""

    def __init__(self, path, line: Optional[int], message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {message}")


def read_text_lines(path, encoding: str = "utf-8") -> List[str]:
    """A whole file split on ``\\n`` (a leading BOM dropped; ``\\r`` and control characters
    stay in their line). Undecodable bytes raise :class:`DataFormatError` naming the line."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataFormatError(
            path, line, f"byte 0x{raw[e.start]:02x} is not valid {encoding}: expected "
            f"{encoding} text (pass encoding=... if the file uses another encoding)") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.split("\n")


@dataclass
class RawSplit:
    """One split (train, valid or test) as read from the files.

    ``inputs`` depends on ``kind``:

    - ``text``: ``list[list[str]]`` tokens in order (already lower-cased / tokenised).
    - ``sparse``: ``list[tuple[np.ndarray, np.ndarray]]`` (int64 feature indices, float32 values).
    - ``dense``: ``np.ndarray`` ``[N, F]`` float32.
    - ``molecule``: ``list[dict]`` with ``atoms`` (``list[str]``), ``edge_index``
      (``np.ndarray [2, E]`` int64, both directions) and ``smiles``.
    """

    kind: str
    inputs: Union[list, np.ndarray]
    labels: List[List[int]]
    ids: List[str]

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"RawSplit.kind must be one of {KINDS}, got {self.kind!r}")
        if len(self.inputs) != len(self.labels) or len(self.labels) != len(self.ids):
            raise ValueError(
                f"RawSplit: inputs ({len(self.inputs)}), labels ({len(self.labels)}) and "
                f"ids ({len(self.ids)}) must have the same length")

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class RawDataset:
    """A whole dataset as read from its files, before any vocabulary or filtering.

    Attributes:
        name: Dataset name.
        splits: Split name -> :class:`RawSplit`.
        label_names: Label ``i`` is ``label_names[i]``.
        feature_names: Names of the feature columns / indices (``None`` if unnamed).
        num_features: Number of feature columns / the feature index range, as the model
            sees them (after one-hot encoding of nominal attributes); ``None`` for text
            and molecules.
        skipped: What the reader left out or replaced, reason -> count (never silent).
        sources: The files read.
        index_base: What the first feature index is called in the source files
            (1 for 1-based LIBSVM files; the inputs here are always 0-based), so that
            prediction reads indices as the files wrote them.
        num_attributes: Number of input attributes as the files declare them (label
            attributes and dropped ``string`` attributes excluded), when it differs from
            ``num_features`` (an ARFF nominal attribute with k values is one attribute but
            k one-hot features); ``None`` means the same as ``num_features``.
    """

    name: str
    splits: Dict[str, RawSplit]
    label_names: List[str]
    feature_names: Optional[List[str]] = None
    num_features: Optional[int] = None
    skipped: Dict[str, int] = field(default_factory=dict)
    sources: List[str] = field(default_factory=list)
    num_attributes: Optional[int] = None
    index_base: int = 0

    @property
    def kind(self) -> str:
        kinds = {s.kind for s in self.splits.values()}
        if len(kinds) != 1:
            raise ValueError(f"{self.name}: splits disagree on kind: {sorted(kinds)}")
        return kinds.pop()

    def label_matrix(self, split: str = "train") -> np.ndarray:
        """Multi-hot ``[N, L]`` uint8 matrix of one split."""
        s = self.splits[split]
        Y = np.zeros((len(s), len(self.label_names)), dtype=np.uint8)
        for i, labs in enumerate(s.labels):
            Y[i, labs] = 1
        return Y

    def stats(self) -> Dict[str, float]:
        """MULAN-style statistics over all splits: instances, attributes (input attributes
        as declared, what MULAN's table calls features), features (after one-hot
        encoding), labels, cardinality, distinct label sets."""
        labels = [tuple(l) for s in self.splits.values() for l in s.labels]
        n = len(labels)
        return {
            "instances": n,
            "attributes": self.num_features if self.num_attributes is None else self.num_attributes,
            "features": self.num_features,
            "labels": len(self.label_names),
            "cardinality": (sum(len(l) for l in labels) / n) if n else 0.0,
            "distinct_labelsets": len(set(labels)),
        }
