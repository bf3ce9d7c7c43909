"""From a :class:`~lamp_pyg.io.RawDataset` to encoded splits, by LaMP's rules.

- Validation split: seeded, from the training split, saved to disk as row indices
  and reused; a user split file overrides it. Rare labels are protected: a row is
  not moved to validation if that would leave one of its labels with no training
  example (LaMP's random split loses a Reuters topic this way).
- Label set and vocabulary come from the training split only. Labels never seen in
  training are dropped from valid/test and counted.
- Train/valid samples with empty input are dropped and counted; with
  ``drop_unlabeled`` (LaMP's rule) so are those with no label. Test samples are all kept.
  (A dense row is never empty: with ``dense_mode: sparse`` an all-zero row is a sample
  without input nodes.)
- Dense tables: ``dense_mode`` (``auto`` decided on the training split,
  :func:`choose_dense_mode`) and the scaling of values (:func:`dense_scaling`) come from
  the training split.

Everything dropped is counted in :attr:`Prepared.skipped`; nothing is dropped silently.
"""
from __future__ import annotations

import dataclasses
import json
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from lamp_pyg.data.sample import window_edges
from lamp_pyg.io.base import RawDataset, RawSplit
from lamp_pyg.typed_yaml import check_domains, setting

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]
DENSE_MODES = ("linear", "nodes", "sparse", "auto")
#: ``dense_mode: auto`` feeds a dense table as sparse nodes when at most this share of its
#: training cells is non-zero, or when every training cell is 0 or 1
SPARSE_DENSITY = 0.25


@dataclass(frozen=True)
class PrepareOptions:
    """Everything that changes the prepared data (part of the cache key).

    Attributes:
        max_len: tokens kept per sample before BOS/EOS (None: all).
        bos_eos: add BOS/EOS tokens (text and sparse inputs, as the original).
        min_count: vocabulary keeps tokens seen at least this often in training.
        dense_mode: dense vectors as one linear "token" (``linear``, the
            original), one node per feature carrying its value (``nodes``), one node per
            *non-zero* feature carrying its value (``sparse``: for 0/1 or mostly-zero
            tables), or ``auto``: ``sparse`` when every training cell is 0 or 1 or at most
            ``SPARSE_DENSITY`` of them are non-zero, else ``nodes``
            (:func:`choose_dense_mode`; the choice is logged and recorded).
        window: store ``('token','to','token')`` edges between tokens at most this
            far apart (0: none stored). Molecules always store their bonds.
        drop_unlabeled: drop train/valid samples with no label (LaMP's rule, on in the
            configs that reproduce the paper). Off by default: a sample with no label is
            a valid example in many datasets (the model learns to predict nothing).
        valid_fraction: share of the training split moved to validation when the
            data has no validation split.
        split_seed: seed of that split (and of SIDER's train/valid/test split).
        test_fraction: share held out as test when the data has a single split (SIDER).
        split_file: a JSON file ``{"valid": [train row indices]}`` (or, for single-split
            data, ``{"train": [...], "valid": [...], "test": [...]}``) overriding the
            seeded split.
    """

    max_len: Optional[int] = setting(None, ge=1)
    bos_eos: bool = True
    min_count: int = setting(1, ge=1)
    dense_mode: str = setting("linear", choices=DENSE_MODES)
    window: int = setting(0, ge=0)
    drop_unlabeled: bool = False
    valid_fraction: float = setting(0.1, gt=0.0, lt=1.0)
    split_seed: int = setting(0, ge=0)
    test_fraction: float = setting(0.1, gt=0.0, lt=1.0)
    split_file: Optional[str] = None

    def __post_init__(self):
        check_domains(self)

    def validate(self):
        if self.split_file is None and self.valid_fraction + self.test_fraction >= 1.0:
            raise ValueError(f"valid_fraction + test_fraction must be < 1, got "
                             f"{self.valid_fraction} + {self.test_fraction}")


@dataclass
class EncodedSplit:
    """Encoded samples of one split (inputs for :func:`lamp_pyg.data.make_sample`)."""

    tokens: List[np.ndarray] = field(default_factory=list)  # int64 ids per sample
    values: Optional[List[np.ndarray]] = None  # float32 per sample (features-as-nodes)
    vecs: Optional[np.ndarray] = None  # [N, F] float32 (linear-token mode)
    edges: Optional[List[np.ndarray]] = None  # [2, E] per sample (molecules, windows)
    labels: List[List[int]] = field(default_factory=list)
    ids: List[str] = field(default_factory=list)
    rows: List[int] = field(default_factory=list)  # row in the raw split


