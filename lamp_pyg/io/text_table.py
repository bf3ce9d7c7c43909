"""Tables of texts with their label lists: CSV, TSV and JSON Lines.

The formats users most often arrive with (files -> :class:`~lamp_pyg.io.base.RawDataset`):

- **CSV / TSV** (``format: text_table``): one row per sample, a text column and a label
  column. The first row names the columns, unless ``columns`` names them (then every
  row is data). LibMultiLabel's ``id<TAB>label1 label2<TAB>text`` files are
  ``columns=["id", "labels", "text"]``. The delimiter is a tab for ``.tsv`` / ``.txt``
  files and a comma otherwise (``delimiter`` overrides it). Comma-separated files follow
  RFC 4180 quoting (a quoted field may hold commas and newlines); tab-separated files are
  read literally, without quote processing, as LibMultiLabel does.
- **JSON Lines** (``format: jsonl``): one JSON object per line, e.g.
  ``{"text": "...", "labels": ["a", "b"]}``; the label field is a list of strings or
  numbers, or one string split like a table cell. Blank lines are skipped and counted.

Labels are kept as given (any strings; ``label_sep`` splits a cell, default: any
whitespace). Texts are lower-cased and tokenised by ``tokenizer`` (:func:`get_tokenizer`):
``reuters`` (the default) exactly as Reuters (:func:`lamp_pyg.io.reuters.tokenize`),
``words`` on whitespace only; prediction encodes new text the same way. A
sample with an empty text or no label is kept here (the dataset step decides, and
counts, what it drops). Every problem raises :class:`~lamp_pyg.io.base.DataFormatError`
naming the file and line.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit, read_text_lines
from lamp_pyg.io.reuters.tokens import tokenize as reuters_tokenize

PathLike = Union[str, Path]
Fields = Union[str, Sequence[str]]

__all__ = ["TOKENIZERS", "get_tokenizer", "read_text_table", "read_jsonl", "read_text_dataset",
           "split_labels"]


#: How texts become tokens (``data.tokenizer``); the first is the default.
TOKENIZERS = ("reuters", "words")


def get_tokenizer(name: Optional[str]) -> Callable[[str], List[str]]:
    """The tokenizer called ``name`` (``None``: ``reuters``): ``reuters`` lower-cases and
    keeps words and numbers (punctuation and ``_`` separate, :data:`~lamp_pyg.io.reuters.
    TOKEN_PATTERN`); ``words`` lower-cases and splits on whitespace only, so pre-tokenised
    inputs (``tag_a``, ``c01.2``, ``#ml``) stay whole."""
    if name in (None, "reuters"):
        return reuters_tokenize
    if name == "words":
        return _words
    raise ValueError(f"unknown tokenizer {name!r}: expected one of {', '.join(TOKENIZERS)}")


def _words(text: str) -> List[str]:
    return text.lower().split()


def split_labels(cell: str, label_sep: Optional[str]) -> List[str]:
    """The labels of one table cell: split on ``label_sep`` (default whitespace), stripped,
    empty pieces and repeats removed (first occurrence kept)."""
    parts = cell.split() if label_sep is None else [p.strip() for p in cell.split(label_sep)]
    return list(dict.fromkeys(p for p in parts if p))


def _as_list(fields: Fields) -> List[str]:
    return [fields] if isinstance(fields, str) else list(fields)


def _default_delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() in (".tsv", ".txt", ".tab") else ","


def _column_index(path: Path, names: List[str], wanted: Fields, key: str) -> List[int]:
    missing = [w for w in _as_list(wanted) if w not in names]
    if missing:
        raise DataFormatError(path, 1, f"no column {missing[0]!r} ({key}); the columns are "
                                       f"{names}: set data.{key} to one of them")
    return [names.index(w) for w in _as_list(wanted)]


def _lines(path: Path, encoding: str) -> List[str]:
    """The file's lines, without the empty string after a final newline."""
    lines = read_text_lines(path, encoding)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _table_rows(path: Path, delimiter: str, encoding: str, skipped: Dict[str, int]):
    """(line number, fields) per non-blank record of a delimited file; blank lines are
    counted in ``skipped``."""
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader((line + "\n" for line in _lines(path, encoding)), delimiter=delimiter,
                        quoting=quoting, strict=True)
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield start, row
            else:
                skipped["blank lines"] = skipped.get("blank lines", 0) + 1
            start = reader.line_num + 1
    except csv.Error as e:
        raise DataFormatError(path, reader.line_num, f"malformed row ({e}): expected "
                              f"{'tab' if delimiter == chr(9) else repr(delimiter)}-separated "
                              "fields") from None


def open_table(path: Path, columns: Optional[Sequence[str]], delimiter: Optional[str],
               encoding: str):
    """``(column names, rows, skipped)`` of a delimited file: the names from ``columns`` or
    the header row; ``rows`` yields (line number, fields) and fills ``skipped``."""
    skipped: Dict[str, int] = {}
    rows = _table_rows(path, delimiter or _default_delimiter(path), encoding, skipped)
    if columns is not None:
        return list(columns), rows, skipped
    first = next(rows, None)
    if first is None:
        raise DataFormatError(path, None, "empty file: expected a header row naming the "
                                          "columns, then one row per sample")
    return [c.strip() for c in first[1]], rows, skipped


def read_text_table(path: PathLike, *, text_field: Fields = "text", label_field: str = "labels",
                    id_field: Optional[str] = None, columns: Optional[Sequence[str]] = None,
                    delimiter: Optional[str] = None, label_sep: Optional[str] = None,
                    tokenizer: Optional[str] = None,
                    encoding: str = "utf-8") -> Tuple[RawSplit, Dict[str, int]]:
    """Read one CSV / TSV file of texts and label lists.

    Args:
        path: The file.
        text_field: The text column, or several (joined with a space, e.g. title and body).
        label_field: The label column.
        id_field: A column of record ids (for messages); default ``<file>:<line>``.
        columns: Names of the columns when the file has no header row.
        delimiter: Field separator; default tab for ``.tsv``/``.txt``/``.tab``, else comma.
        label_sep: Separator between labels in a cell; default any whitespace.
        tokenizer: How texts become tokens (:data:`TOKENIZERS`; default ``reuters``).
        encoding: Text encoding.

    Returns:
        ``(split, skipped)``: a ``'text'`` :class:`RawSplit` whose labels are label
        *strings* (turned into indices by :func:`read_text_dataset`) and the counts of
        blank lines skipped.
    """
    path = Path(path)
    tokenize = get_tokenizer(tokenizer)
    names, rows, skipped = open_table(path, columns, delimiter, encoding)
    text_cols = _column_index(path, names, text_field, "text_field")
    label_col = _column_index(path, names, label_field, "label_field")[0]
    id_col = _column_index(path, names, id_field, "id_field")[0] if id_field else None
    inputs, labels, ids = [], [], []
    for line, row in rows:
        if len(row) != len(names):
            raise DataFormatError(path, line, f"{len(row)} fields: expected {len(names)} "
                                              f"({', '.join(names)})")
        inputs.append(tokenize(" ".join(row[c] for c in text_cols)))
        labels.append(split_labels(row[label_col], label_sep))
        ids.append(row[id_col] if id_col is not None else f"{path.name}:{line}")
    return RawSplit("text", inputs, labels, ids), skipped


def _json_labels(value, path: Path, line: int, key: str, label_sep: Optional[str]) -> List[str]:
    if isinstance(value, str):
        return split_labels(value, label_sep)
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                       for v in value):
        return list(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    raise DataFormatError(path, line, f"{key!r} is {json.dumps(value)[:60]}: expected a list "
                                      "of label strings or one string of labels")


def read_jsonl(path: PathLike, *, text_field: Fields = "text", label_field: str = "labels",
               id_field: Optional[str] = None, label_sep: Optional[str] = None,
               tokenizer: Optional[str] = None,
               encoding: str = "utf-8") -> Tuple[RawSplit, Dict[str, int]]:
    """Read one JSON Lines file of ``{text_field: str, label_field: [labels]}`` objects.

    Arguments and result as :func:`read_text_table` (no ``columns`` / ``delimiter``).
    """
    path = Path(path)
    tokenize = get_tokenizer(tokenizer)
    inputs, labels, ids, blank = [], [], [], 0
    for line, raw in enumerate(_lines(path, encoding), start=1):
        if not raw.strip():
            blank += 1
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            raise DataFormatError(path, line, f"not valid JSON ({e.msg}): expected one "
                                              "object per line") from None
        if not isinstance(obj, dict):
            raise DataFormatError(path, line, "expected a JSON object per line")
        for key in _as_list(text_field) + [label_field] + ([id_field] if id_field else []):
            if key not in obj:
                raise DataFormatError(path, line, f"no key {key!r}: the keys are "
                                                  f"{sorted(obj)}")
        texts = [obj[k] for k in _as_list(text_field)]
        for k, t in zip(_as_list(text_field), texts):
            if not isinstance(t, str):
                raise DataFormatError(path, line, f"{k!r} must be a string, got "
                                                  f"{json.dumps(t)[:60]}")
        inputs.append(tokenize(" ".join(texts)))
        labels.append(_json_labels(obj[label_field], path, line, label_field, label_sep))
        ids.append(str(obj[id_field]) if id_field else f"{path.name}:{line}")
    return RawSplit("text", inputs, labels, ids), ({"blank lines": blank} if blank else {})


def read_text_dataset(name: str, files: Mapping[str, PathLike], *, fmt: str = "text_table",
                      **kwargs) -> RawDataset:
    """Several text files (``'train'``, ``'test'``, optionally ``'valid'``) as one dataset.

    Label names are every label string seen in any split, sorted; the dataset step keeps
    those seen in training. ``fmt`` is ``'text_table'`` or ``'jsonl'``; ``kwargs`` go to
    :func:`read_text_table` / :func:`read_jsonl`.
    """
    read = {"text_table": read_text_table, "jsonl": read_jsonl}[fmt]
    parts = {split: read(p, **kwargs) for split, p in files.items()}
    names = sorted({l for split, _ in parts.values() for labs in split.labels for l in labs})
    index = {n: i for i, n in enumerate(names)}
    splits, skipped = {}, {}
    for s, (split, skip) in parts.items():
        splits[s] = RawSplit("text", split.inputs,
                             [sorted(index[l] for l in labs) for labs in split.labels], split.ids)
        skipped.update({f"{k} ({s})": v for k, v in skip.items()})
    return RawDataset(name=name, splits=splits, label_names=names, skipped=skipped,
                      sources=[str(p) for p in files.values()])
