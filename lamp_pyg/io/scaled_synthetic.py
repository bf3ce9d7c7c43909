r"""Synthetic multi-label data at 1,000 to 100,000 labels, with a known label graph.

The idea of :mod:`lamp_pyg.io.synthetic` (labels that only the label graph gets right)
at extreme-classification scale, generated vectorised and memory-lean: no ``[N, L]``
array is ever built, so 100,000 labels cost what the label lists cost.

Design
------
Labels come in ``num_groups`` groups of ``base_per_group`` **base** labels followed by
``derived_per_group`` **derived** labels (label ids group after group). A sample draws
1 to ``max_groups`` distinct groups, group :math:`g` with probability
:math:`\propto (g + 1)^{-\mathrm{zipf}}` (a long tail, as in real extreme data: group 0
is the most frequent). In each drawn group every base label is on with probability
``base_prob`` (at least one is on). Derived label :math:`j` of a group is on iff at
least ``thresholds[j % len(thresholds)]`` of its ``parents`` parents are on: the base
labels :math:`j, j+1, \dots, j+m-1` (modulo ``base_per_group``) of the same group.

Inputs are **sparse bags of features** (``RawSplit`` kind ``'sparse'``: per sample the
sorted feature ids and their counts): every base label owns ``tokens_per_label``
features and, when on, emits 1 to ``max_repeat`` draws of them; every sample adds
``noise_tokens`` draws from ``noise_vocab`` shared noise features. Derived labels emit
nothing: a linear model over the bag sees how often parent features occur, not how many
distinct parents are on, while label -> label attention over the group (the known graph,
:meth:`ScaledSpec.label_edges`) can count the parents' states.

Example::

    spec = ScaledSpec.for_labels(10_000)
    raw = make_scaled_synthetic(spec, num_train=20_000, num_test=2_000, seed=0)
    edges = spec.label_edges()          # [2, E] within-group cliques with self-loops
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from lamp_pyg.io.base import RawDataset, RawSplit

__all__ = ["ScaledSpec", "make_scaled_synthetic", "write_xc_files"]


@dataclass(frozen=True)
class ScaledSpec:
    """The structure of the scaled synthetic data (independent of the seed).

    Attributes:
        num_groups, base_per_group, derived_per_group: ``L = num_groups * (base + derived)``.
        parents: parents of each derived label (``<= base_per_group``).
        thresholds: derived label ``j`` needs ``thresholds[j % len]`` parents on.
        tokens_per_label: features owned by each base label.
        noise_vocab: shared noise features (ids after the label features).
    """

    num_groups: int
    base_per_group: int = 8
    derived_per_group: int = 2
    parents: int = 4
    thresholds: Tuple[int, ...] = (2, 3)
    tokens_per_label: int = 2
    noise_vocab: int = 1000

    def __post_init__(self):
        for name in ("num_groups", "base_per_group", "tokens_per_label"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.derived_per_group < 0 or self.noise_vocab < 0:
            raise ValueError("derived_per_group and noise_vocab must be >= 0")
        if not 1 <= self.parents <= self.base_per_group:
            raise ValueError(f"parents must be in [1, base_per_group={self.base_per_group}], "
                             f"got {self.parents}")
        if not self.thresholds or not all(1 <= t <= self.parents for t in self.thresholds):
            raise ValueError(f"thresholds must be in [1, parents={self.parents}], "
                             f"got {self.thresholds!r}")

    @classmethod
    def for_labels(cls, num_labels: int, **kw) -> "ScaledSpec":
        """The spec with ``num_labels`` labels (a multiple of the group size, 10 by default)."""
        size = kw.get("base_per_group", 8) + kw.get("derived_per_group", 2)
        if num_labels < size or num_labels % size:
            raise ValueError(f"num_labels must be a positive multiple of the group size "
                             f"{size}, got {num_labels}")
        return cls(num_groups=num_labels // size, **kw)

    @property
    def group_size(self) -> int:
        return self.base_per_group + self.derived_per_group

    @property
    def num_labels(self) -> int:
        return self.num_groups * self.group_size

    @property
    def num_features(self) -> int:
        return self.num_groups * self.base_per_group * self.tokens_per_label + self.noise_vocab

    def local_parents(self) -> np.ndarray:
        """``[derived_per_group, parents]``: the parents' positions within a group."""
        j = np.arange(self.derived_per_group)[:, None]
        return (j + np.arange(self.parents)[None, :]) % self.base_per_group

    def local_thresholds(self) -> np.ndarray:
        """``[derived_per_group]``: how many parents each derived label needs."""
        t = np.asarray(self.thresholds, dtype=np.int64)
        return t[np.arange(self.derived_per_group) % t.size]

    def is_derived(self, label) -> np.ndarray:
        return np.asarray(label) % self.group_size >= self.base_per_group

    def label_names(self) -> List[str]:
        b, d = self.base_per_group, self.derived_per_group
        local = [f"b{i}" for i in range(b)] + [f"d{j}" for j in range(d)]
        return [f"g{g}_{name}" for g in range(self.num_groups) for name in local]

    def label_edges(self) -> np.ndarray:
        """``[2, G * size^2]`` int64 (source, target): each group a clique with self-loops."""
        s = self.group_size
        src, dst = np.meshgrid(np.arange(s), np.arange(s), indexing="ij")
        offs = (np.arange(self.num_groups) * s)[:, None]
        return np.stack([(offs + src.reshape(1, -1)).reshape(-1),
                         (offs + dst.reshape(1, -1)).reshape(-1)])

    def derived_from(self, labels: Sequence[int]) -> List[int]:
        """The derived labels the rule turns on given a sample's label list."""
        labels = np.asarray(labels, dtype=np.int64)
        out = []
        for g in np.unique(labels // self.group_size):
            pos = labels[labels // self.group_size == g] % self.group_size
            on = np.zeros(self.base_per_group, dtype=bool)
            on[pos[pos < self.base_per_group]] = True
            hit = on[self.local_parents()].sum(axis=1) >= self.local_thresholds()
            out += [int(g * self.group_size + self.base_per_group + j) for j in np.flatnonzero(hit)]
        return out


def _split_by_row(rows: np.ndarray, values: np.ndarray, n: int) -> List[np.ndarray]:
    """``values`` (sorted by ``rows``) cut into ``n`` per-row arrays."""
    return np.split(values, np.searchsorted(rows, np.arange(1, n)))


def _generate(spec: ScaledSpec, n: int, rng: np.random.Generator, base_prob: float,
              max_groups: int, zipf: float, max_repeat: int,
              noise: Tuple[int, int], prefix: str) -> RawSplit:
    """Groups, base labels, derived labels by rule, then the feature bags: all vectorised."""
    G, b, size = spec.num_groups, spec.base_per_group, spec.group_size
    p = (np.arange(1, G + 1, dtype=np.float64)) ** -zipf
    k = rng.integers(1, max_groups + 1, size=n)  # groups drawn per sample (distinct kept)
    pair_row = np.repeat(np.arange(n), k)
    pair_group = rng.choice(G, size=pair_row.size, p=p / p.sum())
    key = np.unique(pair_row * G + pair_group)
    pair_row, pair_group = key // G, key % G
    on = rng.random((key.size, b)) < base_prob  # [pairs, b]
    none = ~on.any(axis=1)
    on[np.flatnonzero(none), rng.integers(0, b, size=int(none.sum()))] = True
    derived = on[:, spec.local_parents()].sum(axis=2) >= spec.local_thresholds()  # [pairs, d]

    local = np.concatenate([on, derived], axis=1)  # [pairs, size]
    r, c = np.nonzero(local)
    labels = _split_by_row(pair_row[r], pair_group[r] * size + c, n)

    # features: each base label that is on emits 1..max_repeat of its own features
    base_global = pair_group[r[c < b]] * b + c[c < b]
    reps = rng.integers(1, max_repeat + 1, size=base_global.size)
    f_row = np.repeat(pair_row[r[c < b]], reps)
    f_id = np.repeat(base_global, reps) * spec.tokens_per_label + rng.integers(
        0, spec.tokens_per_label, size=reps.sum())
    n_noise = rng.integers(noise[0], noise[1] + 1, size=n) if spec.noise_vocab else np.zeros(n, int)
    noise_start = G * b * spec.tokens_per_label
    f_row = np.concatenate([f_row, np.repeat(np.arange(n), n_noise)])
    f_id = np.concatenate([f_id, noise_start + rng.integers(0, max(spec.noise_vocab, 1),
                                                            size=n_noise.sum())])
    fkey, counts = np.unique(f_row * spec.num_features + f_id, return_counts=True)
    rows = fkey // spec.num_features
    ids = _split_by_row(rows, fkey % spec.num_features, n)
    vals = _split_by_row(rows, counts.astype(np.float32), n)
    inputs = [(i.astype(np.int64), v) for i, v in zip(ids, vals)]
    return RawSplit("sparse", inputs, [lab.tolist() for lab in labels],
                    [f"{prefix}-{i}" for i in range(n)])


def make_scaled_synthetic(spec: ScaledSpec, num_train: int = 20_000, num_test: int = 2_000,
                          seed: int = 0, *, base_prob: float = 0.3, max_groups: int = 3,
                          zipf: float = 1.0, max_repeat: int = 3,
                          noise_tokens: Tuple[int, int] = (5, 20)) -> RawDataset:
    """Generates the data of ``spec`` (see the module docstring).

    Args:
        spec: the structure (:meth:`ScaledSpec.for_labels`).
        num_train, num_test: rows of the ``train`` and ``test`` splits.
        seed: the same arguments always give the same data; the test split does not
            change with ``num_train``.
        base_prob: probability of each base label of a drawn group.
        max_groups: a sample draws 1..max_groups groups (duplicates merged).
        zipf: exponent of the group popularity.
        max_repeat: draws of its features per base label that is on.
        noise_tokens: ``(min, max)`` noise draws per sample.

    Returns:
        RawDataset ``'scaled_synthetic'`` of kind ``'sparse'`` (values: feature counts).
    """
    for name, value, low in (("num_train", num_train, 0), ("num_test", num_test, 0),
                             ("max_groups", max_groups, 1), ("max_repeat", max_repeat, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0.0 <= base_prob <= 1.0 or zipf < 0:
        raise ValueError(f"base_prob must be in [0, 1] and zipf >= 0, got {base_prob}, {zipf}")
    lo, hi = (int(v) for v in noise_tokens)
    if not 0 <= lo <= hi:
        raise ValueError(f"noise_tokens must be (min, max) with 0 <= min <= max, "
                         f"got {noise_tokens}")
    train_rng, test_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    args = (base_prob, int(max_groups), float(zipf), int(max_repeat), (lo, hi))
    splits = {"train": _generate(spec, int(num_train), train_rng, *args, "train"),
              "test": _generate(spec, int(num_test), test_rng, *args, "test")}
    return RawDataset(name="scaled_synthetic", splits=splits, label_names=spec.label_names(),
                      feature_names=None, num_features=spec.num_features)


def write_xc_files(raw: RawDataset, folder) -> dict:
    """Writes ``train.txt`` / ``test.txt`` in the Extreme Classification repository's
    LIBSVM layout (header ``N F L``, 0-based ``feature:value``), what ``data.format:
    libsvm`` reads, so the data runs through ``train.py`` like EUR-Lex or Wiki10-31K.
    Returns ``{split: path}``."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, split in raw.splits.items():
        lines = [f"{len(split)} {raw.num_features} {len(raw.label_names)}"]
        for (ids, vals), labs in zip(split.inputs, split.labels):
            feats = " ".join(f"{i}:{v:g}" for i, v in zip(ids.tolist(), vals.tolist()))
            lines.append(f"{','.join(map(str, labs))} {feats}")
        out[name] = folder / f"{name}.txt"
        out[name].write_text("\n".join(lines) + "\n")
    return out