@dataclass
class Prepared:
    name: str
    kind: str
    splits: Dict[str, EncodedSplit]
    vocab: List[str]  # id -> token ('' for unused in linear mode)
    label_names: List[str]
    skipped: Dict[str, int]
    split_rows: Dict[str, List[int]]  # raw rows behind each split ('train'/'valid' of raw train)
    feature_mean: Optional[List[float]] = None
    feature_std: Optional[List[float]] = None
    options: Optional[PrepareOptions] = None  # as applied: dense_mode auto resolved
    dense_mode_reason: Optional[str] = None  # why auto chose it (dense data with auto)

    def train_labels(self) -> List[List[int]]:
        return self.splits["train"].labels


# ---------------------------------------------------------------------- splits
def protected_valid_split(labels: Sequence[Sequence[int]], fraction: float, seed: int) -> List[int]:
    """Seeded validation rows from a training split, never taking a label's last training row.

    Rows are visited in a seeded random order; a row moves to validation unless some
    label of it would then have no training row left. Returns sorted row indices.
    """
    n = len(labels)
    target = int(round(fraction * n))
    rng = np.random.default_rng(seed)
    left = Counter(l for labs in labels for l in labs)
    valid = []
    for i in rng.permutation(n):
        if len(valid) >= target:
            break
        if all(left[l] > 1 for l in labels[i]):
            for l in labels[i]:
                left[l] -= 1
            valid.append(int(i))
    return sorted(valid)


def _read_cached_split(path: Path) -> Optional[dict]:
    """A seeded split saved earlier, or None (with a warning naming the file) when it is
    unreadable: the split is then drawn again from its seed, which gives the same rows."""
    try:
        rows = json.loads(path.read_text())
        if isinstance(rows, dict) and all(isinstance(v, list) and all(isinstance(i, int)
                                          for i in v) for v in rows.values()):
            return rows
        reason = "does not hold lists of row numbers"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        reason = f"cannot be read as JSON ({e})"
    warnings.warn(f"saved split {path} {reason}; drawing it again from its seed")
    return None


def _read_split_file(path: str) -> Dict[str, List[int]]:
    p = Path(path)
    try:
        obj = json.loads(p.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"split_file {p} does not exist") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: not valid JSON ({e}); expected "
                         '{"valid": [row indices of the training split]}') from None
    if not isinstance(obj, dict) or not all(
            isinstance(v, list) and all(isinstance(i, int) for i in v) for v in obj.values()):
        raise ValueError(f"{p}: expected a JSON object of integer lists, e.g. "
                         '{"valid": [0, 5, 9]}')
    return obj


def _take(split: RawSplit, rows: Sequence[int]) -> RawSplit:
    inputs = split.inputs[np.asarray(rows, dtype=np.int64)] if isinstance(
        split.inputs, np.ndarray) else [split.inputs[i] for i in rows]
    return RawSplit(split.kind, inputs, [split.labels[i] for i in rows],
                    [split.ids[i] for i in rows])


def make_splits(raw: RawDataset, opts: PrepareOptions, split_dir: Path):
    """Returns ``({'train','valid','test'} -> RawSplit, split_rows, source)``.

    The seeded split is saved as JSON in ``split_dir`` and reused on later runs.
    """
    split_dir.mkdir(parents=True, exist_ok=True)
    if "valid" in raw.splits and opts.split_file is None:
        return ({k: raw.splits[k] for k in ("train", "valid", "test")},
                {k: list(range(len(raw.splits[k]))) for k in ("train", "valid", "test")},
                "given")
    single = "train" not in raw.splits
    base = raw.splits["all"] if single else raw.splits["train"]
    n = len(base)
    if opts.split_file is not None:
        rows = _read_split_file(opts.split_file)
        source = f"file {opts.split_file}"
        need = ("train", "valid", "test") if single else ("valid",)
        for k in need:
            if k not in rows:
                raise ValueError(f"{opts.split_file}: missing key {k!r} (expected keys {need})")
    else:
        name = (f"split_seed{opts.split_seed}_valid{opts.valid_fraction}"
                f"{'_test' + str(opts.test_fraction) if single else ''}.json")
        path = split_dir / name
        source = f"seeded ({path})"
        rows = _read_cached_split(path) if path.exists() else None
        if rows is None:
            if single:
                test = protected_valid_split(base.labels, opts.test_fraction, opts.split_seed)
                rest = sorted(set(range(n)) - set(test))
                v = protected_valid_split([base.labels[i] for i in rest],
                                          opts.valid_fraction / (1 - opts.test_fraction),
                                          opts.split_seed + 1)
                valid = [rest[i] for i in v]
                rows = {"train": sorted(set(rest) - set(valid)), "valid": valid, "test": test}
            else:
                rows = {"valid": protected_valid_split(base.labels, opts.valid_fraction,
                                                       opts.split_seed)}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(rows))
            tmp.replace(path)
    for k, v in rows.items():
        bad = [i for i in v if not 0 <= i < n]
        if bad:
            raise ValueError(f"split {source}: {k} rows out of range [0, {n}): {bad[:5]}")
    if single:
        splits = {k: _take(base, rows[k]) for k in ("train", "valid", "test")}
    else:
        valid = set(rows["valid"])
        train_rows = [i for i in range(n) if i not in valid]
        rows = {"train": train_rows, "valid": sorted(valid),
                "test": list(range(len(raw.splits["test"])))}
        splits = {"train": _take(base, train_rows), "valid": _take(base, rows["valid"]),
                  "test": raw.splits["test"]}
    return splits, rows, source


