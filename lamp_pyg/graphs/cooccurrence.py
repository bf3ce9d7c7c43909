r"""Sparse co-occurrence counts :math:`C = \mathbf{Y}^{\top}\mathbf{Y}` of the training labels.

:math:`C_{ab}` is the number of training examples carrying both labels :math:`a` and
:math:`b` (:math:`C_{aa}` = frequency of label :math:`a`, kept in
:attr:`~lamp_pyg.graphs.labels.Labels.freq`).  :math:`C` is only ever produced as a
stream of its non-zero off-diagonal entries (:func:`pair_blocks`), never as a dense
:math:`L \times L` matrix, so memory stays bounded for :math:`L` in the tens of
thousands.
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple

import numpy as np

from lamp_pyg.graphs.labels import Labels

__all__ = ["count_block", "lookup_counts", "pair_blocks"]

# Upper bound on the number of (label, label) pairs materialised at once while
# counting co-occurrences (8 MB per int64 temporary). A single example with c labels
# always yields c^2 pairs at once.
_MAX_PAIRS_PER_CHUNK = 1 << 20

Block = Tuple[np.ndarray, np.ndarray, np.ndarray]


def count_block(lab: Labels, pos: np.ndarray, row_of: np.ndarray,
                row_len: np.ndarray) -> Block:
    """Counts the pairs (label at CSR position ``pos``, any other label of its row).

    Args:
        lab (Labels): The training labels.
        pos (numpy.ndarray): CSR positions, sorted by label.
        row_of (numpy.ndarray): The row of every CSR position.
        row_len (numpy.ndarray): The number of labels of that row.

    Returns:
        tuple: ``(a, b, count)`` sorted by ``(a, b)``, ``a`` the label at ``pos``.
    """
    L = lab.num_labels
    r = row_of[pos]
    cc = row_len[pos]
    total = int(cc.sum())
    offs = np.repeat(np.cumsum(cc) - cc, cc)
    q = np.repeat(lab.indptr[r], cc) + (np.arange(total, dtype=np.int64) - offs)
    other = q != np.repeat(pos, cc)
    a = np.repeat(lab.indices[pos], cc)[other]
    b = lab.indices[q[other]]
    a0 = int(lab.indices[pos[0]])
    span = int(lab.indices[pos[-1]]) - a0 + 1
    if span * L <= max(4 * total, L):  # small key range: count without sorting
        cnt = np.bincount((a - a0) * L + b, minlength=span * L)
        key = np.flatnonzero(cnt)
        cnt = cnt[key]
        key += a0 * L
    else:
        key, cnt = np.unique(a * L + b, return_counts=True)
    return key // L, key % L, cnt.astype(np.int64)


def _count_one_label(lab: Labels, pos: np.ndarray, row_of: np.ndarray, row_len: np.ndarray,
                     cum: np.ndarray, lo: int, end: int, chunk: int) -> Block:
    """All pairs of the single label at ``pos[lo:end]`` (more than ``chunk`` of them),
    counted in pieces of about ``chunk`` pairs into a length-:math:`L` accumulator."""
    a = int(lab.indices[pos[lo]])
    acc = np.zeros(lab.num_labels, dtype=np.int64)
    while lo < end:
        base = int(cum[lo - 1]) if lo else 0
        stop = min(max(int(np.searchsorted(cum, base + chunk, side="right")), lo + 1), end)
        _, b, cnt = count_block(lab, pos[lo:stop], row_of, row_len)
        acc[b] += cnt
        lo = stop
    b = np.flatnonzero(acc)
    return np.full(b.size, a, dtype=np.int64), b, acc[b]


def pair_blocks(lab: Labels, chunk: Optional[int] = None) -> Iterator[Block]:
    r"""Streams the off-diagonal co-occurrence counts :math:`C_{ab} > 0, a \neq b`.

    Yields ``(a, b, count)`` blocks holding *all* pairs of a contiguous range of
    labels :math:`a`, sorted by ``(a, b)``; successive blocks have increasing
    :math:`a`.  A block materialises at most about ``chunk`` pairs at a time (a
    label whose pairs alone exceed that is counted in pieces with a length-:math:`L`
    accumulator), so memory is bounded by ``chunk`` and :math:`L`, never by
    :math:`L^2` or by the number of non-zeros of :math:`C`.

    Args:
        lab (Labels): The training labels.
        chunk (int, optional): Pairs per block. (default: ``_MAX_PAIRS_PER_CHUNK``,
            read at call time)
    """
    chunk = _MAX_PAIRS_PER_CHUNK if chunk is None else chunk
    lengths = np.diff(lab.indptr)
    row_of = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    row_len = lengths[row_of]  # for every CSR entry: how many labels its row has
    pos = np.flatnonzero(row_len > 1)
    pos = pos[np.argsort(lab.indices[pos], kind="stable")]  # grouped by label a
    if pos.size == 0:
        return
    labels = lab.indices[pos]
    cum = np.cumsum(row_len[pos])
    lo = 0
    while lo < pos.size:
        base = int(cum[lo - 1]) if lo else 0
        hi = int(np.searchsorted(cum, base + chunk, side="right"))
        if hi < pos.size:  # snap back to the first entry of label `labels[hi]`
            hi = int(np.searchsorted(labels, labels[hi], side="left"))
        if hi > lo:
            yield count_block(lab, pos[lo:hi], row_of, row_len)
            lo = hi
            continue
        # A single label with more than `chunk` pairs: accumulate over its rows.
        end = int(np.searchsorted(labels, labels[lo], side="right"))
        yield _count_one_label(lab, pos, row_of, row_len, cum, lo, end, chunk)
        lo = end


def lookup_counts(src: np.ndarray, dst: np.ndarray, lab: Labels) -> np.ndarray:
    """Co-occurrence counts :math:`C_{dst, src}` of arbitrary label pairs.

    Args:
        src (numpy.ndarray): ``Long[E]`` source labels.
        dst (numpy.ndarray): ``Long[E]`` target labels.
        lab (Labels): The training labels.

    Returns:
        numpy.ndarray: ``Long[E]`` counts (label frequency for ``src == dst``).
    """
    L = lab.num_labels
    out = np.zeros(src.size, dtype=np.int64)
    loop = src == dst
    out[loop] = lab.freq[src[loop]]
    query = dst[~loop] * L + src[~loop]
    if query.size == 0:
        return out
    wanted = np.unique(query)
    keys, counts = [], []
    for a, b, cnt in pair_blocks(lab):
        key = a * L + b
        pos = np.clip(np.searchsorted(wanted, key), 0, wanted.size - 1)
        hit = wanted[pos] == key
        keys.append(key[hit])
        counts.append(cnt[hit])
    if keys:
        key = np.concatenate(keys)  # sorted: blocks come in increasing (a, b) order
        cnt = np.concatenate(counts)
        if key.size:
            pos = np.clip(np.searchsorted(key, query), 0, key.size - 1)
            hit = key[pos] == query
            vals = np.zeros(query.size, dtype=np.int64)
            vals[hit] = cnt[pos[hit]]
            out[~loop] = vals
    return out
