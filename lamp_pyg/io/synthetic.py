r"""Built-in synthetic multi-label text data on which label message passing pays off.

:func:`make_synthetic` generates, with numpy only and in about a second, a
:class:`~lamp_pyg.io.base.RawDataset` of kind ``'text'`` (splits ``train`` and
``test``; the dataset step carves validation out of ``train``). It is lamp-pyg's
default dataset: it needs no download and a small LaMP learns it in about a minute
on one CPU thread.

Design
------
Labels come in ``num_groups`` independent *groups* ("topics"). Every sample belongs
to exactly one group, and only labels of that group can be on. A group holds three
kinds of labels:

- one **topic** label ``g<g>_topic``, on in every sample of the group. The sample
  contains 1 to ``max_repeat`` of the group's ``topic_tokens`` topic words.
- ``base_per_group`` **base** labels ``g<g>_b<i>``, each on independently with
  probability ``base_prob``. A base label is *signalled by its own tokens*: the
  sample contains 1 to ``max_repeat`` draws (with replacement) from the label's
  ``tokens_per_label`` words if and only if the label is on.
- ``derived_per_group`` **derived** labels ``g<g>_d<j>`` with *no tokens of their
  own*: ``g<g>_d<j>`` is on iff at least ``k_j`` of its ``m = parents`` parent
  base labels are on (a threshold function; ``k_j`` cycles through
  ``thresholds``). The parents of ``d<j>`` are the ``m`` base labels
  ``b<j>, b<j+1>, ..., b<j+m-1>`` (indices modulo ``base_per_group``).

Every sample also contains a variable number (``noise_tokens``, uniform) of noise
words drawn from a shared noise vocabulary that carries no label information. The
tokens of a sample are shuffled. Tokens are strings ``'w<i>'``; which words belong
to which label is recorded in :class:`SyntheticSpec` (see :func:`synthetic_spec`).

Why the label graph helps
-------------------------
A derived label is an exact function of *other labels*: easy to read off their
states, awkward to compute from the tokens.

- LaMP's feature -> label attention is a softmax-weighted **average** over a
  variable number of tokens, so it cannot simply count. A derived label needs the
  number of *distinct* parents present, but in the average each present parent
  weighs in proportion to how often its words repeat (1 to ``max_repeat`` times,
  at random) and everything is diluted by a varying amount of noise (5 to 40
  words by default): two parents repeated five times each and five parents
  repeated twice put the same total weight on parent words. The count survives
  only in *which* components of the averaged vector are non-zero, however small,
  a brittle feature that takes a small model much longer to learn. With
  ``m = parents`` (5) larger than the number of attention heads (4 in the
  default model), one head per parent is not an option either.
- LaMP's label -> label attention runs over a **fixed** neighbourhood in the label
  graph. Labels of different groups never co-occur, so the co-occurrence
  ("prior") graph is one clique per group, and a derived label's neighbours are
  the labels of its group (10 by default). Once the base labels have read their
  own tokens (easy: a single word is proof), averaging the neighbours' states over
  this fixed set (keys can tell parents from the other neighbours by label
  identity) gives a monotone, essentially linear function of how many parents are
  on, and the next feed-forward layer only has to threshold it. The "edgeless"
  variant (self-loops only) has no such path and must count from the tokens.

Subset accuracy needs all labels of a sample right, so the derived labels decide
it; topic and base labels are learnt almost perfectly by every variant. Measured
when this generator was written (default data; LaMP with ``d_model=64``,
``d_ff=128``, 4 heads, 2 + 2 layers, dropout 0.1; Adam lr 2e-3, batch 32, 10
epochs, about a minute of one CPU thread; threshold 0.5), test subset accuracy
over seeds 0, 1, 2:

=========  =====================  ======
variant    per seed               mean
=========  =====================  ======
prior      0.907, 0.883, 0.874    0.888
full       0.909, 0.839, 0.783    0.844
edgeless   0.751, 0.695, 0.718    0.721
=========  =====================  ======

The gap is one of learning speed rather than capacity: trained for 25 epochs
(seed 1) prior reaches 0.963 and edgeless 0.905.

Example::

    raw = make_synthetic()              # the default dataset
    spec = synthetic_spec()             # its label roles, rules and word lists
    raw.splits['train'].inputs[0]       # ['w261', 'w78', 'w156', 'w195', ...]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from lamp_pyg.io.base import RawDataset, RawSplit

__all__ = ["DerivedRule", "SyntheticSpec", "synthetic_spec", "make_synthetic"]


@dataclass(frozen=True)
class DerivedRule:
    """A derived label: on iff at least ``threshold`` of its ``parents`` are on.

    Attributes:
        label: Index of the derived label.
        parents: Indices of its parent labels.
        threshold: How many parents must be on.
    """

    label: int
    parents: Tuple[int, ...]
    threshold: int

    def apply(self, Y: np.ndarray) -> np.ndarray:
        """The rule on a multi-hot matrix.

        Args:
            Y: ``[N, L]`` multi-hot label matrix.

        Returns:
            ``[N]`` bool: whether the derived label must be on in each row.
        """
        return np.asarray(Y)[:, list(self.parents)].sum(axis=1) >= self.threshold


@dataclass(frozen=True)
class SyntheticSpec:
    """Structure of a synthetic dataset: label roles, rules and word lists.

    Attributes:
        label_names: All labels, group by group: ``g<g>_topic``, ``g<g>_b<i>``,
            ``g<g>_d<j>``.
        group_of: Group index of every label.
        topic_labels: Index of each group's topic label, by group.
        base_labels: Base label indices of each group, by group.
        derived: The derived labels' rules, group by group.
        label_tokens: Topic or base label index -> the words that signal it.
        noise_tokens: The shared noise vocabulary.
    """

    label_names: List[str]
    group_of: List[int]
    topic_labels: List[int]
    base_labels: List[List[int]]
    derived: List[DerivedRule]
    label_tokens: Dict[int, Tuple[str, ...]]
    noise_tokens: Tuple[str, ...]

    @property
    def num_labels(self) -> int:
        """Number of labels :math:`L`."""
        return len(self.label_names)

    @property
    def vocabulary(self) -> List[str]:
        """Every word the generator can emit."""
        words = [w for ws in self.label_tokens.values() for w in ws]
        return words + list(self.noise_tokens)


def synthetic_spec(num_groups: int = 3, base_per_group: int = 6, derived_per_group: int = 3,
                   parents: int = 5, thresholds: Sequence[int] = (2, 3, 4),
                   tokens_per_label: int = 4, topic_tokens: int = 5,
                   noise_vocab: int = 250) -> SyntheticSpec:
    """The structure :func:`make_synthetic` generates from (independent of the seed).

    Args:
        num_groups: Number of label groups (topics).
        base_per_group: Base labels per group.
        derived_per_group: Derived labels per group.
        parents: Parents of each derived label (``m``), at most ``base_per_group``.
        thresholds: Thresholds ``k`` of the derived labels, cycled (``d0`` gets the
            first, ``d1`` the second, ...); each in ``1..parents``.
        tokens_per_label: Words of each base label.
        topic_tokens: Words of each group's topic label.
        noise_vocab: Size of the shared noise vocabulary.

    Returns:
        SyntheticSpec: labels numbered group by group (topic, base, derived); words
        ``'w<i>'`` numbered topic words first, then base words, then noise words.

    Raises:
        ValueError: On sizes that make no dataset (e.g. more parents than base labels).
    """
    for name, value, low in (("num_groups", num_groups, 1), ("base_per_group", base_per_group, 1),
                             ("derived_per_group", derived_per_group, 0),
                             ("parents", parents, 1), ("tokens_per_label", tokens_per_label, 1),
                             ("topic_tokens", topic_tokens, 1), ("noise_vocab", noise_vocab, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if parents > base_per_group:
        raise ValueError(f"parents ({parents}) must be <= base_per_group ({base_per_group})")
    thresholds = tuple(int(k) for k in thresholds)
    if derived_per_group and (not thresholds or any(not 1 <= k <= parents for k in thresholds)):
        raise ValueError(f"thresholds must be non-empty and each in 1..{parents}, "
                         f"got {thresholds}")

    names: List[str] = []
    group_of: List[int] = []
    topic_labels: List[int] = []
    base_labels: List[List[int]] = []
    derived: List[DerivedRule] = []

    def add(name: str, g: int) -> int:
        names.append(name)
        group_of.append(g)
        return len(names) - 1

    for g in range(num_groups):
        topic_labels.append(add(f"g{g}_topic", g))
        base = [add(f"g{g}_b{i}", g) for i in range(base_per_group)]
        base_labels.append(base)
        for j in range(derived_per_group):
            lab = add(f"g{g}_d{j}", g)
            par = tuple(sorted(base[(j + i) % base_per_group] for i in range(parents)))
            derived.append(DerivedRule(lab, par, thresholds[j % len(thresholds)]))

    next_word = 0

    def words(n: int) -> Tuple[str, ...]:
        nonlocal next_word
        out = tuple(f"w{next_word + i}" for i in range(n))
        next_word += n
        return out

    label_tokens: Dict[int, Tuple[str, ...]] = {}
    for t in topic_labels:
        label_tokens[t] = words(topic_tokens)
    for base in base_labels:
        for b in base:
            label_tokens[b] = words(tokens_per_label)
    return SyntheticSpec(names, group_of, topic_labels, base_labels, derived, label_tokens,
                         words(noise_vocab))


def _check_range(name: str, value: Tuple[int, int], low: int) -> Tuple[int, int]:
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (min, max), got {value!r}") from None
    if not low <= lo <= hi:
        raise ValueError(f"{name} must satisfy {low} <= min <= max, got {value!r}")
    return lo, hi


def _generate(spec: SyntheticSpec, n: int, rng: np.random.Generator, base_prob: float,
              max_repeat: int, noise: Tuple[int, int], prefix: str) -> RawSplit:
    """Draws ``n`` rows: group, base labels, derived labels by rule, then the words."""
    L = spec.num_labels
    groups = rng.integers(0, len(spec.topic_labels), size=n)
    Y = np.zeros((n, L), dtype=np.uint8)
    Y[np.arange(n), np.asarray(spec.topic_labels)[groups]] = 1
    base_all = np.asarray(spec.base_labels)  # [G, B]
    on = rng.random((n, base_all.shape[1])) < base_prob  # [n, B]
    for b in range(base_all.shape[1]):
        Y[on[:, b], base_all[groups[on[:, b]], b]] = 1
    for rule in spec.derived:  # only parents of the sample's own group can be on
        Y[:, rule.label] = rule.apply(Y)

    noise_words = np.asarray(spec.noise_tokens)
    word_table = {l: np.asarray(ws) for l, ws in spec.label_tokens.items()}
    n_noise = rng.integers(noise[0], noise[1] + 1, size=n)
    inputs: List[List[str]] = []
    labels: List[List[int]] = []
    for i in range(n):
        labs = np.flatnonzero(Y[i])
        parts = []
        for l in labs:
            table = word_table.get(int(l))
            if table is not None:  # topic or base label: emit its words
                r = int(rng.integers(1, max_repeat + 1))
                parts.append(table[rng.integers(0, len(table), size=r)])
        parts.append(noise_words[rng.integers(0, len(noise_words), size=n_noise[i])])
        toks = np.concatenate(parts)
        rng.shuffle(toks)
        inputs.append(toks.tolist())
        labels.append(labs.tolist())
    return RawSplit("text", inputs, labels, [f"{prefix}-{i}" for i in range(n)])


def make_synthetic(num_train: int = 3000, num_test: int = 1000, seed: int = 0, *,
                   num_groups: int = 3, base_per_group: int = 6, derived_per_group: int = 3,
                   parents: int = 5, thresholds: Sequence[int] = (2, 3, 4),
                   tokens_per_label: int = 4, topic_tokens: int = 5, noise_vocab: int = 250,
                   base_prob: float = 0.5, max_repeat: int = 5,
                   noise_tokens: Tuple[int, int] = (5, 40)) -> RawDataset:
    """Generates the synthetic dataset (see the module docstring for the design).

    With the defaults: 30 labels (3 groups x (1 topic + 6 base + 3 derived)),
    337 words, about 5.5 labels and 6 to 75 tokens (mean ~35) per sample.

    Args:
        num_train: Rows of the ``train`` split (validation is carved out of it later).
        num_test: Rows of the ``test`` split.
        seed: Seed of the sampling; the same arguments always give the same data.
        num_groups, base_per_group, derived_per_group, parents, thresholds,
            tokens_per_label, topic_tokens, noise_vocab: The structure, see
            :func:`synthetic_spec`.
        base_prob: Probability that each base label of the sample's group is on.
        max_repeat: Each topic or base label that is on emits 1 to ``max_repeat``
            of its words (uniform, drawn with replacement).
        noise_tokens: ``(min, max)`` noise words per sample (uniform).

    Returns:
        RawDataset: ``name='synthetic'``, kind ``'text'``, splits ``train`` and
        ``test`` (ids ``'train-<i>'`` / ``'test-<i>'``), labels named as in
        :func:`synthetic_spec`. Every row has at least its topic label and
        at least one token.

    Raises:
        ValueError: On invalid sizes or probabilities.
    """
    spec = synthetic_spec(num_groups, base_per_group, derived_per_group, parents, thresholds,
                          tokens_per_label, topic_tokens, noise_vocab)
    for name, value, low in (("num_train", num_train, 0), ("num_test", num_test, 0),
                             ("max_repeat", max_repeat, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0.0 <= base_prob <= 1.0:
        raise ValueError(f"base_prob must be in [0, 1], got {base_prob!r}")
    noise = _check_range("noise_tokens", noise_tokens, 0)

    # one independent stream per split: the test set does not change with num_train
    train_rng, test_rng = (np.random.default_rng(s)
                           for s in np.random.SeedSequence(seed).spawn(2))
    splits = {
        "train": _generate(spec, int(num_train), train_rng, base_prob, int(max_repeat), noise,
                           "train"),
        "test": _generate(spec, int(num_test), test_rng, base_prob, int(max_repeat), noise,
                          "test"),
    }
    return RawDataset(name="synthetic", splits=splits, label_names=list(spec.label_names),
                      feature_names=None, num_features=None, skipped={}, sources=[])
