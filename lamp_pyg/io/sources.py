"""Where a dataset's files are and how to read them: one :class:`SourceSpec` per dataset.

A source is a **format** (which reader) plus the **files** it reads and the format's
options. Two ways to get one, through the same mechanism:

- your own files: a config's ``data.format`` with ``data.train`` / ``data.test``
  (optionally ``data.valid``) and what the format needs, e.g.::

      data:
        name: corel5k
        format: arff
        train: mulan-extra/corel5k/Corel5k-train-sparse.arff
        test: mulan-extra/corel5k/Corel5k-test-sparse.arff
        labels: mulan-extra/corel5k/Corel5k.xml

  Paths may use ``~`` and ``$VARIABLES``; relative ones are taken from ``data.root``
  when it is set, else from the current directory.
- a name: :func:`register_dataset` ties a name to a spec whose paths are relative to a
  location under the data root (``data.root`` or ``$LAMP_PYG_DATA``) or to ``data.path``.
  The built-in benchmarks (bibtex, reuters, ...) are registered below like any other.

:meth:`SourceSpec.fingerprint` hashes the content of every file a source reads, so a
processed-data cache keyed by it is rebuilt whenever a file changes or another file is
named. No torch here.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple, Union

from lamp_pyg.io.base import RawDataset
from lamp_pyg.io.nominal import ID_ATTRIBUTES
from lamp_pyg.io.text_table import TOKENIZERS, get_tokenizer
from lamp_pyg.typed_yaml import check_domains, setting

ENV_DATA = "LAMP_PYG_DATA"
#: every format a source can name (the keys of :data:`FORMATS`)
FORMAT_NAMES = ("arff", "libsvm", "text_table", "numeric_table", "jsonl", "reuters", "sider",
                "lamp_text", "lamp_pt", "synthetic")
#: keys that hold paths
FILE_KEYS = ("path", "train", "valid", "test", "labels")
SPLIT_KEYS = ("train", "valid", "test")


@dataclass(frozen=True)
class SourceSpec:
    """Which files hold a dataset and how to read them (the ``data.*`` keys naming files).

    Attributes:
        format: the reader (:data:`FORMAT_NAMES`); ``None`` for a registered name.
        path: a folder or file read as a whole (``reuters``, ``sider``, ``lamp_text``,
            ``lamp_pt``); for a registered name, where its files are instead of the
            location under the data root.
        train, valid, test: one file per split (``arff``, ``libsvm``, ``text_table``,
            ``jsonl``); without ``valid`` a seeded share of train is held out.
        labels: ``arff``: the MULAN XML label header (it decides which attributes are
            labels); ``libsvm``: a file of label names, one per line (line i names id i).
        num_labels: ``arff`` without XML: the number of label attributes (the last ones,
            or the first with ``labels_first``); otherwise MEKA's ``-C`` option decides.
            ``numeric_table``: the number of 0/1 label columns, the same way.
        labels_first: ``arff`` / ``numeric_table`` with ``num_labels``: labels are the
            first attributes (MEKA) / columns.
        text_field: ``text_table`` / ``jsonl``: the text column or key, or a list of them
            (joined with a space).
        label_field: ``text_table`` / ``jsonl`` / ``numeric_table``: the label column or key
            (one cell of label strings).
        label_columns: ``numeric_table``: one 0/1 column per label, instead of
            ``label_field`` (the columns' names are the label names).
        id_field: ``text_table`` / ``jsonl``: a column or key of record ids (for messages).
        columns: ``text_table`` / ``numeric_table`` without a header row: the names of its
            columns (LibMultiLabel: ``[id, labels, text]``).
        delimiter: ``text_table`` / ``numeric_table``: field separator (default: tab for
            .tsv/.txt, else comma).
        label_sep: ``text_table`` / ``jsonl``: separator of labels in one cell (default:
            whitespace).
        tokenizer: ``text_table`` / ``jsonl``: how texts become tokens, both lower-cased:
            ``reuters`` (default: words and numbers; punctuation and ``_`` separate) or
            ``words`` (whitespace only, for pre-tokenised inputs such as ``tag_a c01.2``).
        missing: ``arff`` / ``numeric_table``: what a missing value (``?``; in a table also
            an empty cell, ``NA``, ``nan``) means: ``error`` or ``zero``.
        id_attributes: ``arff``: an identifier-like nominal attribute (a row or protein id:
            at least 20 distinct values covering 90% of the rows) is left out and counted
            (``drop``, default) or one-hot encoded (``keep``).
        zero_based: ``libsvm``: feature indices start at 0 (default: 0-based when a file
            starts with the Extreme Classification header line ``N F L``, else 1-based,
            the LIBSVM convention). Prediction reads indices the same way.
        encoding: text encoding of the files.
    """

    format: Optional[str] = setting(None, choices=FORMAT_NAMES)
    path: Optional[str] = None
    train: Optional[str] = None
    valid: Optional[str] = None
    test: Optional[str] = None
    labels: Optional[str] = None
    num_labels: Optional[int] = setting(None, ge=1)
    labels_first: bool = False
    text_field: Union[str, List[str]] = "text"
    label_field: str = "labels"
    label_columns: Optional[List[str]] = None
    id_field: Optional[str] = None
    columns: Optional[List[str]] = None
    delimiter: Optional[str] = None
    label_sep: Optional[str] = None
    tokenizer: Optional[str] = setting(None, choices=TOKENIZERS)
    missing: str = setting("error", choices=("error", "zero"))
    id_attributes: str = setting("drop", choices=ID_ATTRIBUTES)
    zero_based: Optional[bool] = None
    encoding: str = "utf-8"

    def __post_init__(self):
        check_domains(self)

    def validate(self):
        """The keys this format needs are set, and no key it ignores is."""
        if self.format is None:
            return
        fmt = FORMATS[self.format]
        for f in dataclasses.fields(SourceSpec):
            if f.name == "format" or f.name in fmt.uses or getattr(self, f.name) == f.default:
                continue
            raise ValueError(f"{f.name} has no effect with format {self.format!r} (it reads "
                             f"{', '.join(fmt.uses) or 'no file'})")
        given = [k for k, on in (("label_columns", self.label_columns is not None),
                                 ("label_field", self.label_field != "labels"),
                                 ("num_labels", self.num_labels is not None)) if on]
        if self.format == "numeric_table" and len(given) > 1:
            raise ValueError(f"set one of {' or '.join(given)}: label_columns names the 0/1 "
                             "label columns, num_labels counts them, label_field is one cell "
                             "of labels")
        if self.label_columns is not None and not self.label_columns:
            raise ValueError("label_columns is empty: expected the names of the label columns")
        lacking = [k for k in fmt.needs if getattr(self, k) is None]
        if lacking:
            raise ValueError(f"format {self.format!r} needs {' and '.join(lacking)}")

    # ------------------------------------------------------------------ files
    def resolved(self, base: Optional[Path]) -> "SourceSpec":
        """A copy whose paths are absolute (``~`` and ``$VARS`` expanded, relative ones
        taken from ``base``) and exist."""
        changes = {}
        for key in FILE_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            text = os.path.expandvars(os.path.expanduser(value))
            if "$" in text:
                raise ValueError(f"data.{key}: {value!r} names an environment variable "
                                 "that is not set")
            p = Path(text)
            p = p if p.is_absolute() or base is None else Path(base) / p
            p = Path(os.path.normpath(p.absolute()))
            if not p.exists():
                raise FileNotFoundError(f"data.{key}: {p} does not exist")
            changes[key] = str(p)
        return dataclasses.replace(self, **changes)

    def split_files(self) -> Dict[str, str]:
        return {k: getattr(self, k) for k in SPLIT_KEYS if getattr(self, k) is not None}

    def files(self) -> List[Tuple[str, Path]]:
        """``(key, file)`` for every file this source reads (every file under a folder)."""
        out = []
        for key in FILE_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            p = Path(value)
            found = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
            out += [(key, f) for f in found]
        return out

    def fingerprint(self) -> Dict[str, object]:
        """The identity of this source: format, options, and each file's path and SHA-256.
        ``fingerprint()['key']`` is a short hash of all of it (the cache folder's name)."""
        options = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                   if f.name not in FILE_KEYS}
        files = {str(f): _sha256(f) for _, f in self.files()}
        blob = json.dumps({"options": options, "files": files}, sort_keys=True)
        return {"key": hashlib.sha256(blob.encode()).hexdigest()[:16], "format": self.format,
                "options": options, "files": files}

    def read(self, name: str) -> RawDataset:
        """The dataset, read by this format's reader (paths must be :meth:`resolved`)."""
        return FORMATS[self.format].read(name, self)

    def describe(self) -> str:
        where = ", ".join(f"{k} {getattr(self, k)}" for k in FILE_KEYS if getattr(self, k))
        return f"{self.format}" + (f": {where}" if where else " (built in, no files)")


_HASHES: Dict[Tuple[str, int, int, int], str] = {}


def _sha256(path: Path) -> str:
    """SHA-256 of a file's content. Remembered for this process while the file's size,
    inode and modification time stay the same (so the three splits of a dataset hash it
    once), except for a file modified in the last two seconds: file times are coarse, so
    such a file could change again without its time changing (git's "racy" rule)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_ino, st.st_mtime_ns)
    if key in _HASHES:
        return _HASHES[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if time.time() - st.st_mtime > 2.0:
        _HASHES[key] = h.hexdigest()
    return h.hexdigest()


# ---------------------------------------------------------------------- readers
def _read_arff(name: str, s: SourceSpec) -> RawDataset:
    from lamp_pyg.io.arff import read_arff_dataset, read_mulan_labels
    names = read_mulan_labels(s.labels) if s.labels else None
    return read_arff_dataset(name, s.split_files(), label_names=names, num_labels=s.num_labels,
                             labels_first=s.labels_first, encoding=s.encoding,
                             missing=s.missing, id_attributes=s.id_attributes,
                             sources=[s.labels] if s.labels else [])


def _read_libsvm(name: str, s: SourceSpec) -> RawDataset:
    from lamp_pyg.io.base import read_text_lines
    from lamp_pyg.io.libsvm import read_libsvm_dataset
    names = None
    if s.labels:
        names = [l.strip() for l in read_text_lines(s.labels, s.encoding)]
        names = names[:-1] if names and not names[-1] else names
    return read_libsvm_dataset(name, s.split_files(), label_names=names,
                               num_labels=s.num_labels, zero_based=s.zero_based,
                               encoding=s.encoding)


def _read_text(fmt: str):
    def read(name: str, s: SourceSpec) -> RawDataset:
        from lamp_pyg.io.text_table import read_text_dataset
        kwargs = {k: getattr(s, k) for k in FORMATS[fmt].uses
                  if k not in FILE_KEYS}
        return read_text_dataset(name, s.split_files(), fmt=fmt, **kwargs)
    return read


def _read_numeric(name: str, s: SourceSpec) -> RawDataset:
    from lamp_pyg.io.numeric_table import read_numeric_dataset
    kwargs = {k: getattr(s, k) for k in FORMATS["numeric_table"].uses if k not in FILE_KEYS}
    return read_numeric_dataset(name, s.split_files(), **kwargs)


def _read_whole(module: str, function: str, with_name: bool = False):
    def read(name: str, s: SourceSpec) -> RawDataset:
        import importlib
        reader = getattr(importlib.import_module(module), function)
        return reader(s.path, name) if with_name else reader(s.path)
    return read


def _read_synthetic(name: str, s: SourceSpec) -> RawDataset:
    from lamp_pyg.io.synthetic import make_synthetic
    return make_synthetic()


@dataclass(frozen=True)
class Format:
    """A reader and what it needs.

    Attributes:
        read: ``(name, resolved spec) -> RawDataset``.
        needs: keys that must be set.
        uses: every key it reads (``needs`` included); setting any other key is an error.
        tokenizer: how prediction splits a raw text line into tokens (text formats):
            ``reuters`` (lower-cased, :func:`lamp_pyg.io.reuters.tokenize`) or ``words``
            (lower-cased, split on whitespace).
    """

    read: Callable[[str, SourceSpec], RawDataset]
    needs: Tuple[str, ...]
    uses: Tuple[str, ...]
    tokenizer: Optional[str] = None


_SPLITS = ("train", "valid", "test", "encoding")
_TEXT = ("text_field", "label_field", "id_field", "label_sep", "tokenizer")
FORMATS: Dict[str, Format] = {
    "arff": Format(_read_arff, ("train", "test"),
                   _SPLITS + ("labels", "num_labels", "labels_first", "missing", "id_attributes")),
    "libsvm": Format(_read_libsvm, ("train", "test"),
                     _SPLITS + ("labels", "num_labels", "zero_based")),
    "text_table": Format(_read_text("text_table"), ("train", "test"),
                         _SPLITS + _TEXT + ("columns", "delimiter"), "reuters"),
    "numeric_table": Format(_read_numeric, ("train", "test"),
                            _SPLITS + ("label_field", "label_columns", "num_labels",
                                       "labels_first", "id_field", "label_sep", "columns",
                                       "delimiter", "missing")),
    "jsonl": Format(_read_text("jsonl"), ("train", "test"), _SPLITS + _TEXT, "reuters"),
    "reuters": Format(_read_whole("lamp_pyg.io.reuters", "read_reuters"), ("path",), ("path",),
                      "reuters"),
    "sider": Format(_read_whole("lamp_pyg.io.sider", "read_sider"), ("path",), ("path",)),
    "lamp_text": Format(_read_whole("lamp_pyg.io.lamp_layout", "read_lamp_text", True),
                        ("path",), ("path",), "words"),
    "lamp_pt": Format(_read_whole("lamp_pyg.io.lamp_layout", "read_lamp_pt", True),
                      ("path",), ("path",), "words"),
    "synthetic": Format(_read_synthetic, (), (), "words"),
}
assert tuple(FORMATS) == FORMAT_NAMES


# ---------------------------------------------------------------------- named datasets
@dataclass(frozen=True)
class NamedDataset:
    """A registered dataset: its files' location under the data root and its spec.

    Attributes:
        location: a folder or file under the data root; ``None``: built in, no files.
        spec: the source, its paths relative to the location (``"."``: the location).
        about: one line for ``datasets/prepare.py --list``.
    """

    location: Optional[str]
    spec: SourceSpec
    about: str = ""


DATASETS: Dict[str, NamedDataset] = {}


def register_dataset(name: str, location: Optional[str], *, about: str = "",
                     **spec) -> NamedDataset:
    """Give a dataset a name that configs (``data.name``) and ``datasets/prepare.py`` accept.

    Args:
        name: The name.
        location: Where its files are under the data root (``data.root`` or
            ``$LAMP_PYG_DATA``), a folder or a file; ``data.path`` replaces it.
            ``None`` for data that needs no files.
        about: A one-line description.
        **spec: :class:`SourceSpec` keys, paths relative to the location, e.g.
            ``format="arff", train="x-train.arff", test="x-test.arff", labels="x.xml"``.

    Example::

        register_dataset("birds", "mulan-extra/birds", format="arff",
                         train="birds-train.arff", test="birds-test.arff", labels="birds.xml")
    """
    s = SourceSpec(**spec)
    if s.format is None:
        raise ValueError(f"register_dataset({name!r}): give format=... ({', '.join(FORMAT_NAMES)})")
    s.validate()
    DATASETS[name] = NamedDataset(location, s, about)
    return DATASETS[name]


def _mulan(name: str, about: str) -> None:
    register_dataset(name, f"mulan/{name}", about=about, format="arff",
                     train=f"{name}-train.arff", test=f"{name}-test.arff", labels=f"{name}.xml")


_mulan("bibtex", "MULAN bibtex: 159 labels, 1836 binary word features")
_mulan("delicious", "MULAN delicious: 983 labels, 500 binary word features")
_mulan("yeast", "MULAN yeast: 14 labels, 103 numeric features")
_mulan("emotions", "MULAN emotions: 6 labels, 72 numeric features")
_mulan("scene", "MULAN scene: 6 labels, 294 numeric features")
register_dataset("reuters", "reuters21578", format="reuters", path=".",
                 about="Reuters-21578 SGML, ModApte split, 90 topics")
register_dataset("sider", "sider/sider.csv", format="sider", path=".",
                 about="SIDER MoleculeNet CSV, 27 labels (needs RDKit)")
register_dataset("synthetic", None, format="synthetic",
                 about="built in: 30 labels that depend on each other through a known graph")


def unknown_dataset(name: str) -> ValueError:
    close = difflib.get_close_matches(str(name), DATASETS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return ValueError(f"unknown dataset {name!r}{hint} Known: {', '.join(DATASETS)}; for "
                      f"your own files set data.format ({', '.join(FORMAT_NAMES[:4])}) "
                      "with data.train and data.test")


def resolve_source(name: Optional[str], spec: Optional[SourceSpec] = None,
                   path: Optional[str] = None, data_root: Optional[str] = None) -> SourceSpec:
    """The checked, absolute source of a dataset.

    With ``spec.format`` set (your own files) its paths are taken from ``data_root`` or
    the current directory. Otherwise ``name`` must be registered; its files are under
    ``path``, else under ``data_root`` (else ``$LAMP_PYG_DATA``) at its location.
    """
    if spec is not None and spec.format is not None:
        spec.validate()
        return spec.resolved(Path(os.path.expanduser(data_root)) if data_root else None)
    if name not in DATASETS:
        raise unknown_dataset(name)
    entry = DATASETS[name]
    if entry.location is None:
        return entry.spec
    if path:
        base = Path(os.path.expanduser(path))
    else:
        root = data_root or os.environ.get(ENV_DATA)
        if not root:
            raise FileNotFoundError(
                f"dataset {name!r} reads files you download: set data.root (or ${ENV_DATA}) "
                f"to the folder that contains {entry.location}, or data.path to them")
        base = Path(os.path.expanduser(root)) / entry.location
    if not base.exists():
        raise FileNotFoundError(f"dataset {name!r}: {base} does not exist (set data.path, "
                                f"data.root or ${ENV_DATA} to where the download is)")
    return entry.spec.resolved(base)


# ---------------------------------------------------------------------- one raw input
def tokenizer(name: Optional[str]) -> Callable[[str], List[str]]:
    """How a dataset's texts were tokenised (``reuters`` or ``words``;
    :func:`~lamp_pyg.io.text_table.get_tokenizer`); ``None`` (data cached without the
    name) meant ``words``."""
    return get_tokenizer(name or "words")


def parse_input(kind: str, text: str, tokenizer_name: Optional[str] = None,
                num_features: Optional[int] = None, index_base: int = 0):
    """One raw input line -> the reader's input form for data of ``kind``.

    - ``text``: tokens, as the dataset's format tokenised its texts;
    - ``dense``: ``num_features`` numbers separated by commas or spaces;
    - ``sparse``: ``index:value`` pairs (or bare indices, value 1), indices counted from
      ``index_base`` as in the dataset's files (1 for 1-based LIBSVM files);
    - ``molecule``: a SMILES string (needs RDKit).

    Raises:
        ValueError: an input that does not fit ``kind``, saying what was expected.
    """
    if kind == "text":
        return tokenizer(tokenizer_name)(text)
    if kind == "dense":
        return _parse_dense(text, num_features)
    if kind == "sparse":
        return _parse_sparse(text, num_features, index_base)
    if kind == "molecule":
        from lamp_pyg.io.sider import smiles_to_graph
        return smiles_to_graph(text.strip())
    raise ValueError(f"cannot parse inputs of kind {kind!r}")


def _parse_dense(text: str, num_features: Optional[int]):
    import numpy as np
    try:
        vals = [float(v) for v in text.replace(",", " ").split()]
    except ValueError as e:
        raise ValueError(f"expected {num_features} numbers separated by commas or spaces "
                         f"({e})") from None
    if num_features is not None and len(vals) != num_features:
        raise ValueError(f"expected {num_features} feature values, got {len(vals)}")
    if not all(map(math.isfinite, vals)):
        raise ValueError("feature values must be finite numbers (no nan or inf)")
    return np.asarray(vals)


def _parse_sparse(text: str, num_features: Optional[int], base: int):
    import numpy as np
    pairs = []
    for tok in text.split():
        idx, _, val = tok.partition(":")
        try:
            i, v = int(idx), float(val) if val else 1.0
        except ValueError:
            raise ValueError(f"{tok!r}: expected index:value pairs (e.g. '3:1 17:0.5') or "
                             "feature indices") from None
        if i < base or (num_features is not None and i >= num_features + base):
            end = "" if num_features is None else num_features + base
            raise ValueError(f"feature index {i} is outside [{base}, {end}) "
                             f"({base}-based, as the dataset's files)")
        if not math.isfinite(v):
            raise ValueError(f"{tok!r}: feature values must be finite numbers")
        if v != 0.0:
            pairs.append((i - base, v))
    return (np.asarray([i for i, _ in pairs], dtype=np.int64),
            np.asarray([v for _, v in pairs], dtype=np.float32))
