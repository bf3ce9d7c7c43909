"""LIBSVM / SVMlight multi-label text format (files -> :class:`~lamp_pyg.io.base.RawDataset`).

One sample per line::

    l1,l2,... idx:val idx:val ...   # optional comment

- labels: comma separated non-negative integers (label ids); a line may have no labels,
  in which case it starts directly with the features (the Extreme Classification
  repository writes such lines with a leading space);
- features: ``index:value`` pairs separated by whitespace, indices strictly 0- or
  1-based (see ``zero_based``); SVMlight ``qid:n`` tokens are ignored;
- an optional first line ``N F L`` (rows, features, labels), as in the Extreme
  Classification repository (``train.txt`` / ``test.txt`` of Bibtex, Delicious, EURLex...).

Output is always kind ``'sparse'``: per row, the 0-based feature indices (sorted) and
float32 values, zeros dropped. Values must be finite: ``nan``, ``inf``, ``Infinity``...
and values beyond the float32 range (which would become infinite) raise
:class:`~lamp_pyg.io.base.DataFormatError` with the file and line. Label ``i`` is named
``str(i)``. Only numpy is used.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit, read_text_lines

PathLike = Union[str, Path]

__all__ = ["LibsvmData", "read_libsvm", "read_libsvm_dataset"]

_F32_MAX = float(np.finfo(np.float32).max)


@dataclass
class LibsvmData:
    """One LIBSVM file read into a :class:`RawSplit`.

    Attributes:
        split: The rows (kind ``'sparse'``); ``ids`` are ``"<file name>:<line>"``.
        num_features: Feature index range: the header's ``F``, else ``num_features`` as
            given, else the largest index seen + 1.
        num_labels: Label id range: the header's ``L``, else ``num_labels`` as given,
            else the largest label id seen + 1.
        header: ``(N, F, L)`` if the file had a header line, else ``None``.
        zero_based: Whether its feature indices were read as 0-based.
        skipped: Reason -> count of what was left out (``'blank_lines'``,
            ``'duplicate_labels'``).
        path: The file read.
    """

    split: RawSplit
    num_features: int
    num_labels: int
    header: Optional[Tuple[int, int, int]]
    zero_based: bool
    skipped: Dict[str, int]
    path: str


def _is_header(tokens: List[str]) -> bool:
    return len(tokens) == 3 and all(t.isdigit() for t in tokens)


def _read_header(lines: List[str], path: Path) -> Tuple[Optional[Tuple[int, int, int]], Optional[int], int]:
    """Find the optional ``N F L`` header: the first non-blank, non-comment line.

    Args:
        lines: The file's lines.
        path: The file, for error messages.

    Returns:
        ``(header, header_line, start)``: the ``(N, F, L)`` tuple or ``None``, its
        1-based line (``None`` without a header) and the index of the first line
        that may hold data.

    Raises:
        DataFormatError: The file holds only blank lines and comments.
    """
    for i, ln in enumerate(lines):
        s = ln.split("#", 1)[0].strip()
        if s:
            if _is_header(s.split()):
                return tuple(int(t) for t in s.split()), i + 1, i + 1
            return None, None, 0
    raise DataFormatError(path, None, "empty file: expected LIBSVM rows 'l1,l2 idx:val ...' "
                                      "(optionally after an 'N F L' header)")


def _agree_with_header(header: Tuple[int, int, int], header_line: int, path: Path,
                       num_features: Optional[int], num_labels: Optional[int]) -> Tuple[int, int]:
    """The header's ``(F, L)``, checked against the ranges given by the caller.

    Raises:
        DataFormatError: A given range differs from the header's.
    """
    for given, h, what in ((num_features, header[1], "num_features"),
                           (num_labels, header[2], "num_labels")):
        if given is not None and given != h:
            raise DataFormatError(path, header_line, f"header says {h} but {what}={given} was given: "
                                                     "expected them to agree")
    return header[1], header[2]


def _parse_labels(first: str, path: Path, lineno: int,
                  num_labels: Optional[int]) -> Tuple[List[int], int]:
    """Parse a row's label token ``l1,l2,...``.

    Args:
        first: The token.
        path: The file, for error messages.
        lineno: Its 1-based line, for error messages.
        num_labels: Label id range to enforce, or ``None``.

    Returns:
        ``(labels, duplicates)``: the sorted distinct label ids and how many repeats
        were merged.

    Raises:
        DataFormatError: A label that is not a non-negative integer or is out of range.
    """
    try:
        labs = [int(t) for t in first.split(",")]
    except ValueError:
        raise DataFormatError(path, lineno, f"labels {first[:40]!r}: expected comma separated "
                                            "non-negative integers (no spaces after commas) "
                                            "before the idx:val pairs")
    if any(l < 0 for l in labs):
        raise DataFormatError(path, lineno, f"negative label in {first[:40]!r}: expected "
                                            "non-negative label ids")
    if num_labels is not None and any(l >= num_labels for l in labs):
        raise DataFormatError(path, lineno, f"label {max(labs)} out of range: expected "
                                            f"0..{num_labels - 1}")
    n0 = len(labs)
    labs = sorted(set(labs))
    return labs, n0 - len(labs)


def _parse_features(toks: List[str], path: Path, lineno: int, offset: int,
                    num_features: Optional[int]) -> Tuple[np.ndarray, np.ndarray, int]:
    """Parse a row's ``index:value`` tokens into sorted 0-based indices and float32 values.

    Args:
        toks: The row's feature tokens (``qid:n`` tokens are skipped).
        path: The file, for error messages.
        lineno: The row's 1-based line, for error messages.
        offset: 1 for 1-based indices in the file, 0 for 0-based.
        num_features: Feature index range to enforce, or ``None``.

    Returns:
        ``(idx, val, top)``: int64 indices (ascending) and float32 values with zero
        values dropped, and the largest index of the row before that drop (-1 if the
        row has no features).

    Raises:
        DataFormatError: A malformed pair, a non-integer index, a value that is not a
            finite float32 number, an index out of range or repeated.
    """
    idx_l: List[int] = []
    val_l: List[float] = []
    for t in toks:
        a, sep, b = t.partition(":")
        if not sep:
            raise DataFormatError(path, lineno, f"feature {t[:30]!r}: expected 'index:value' "
                                                "(labels must come first, comma separated)")
        if a == "qid":
            continue
        try:
            j = int(a)
        except ValueError:
            raise DataFormatError(path, lineno, f"feature index {a[:30]!r} is not an integer: "
                                                "expected 'index:value'")
        try:
            v = float(b)
        except ValueError:
            raise DataFormatError(path, lineno, f"feature value {b[:30]!r} (index {a}) is not "
                                                "numeric: expected 'index:value'")
        if not -_F32_MAX <= v <= _F32_MAX:  # also false for NaN
            raise DataFormatError(path, lineno, f"feature value {b[:30]!r} (index {a}) is not a "
                                                "finite float32 number: expected a finite value "
                                                "(NaN and infinity are not accepted; "
                                                f"|value| <= {_F32_MAX:.4g})")
        j -= offset
        if j < 0:
            raise DataFormatError(path, lineno, f"feature index {a} out of range: expected "
                                                f"indices >= {offset} ({offset}-based; see zero_based)")
        if num_features is not None and j >= num_features:
            raise DataFormatError(path, lineno, f"feature index {a} out of range: expected "
                                                f"< {num_features + offset} ({num_features} "
                                                f"features, {offset}-based)")
        idx_l.append(j)
        val_l.append(v)
    return _sorted_nonzero(idx_l, val_l, path, lineno, offset)


def _sorted_nonzero(idx_l: List[int], val_l: List[float], path: Path, lineno: int,
                    offset: int) -> Tuple[np.ndarray, np.ndarray, int]:
    """One row's indices and values as sorted arrays without zero values.

    Returns:
        ``(idx, val, top)`` as :func:`_parse_features` does.

    Raises:
        DataFormatError: An index appears twice.
    """
    idx = np.array(idx_l, dtype=np.int64)
    val = np.array(val_l, dtype=np.float32)
    if idx.size > 1 and not (np.diff(idx) > 0).all():
        order = np.argsort(idx, kind="stable")
        idx, val = idx[order], val[order]
        d = np.flatnonzero(np.diff(idx) == 0)
        if d.size:
            raise DataFormatError(path, lineno, f"feature index {int(idx[d[0]]) + offset} appears "
                                                "twice: expected each index at most once per row")
    if not idx.size:
        return idx, val, -1
    top = int(idx[-1])
    nz = val != 0
    if not nz.all():
        idx, val = idx[nz], val[nz]
    return idx, val, top


@dataclass
class _Rows:
    """The data rows of one file, as :func:`_parse_rows` collects them."""

    inputs: List[Tuple[np.ndarray, np.ndarray]]
    labels: List[List[int]]
    ids: List[str]
    blank: int  # blank lines before data rows (trailing ones are not counted)
    dup_labels: int  # repeated labels merged
    max_label: int  # largest label id seen, -1 if none
    max_feat: int  # largest 0-based feature index seen, -1 if none


def _parse_rows(lines: List[str], start: int, path: Path, offset: int,
                num_features: Optional[int], num_labels: Optional[int]) -> _Rows:
    """Parse the data rows ``lines[start:]`` (comments stripped, blank lines skipped).

    Args:
        lines: The file's lines.
        start: Index of the first line after the header (0 without one).
        path: The file, for error messages and row ids.
        offset: 1 for 1-based feature indices in the file, 0 for 0-based.
        num_features: Feature index range to enforce, or ``None``.
        num_labels: Label id range to enforce, or ``None``.

    Returns:
        The collected :class:`_Rows`.

    Raises:
        DataFormatError: As :func:`_parse_labels` and :func:`_parse_features`.
    """
    fname = path.name
    inputs: List[Tuple[np.ndarray, np.ndarray]] = []
    labels: List[List[int]] = []
    ids: List[str] = []
    blank = dup_labels = pending_blank = 0
    max_label = max_feat = -1
    for i in range(start, len(lines)):
        lineno = i + 1
        s = lines[i]
        if "#" in s:
            s = s[:s.index("#")]
        toks = s.split()
        if not toks:
            if not lines[i].strip():
                pending_blank += 1  # counted only if a data row follows (not trailing newlines)
            continue
        blank += pending_blank
        pending_blank = 0
        if ":" in toks[0]:  # no labels: the row starts with its features
            labs: List[int] = []
            feat_toks = toks
        else:
            labs, dups = _parse_labels(toks[0], path, lineno, num_labels)
            dup_labels += dups
            feat_toks = toks[1:]
            if labs:
                max_label = max(max_label, labs[-1])
        idx, val, top = _parse_features(feat_toks, path, lineno, offset, num_features)
        max_feat = max(max_feat, top)
        inputs.append((idx, val))
        labels.append(labs)
        ids.append(f"{fname}:{lineno}")
    return _Rows(inputs, labels, ids, blank, dup_labels, max_label, max_feat)


def read_libsvm(path: PathLike, *, zero_based: Optional[bool] = None,
                num_features: Optional[int] = None, num_labels: Optional[int] = None,
                encoding: str = "utf-8") -> LibsvmData:
    """Read one multi-label LIBSVM / SVMlight / Extreme Classification file.

    A first line made of exactly three non-negative integers (``N F L``) is taken as a
    header (a data line always has a ``:`` or a ``,`` unless it is a single label). With a
    header, the file must hold exactly ``N`` rows, feature indices must be below ``F`` and
    label ids below ``L``.

    Args:
        path: The text file.
        zero_based: Whether feature indices start at 0. ``None``: 0-based if the file has
            a header (Extreme Classification convention), 1-based otherwise (LIBSVM
            convention). Output indices are always 0-based.
        num_features: Feature index range to enforce when there is no header (a header
            must agree with it if both are given).
        num_labels: Label id range to enforce when there is no header (idem).
        encoding: Text encoding.

    Returns:
        A :class:`LibsvmData`. Blank lines are skipped (and counted); duplicate labels on
        a line are merged (and counted); rows without labels are kept.

    Raises:
        DataFormatError: Malformed labels or ``index:value`` pairs, non-numeric, NaN,
            infinite or beyond-float32 values, indices out of range or repeated, a wrong
            header row count (truncated file), an empty file, or undecodable bytes.
    """
    path = Path(path)
    lines = read_text_lines(path, encoding)
    header, header_line, start = _read_header(lines, path)
    if header is not None:
        num_features, num_labels = _agree_with_header(header, header_line, path,
                                                      num_features, num_labels)
    if zero_based is None:
        zero_based = header is not None
    rows = _parse_rows(lines, start, path, 0 if zero_based else 1, num_features, num_labels)

    if header is not None and len(rows.labels) != header[0]:
        raise DataFormatError(path, header_line, f"header announces {header[0]} rows but the file "
                                                 f"has {len(rows.labels)}: expected them to agree "
                                                 "(truncated file?)")
    if not rows.labels:
        raise DataFormatError(path, header_line or None, "no data rows: expected at least one "
                                                         "'l1,l2 idx:val ...' line")
    skipped = {}
    if rows.blank:
        skipped["blank_lines"] = rows.blank
    if rows.dup_labels:
        skipped["duplicate_labels"] = rows.dup_labels
    return LibsvmData(
        split=RawSplit(kind="sparse", inputs=rows.inputs, labels=rows.labels, ids=rows.ids),
        num_features=num_features if num_features is not None else rows.max_feat + 1,
        num_labels=num_labels if num_labels is not None else rows.max_label + 1,
        header=header, zero_based=zero_based, skipped=skipped, path=str(path))


def read_libsvm_dataset(name: str, files: Mapping[str, PathLike], *,
                        zero_based: Optional[bool] = None, num_features: Optional[int] = None,
                        num_labels: Optional[int] = None,
                        label_names: Optional[Sequence[str]] = None,
                        encoding: str = "utf-8") -> RawDataset:
    """Read several LIBSVM files as the splits of one dataset.

    The feature and label ranges are the largest over the files (headers, if present,
    must agree with each other).

    Args:
        name: Dataset name.
        files: Split name (``'train'``, ``'test'``, optionally ``'valid'``) -> path.
        zero_based: See :func:`read_libsvm`.
        num_features: See :func:`read_libsvm`.
        num_labels: See :func:`read_libsvm`.
        label_names: Names for label ids ``0..L-1`` (e.g. from the data set's label map);
            default ``["0", "1", ...]``.
        encoding: Text encoding.

    Returns:
        A :class:`RawDataset` of kind ``'sparse'``; ``feature_names`` is ``None``;
        ``skipped`` holds ``'<reason>:<split>'`` counts.

    Raises:
        DataFormatError: As :func:`read_libsvm`, or when headers of the files disagree.
    """
    if not files:
        raise ValueError("files must name at least one split")
    range_from_names = label_names is not None and num_labels is None
    if range_from_names:
        num_labels = len(label_names)
    try:
        parts = {split: read_libsvm(p, zero_based=zero_based, num_features=num_features,
                                    num_labels=num_labels, encoding=encoding)
                 for split, p in files.items()}
    except DataFormatError as e:
        if range_from_names and e.message.startswith("label ") and "out of range" in e.message:
            # the range came from the label names: say so (else the data file looks wrong)
            raise DataFormatError(e.path, e.line, f"{e.message}, as only {num_labels} label "
                                  "names are given (data.labels: line i names label id i)") from None
        raise
    bases = {s: p.zero_based for s, p in parts.items()}
    if len(set(bases.values())) > 1:
        first = next(iter(parts.values()))
        raise DataFormatError(first.path, 1, f"some files have the 'N F L' header of 0-based "
                              f"files and some do not ({bases}): expected one convention; "
                              "pass zero_based (data.zero_based)")
    headers = {s: p.header for s, p in parts.items() if p.header is not None}
    if headers:
        ref_split, ref = next(iter(headers.items()))
        for s, h in headers.items():
            if h[1:] != ref[1:]:
                raise DataFormatError(parts[s].path, 1, f"header F={h[1]} L={h[2]} differs from "
                                      f"{ref_split}'s F={ref[1]} L={ref[2]}: expected the same ranges")
    n_feat = max(p.num_features for p in parts.values())
    n_lab = max(p.num_labels for p in parts.values())
    if label_names is None:
        label_names = [str(i) for i in range(n_lab)]
    elif len(label_names) < n_lab:
        raise ValueError(f"{len(label_names)} label_names for {n_lab} label ids")
    skipped = {f"{k}:{s}": v for s, p in parts.items() for k, v in p.skipped.items()}
    return RawDataset(name=name, splits={s: p.split for s, p in parts.items()},
                      label_names=list(label_names), feature_names=None, num_features=n_feat,
                      skipped=skipped, sources=[p.path for p in parts.values()],
                      index_base=0 if next(iter(bases.values())) else 1)
