"""The ARFF dataset API: :func:`read_arff`, :func:`read_arff_dataset`, :func:`read_mulan`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from lamp_pyg.io import nominal
from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit, read_text_lines
from lamp_pyg.io.arff.blocks import dense_block, sparse_block
from lamp_pyg.io.arff.header import ArffAttribute, parse_header
from lamp_pyg.io.arff.labels import label_attributes, read_mulan_labels
from lamp_pyg.io.arff.layout import Layout
from lamp_pyg.io.arff.rows import Rows, read_rows

PathLike = Union[str, Path]

_MISSING_MODES = ("error", "zero")
_MISSING_KEY = "missing values '?' (read as 0)"


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


def _id_attributes(files: Sequence[Tuple[Layout, Rows]]) -> Dict[int, str]:
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

    def __init__(self, lay: Layout, rows: Rows, ids: Optional[Dict[int, str]] = None):
        ids = ids or {}
        lay = lay.dropping(sorted(ids))
        self.path = str(lay.path)
        self.header = lay.header
        self.layout = lay
        n_rows = len(rows.row_line)
        self.labels: List[Optional[List[int]]] = [None] * n_rows
        self.feats: list = [None] * n_rows  # per row: np.ndarray [F] (dense row) or (idx, val)
        is_sp = np.array(rows.row_sparse, dtype=bool)
        for block, sel in ((dense_block, np.flatnonzero(~is_sp)), (sparse_block, np.flatnonzero(is_sp))):
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
               encoding="utf-8", missing="error") -> Tuple[Layout, Rows]:
    if missing not in _MISSING_MODES:
        raise ValueError(f"missing must be one of {_MISSING_MODES}, got {missing!r}")
    path = Path(path)
    lines = read_text_lines(path, encoding)
    header = parse_header(path, lines)
    label_attr, meka_c = label_attributes(path, header, label_names, labels_first, num_labels)
    lay = Layout(path, header, label_attr, meka_c, missing)
    return lay, read_rows(lay, lines)


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