# ---------------------------------------------------------------------- dense inputs
def choose_dense_mode(mode: str, X: np.ndarray) -> Tuple[str, Optional[str]]:
    """``(mode, reason)``: ``mode`` with ``auto`` resolved on the training matrix ``X``:
    ``sparse`` (only the non-zero features become nodes) when every cell is 0 or 1 or at
    most :data:`SPARSE_DENSITY` of the cells are non-zero, else ``nodes``. ``reason`` says
    why (``None`` when ``mode`` was not ``auto``)."""
    if mode != "auto":
        return mode, None
    if X.size == 0:
        return "nodes", "no training cell to measure"
    density = np.count_nonzero(X) / X.size
    if ((X == 0) | (X == 1)).all():
        return "sparse", f"every training cell is 0 or 1 ({density:.1%} non-zero)"
    if density <= SPARSE_DENSITY:
        return "sparse", f"{density:.1%} of the training cells are non-zero (at most {SPARSE_DENSITY:.0%})"
    return "nodes", (f"{density:.1%} of the training cells are non-zero (sparse above "
                     f"{SPARSE_DENSITY:.0%} only when every cell is 0 or 1)")


def dense_scaling(mode: str, X: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``(mean, scale)`` of the training matrix: a dense value becomes ``(x - mean) / scale``.
    ``nodes`` / ``linear``: standardised (mean, standard deviation; 1 for a constant column).
    ``sparse``: mean 0 and the largest absolute value (1 for an all-zero column), so that a
    zero stays zero (absent, no node) and a 0/1 column keeps its values."""
    if mode == "sparse":
        scale = np.abs(X).max(0) if len(X) else np.ones(X.shape[1])
        return np.zeros(X.shape[1]), np.where(scale > 0, scale, 1.0)
    mean, std = X.mean(0), X.std(0)
    return mean, np.where(std > 0, std, 1.0)


# ---------------------------------------------------------------------- encode
def _input_tokens(kind: str, inp) -> List[str]:
    if kind == "text":
        return list(inp)
    if kind == "sparse":
        return [str(int(i)) for i in inp[0]]
    if kind == "molecule":
        return list(inp["atoms"])
    raise AssertionError(kind)


@dataclass
class Encoded:
    ids: np.ndarray  # int64 token ids (feature ids in the features-as-nodes mode)
    values: Optional[np.ndarray]  # float32 standardised values (features-as-nodes)
    vec: Optional[np.ndarray]  # float32 standardised vector (linear-token mode)
    edges: Optional[np.ndarray]  # [2, E] molecule bonds
    empty: bool  # the raw input had no token
    truncated: bool


def encode_input(kind: str, inp, tok2id: Dict[str, int], opts: PrepareOptions,
                 mean=None, std=None) -> Encoded:
    """One raw input -> ids / values / vector, by the same rules for data and prediction."""
    if kind == "dense":
        z = ((np.asarray(inp, dtype=np.float64) - mean) / std).astype(np.float32)
        if opts.dense_mode == "sparse":  # mean 0 (dense_scaling): z is 0 where x is
            nz = np.flatnonzero(z)
            return Encoded(nz.astype(np.int64) + len(SPECIALS), z[nz], None, None, False, False)
        if opts.dense_mode == "nodes":
            return Encoded(np.arange(len(z), dtype=np.int64) + len(SPECIALS), z, None, None,
                           False, False)
        return Encoded(np.zeros(0, dtype=np.int64), None, z, None, False, False)
    toks = _input_tokens(kind, inp)
    empty, truncated = len(toks) == 0, False
    if opts.max_len is not None and len(toks) > opts.max_len:
        toks, truncated = toks[:opts.max_len], True
    ids = np.array([tok2id.get(t, UNK) for t in toks], dtype=np.int64)
    if opts.bos_eos and kind != "molecule":
        ids = np.concatenate([[BOS], ids, [EOS]]).astype(np.int64)
    edges = np.asarray(inp["edge_index"], dtype=np.int64) if kind == "molecule" else None
    return Encoded(ids, None, None, edges, empty, truncated)


def prepare(raw: RawDataset, opts: PrepareOptions, split_dir: Path) -> Prepared:
    """Applies LaMP's rules (module docstring) and encodes every split."""
    opts.validate()
    splits, rows, _ = make_splits(raw, opts, split_dir)
    kind = raw.kind
    reason = None
    if kind == "dense":
        mode, reason = choose_dense_mode(opts.dense_mode, splits["train"].inputs)
        opts = dataclasses.replace(opts, dense_mode=mode)
    skipped: Dict[str, int] = {f"reader: {k}": v for k, v in raw.skipped.items()}

    # labels seen in training only, in the original label order
    seen = sorted({l for labs in splits["train"].labels for l in labs})
    remap = {old: new for new, old in enumerate(seen)}
    label_names = [raw.label_names[i] for i in seen]
    if len(seen) < len(raw.label_names):
        skipped["labels never seen in training (dropped from the label set)"] = (
            len(raw.label_names) - len(seen))

    # vocabulary from training inputs only
    vocab = list(SPECIALS)
    mean = std = None
    if kind == "dense":
        X = splits["train"].inputs
        mean, std = dense_scaling(opts.dense_mode, X)
        if opts.dense_mode in ("nodes", "sparse"):
            vocab += (raw.feature_names or [f"f{i}" for i in range(X.shape[1])])
    else:
        counts = Counter(t for inp in splits["train"].inputs for t in _input_tokens(kind, inp))
        vocab += sorted((t for t, c in counts.items() if c >= opts.min_count),
                        key=lambda t: (-counts[t], t))
    tok2id = {t: i for i, t in enumerate(vocab)}

    out: Dict[str, EncodedSplit] = {}
    for name in ("train", "valid", "test"):
        s = splits[name]
        enc = EncodedSplit()
        if kind == "dense" and opts.dense_mode in ("nodes", "sparse"):
            enc.values = []
        if kind == "molecule" or opts.window:
            enc.edges = []
        dropped_labels = truncated = 0
        vecs = []
        for r in range(len(s)):
            labs = [remap[l] for l in s.labels[r] if l in remap]
            dropped_labels += len(s.labels[r]) - len(labs)
            e = encode_input(kind, s.inputs[r], tok2id, opts, mean, std)
            truncated += e.truncated
            if name != "test" and (e.empty or (not labs and opts.drop_unlabeled)):
                why = f"{name} samples with {'empty input' if e.empty else 'no label'} (dropped, LaMP rule)"
                skipped[why] = skipped.get(why, 0) + 1
                continue
            enc.tokens.append(e.ids)
            enc.labels.append(labs)
            enc.ids.append(s.ids[r])
            enc.rows.append(r)
            if e.vec is not None:
                vecs.append(e.vec)
            if e.values is not None:
                enc.values.append(e.values)
            if enc.edges is not None:
                enc.edges.append(e.edges if e.edges is not None else
                                 window_edges(len(e.ids), opts.window).numpy())
        if kind == "dense" and opts.dense_mode == "linear":
            enc.vecs = np.stack(vecs) if vecs else np.zeros((0, len(mean)), np.float32)
        if dropped_labels:
            skipped[f"{name} label occurrences of labels unseen in training (dropped)"] = dropped_labels
        if truncated:
            skipped[f"{name} samples truncated to max_len={opts.max_len} (kept)"] = truncated
        out[name] = enc
    return Prepared(raw.name, kind, out, vocab, label_names, skipped, rows,
                    None if mean is None else mean.tolist(),
                    None if std is None else std.tolist(), opts, reason)
