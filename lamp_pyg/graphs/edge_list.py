r"""Parsing user-supplied label edges (``kind="given"``): a file or a list of pairs.

An edge-list file holds one whitespace-separated pair ``a b`` per line (the edge
:math:`a \rightarrow b`); blank lines and ``#`` comments are skipped, so label names
cannot contain whitespace or ``#``.  A label is given by name or by index: a string
that is a label name is always read as that name, otherwise a string of decimal
digits is read as an index.  Every error names the bad entry: for a file its path
and 1-based line, for in-memory pairs the 0-based position of the pair.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np
from torch import Tensor

from lamp_pyg.graphs.labels import is_int_like
from lamp_pyg.io.base import DataFormatError, read_text_lines

__all__ = ["EdgeInput", "parse_edges", "read_edge_file", "read_edge_pairs", "resolve_label"]

EdgeInput = Union[str, os.PathLike, Iterable, np.ndarray, Tensor]
Pairs = Tuple[List[int], List[int]]


def resolve_label(token: Any, index: Dict[str, int], num_labels: int) -> Optional[int]:
    """Label name or index -> index; ``None`` if unknown. Names take precedence over
    numeric strings; only decimal-digit strings that :func:`int` can read are indices."""
    if isinstance(token, Tensor) and token.dim() == 0 and not token.is_floating_point():
        token = int(token)
    if is_int_like(token):
        return int(token) if 0 <= int(token) < num_labels else None
    if isinstance(token, str):
        if token in index:
            return index[token]
        if token.isdecimal():
            try:
                i = int(token)
            except ValueError:  # more digits than int() reads
                return None
            return i if i < num_labels else None
    return None


def _unknown(token: Any, num_labels: int) -> str:
    return (f"unknown label {token!r} (expected a label name or an index in "
            f"[0, {num_labels}))")


def _text_lines(path: str) -> List[str]:
    """The file's lines as text-mode :func:`open` yields them (``\\n``, ``\\r\\n`` and a
    lone ``\\r`` all end a line), with a leading BOM dropped."""
    try:
        lines = read_text_lines(path)
    except DataFormatError as e:
        what = e.message.partition(": expected")[0]
        raise DataFormatError(path, e.line, f"{what}: expected a UTF-8 text file of label "
                              f"pairs 'a b', one per line") from None
    return "\n".join(lines).replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_edge_file(path: Union[str, os.PathLike], index: Dict[str, int],
                   num_labels: int) -> Pairs:
    """Reads an edge-list file.

    Args:
        path (str or os.PathLike): The file.
        index (dict): Label name -> index.
        num_labels (int): :math:`L`.

    Returns:
        tuple: ``(sources, targets)``, lists of label indices in file order.

    Raises:
        ValueError: :class:`~lamp_pyg.io.base.DataFormatError` naming the file and
            line for bytes that are not UTF-8, a line that is not a pair, or an
            unknown label.
    """
    src: List[int] = []
    dst: List[int] = []
    path = os.fspath(path)
    for lineno, line in enumerate(_text_lines(path), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        if len(tokens) == 1:
            raise DataFormatError(path, lineno, f"expected a pair 'a b' of labels, got only "
                                  f"{tokens[0]!r}")
        if len(tokens) > 2:
            raise DataFormatError(path, lineno, f"expected a pair 'a b' of labels, got the "
                                  f"extra token {tokens[2]!r}")
        ids = []
        for tok in tokens:
            i = resolve_label(tok, index, num_labels)
            if i is None:
                raise DataFormatError(path, lineno, _unknown(tok, num_labels))
            ids.append(i)
        src.append(ids[0])
        dst.append(ids[1])
    return src, dst


def _read_index_array(edges: np.ndarray, num_labels: int) -> Pairs:
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"expected edge pairs of shape [E, 2], got an array of shape "
                         f"{edges.shape}")
    bad = (edges < 0) | (edges >= num_labels)
    if bad.any():
        e = int(np.flatnonzero(bad.any(axis=1))[0])
        tok = int(edges[e][bad[e]][0])
        raise ValueError(f"edge {e}: {_unknown(tok, num_labels)}")
    return edges[:, 0].tolist(), edges[:, 1].tolist()


def read_edge_pairs(edges: Any, index: Dict[str, int], num_labels: int) -> Pairs:
    """Reads in-memory edges: an iterable of pairs or an integer array ``[E, 2]``.

    Args:
        edges: Pairs ``(a, b)`` of label names or indices, or an integer numpy
            array / torch tensor of shape ``[E, 2]``.
        index (dict): Label name -> index.
        num_labels (int): :math:`L`.

    Returns:
        tuple: ``(sources, targets)``, lists of label indices in input order.

    Raises:
        ValueError: Naming the position ``edge e`` of a pair that is not a pair or
            holds an unknown label, or for an array not of shape ``[E, 2]`` or
            input that is not iterable.
    """
    if isinstance(edges, Tensor):
        edges = edges.detach().cpu().numpy()
    if isinstance(edges, np.ndarray) and edges.dtype.kind in "iu":
        return _read_index_array(edges, num_labels)
    try:
        pairs = iter(edges)
    except TypeError:
        raise ValueError(f"expected edges to be a path to an edge-list file, an iterable "
                         f"of label pairs or an integer array [E, 2], got "
                         f"{type(edges).__name__}") from None
    src: List[int] = []
    dst: List[int] = []
    for e, pair in enumerate(pairs):
        if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"edge {e}: expected a pair (a, b) of label names or indices, "
                             f"got {pair!r}")
        ids = []
        for tok in pair:
            i = resolve_label(tok, index, num_labels)
            if i is None:
                raise ValueError(f"edge {e}: {_unknown(tok, num_labels)}")
            ids.append(i)
        src.append(ids[0])
        dst.append(ids[1])
    return src, dst


def parse_edges(edges: EdgeInput, index: Dict[str, int],
                num_labels: int) -> Tuple[List[int], List[int], Optional[str]]:
    """Reads edges from a file path or from memory.

    Returns:
        tuple: ``(sources, targets, source)`` with ``source`` the file path, or
        ``None`` for in-memory edges.

    Raises:
        ValueError: For a missing file, and as :func:`read_edge_file` and
            :func:`read_edge_pairs`.
    """
    if isinstance(edges, (str, os.PathLike)):
        source = os.fspath(edges)
        if not os.path.isfile(source):
            raise ValueError(f"edge list file not found: {source}")
        return (*read_edge_file(source, index, num_labels), source)
    return (*read_edge_pairs(edges, index, num_labels), None)
