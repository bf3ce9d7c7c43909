"""Cached PyG datasets: a source's files -> ``HeteroData`` samples, processed once.

``LaMPDataset(cache_root, 'bibtex', split='train', data_root=...)`` reads a registered
dataset (or, with ``source=SourceSpec(format=..., train=..., test=...)``, your own
files; or, with :meth:`LaMPDataset.from_arrays`, arrays in memory), applies LaMP's rules
(:mod:`lamp_pyg.data.prepare`) and caches the three splits in
``cache_root/<name>/<source key>/<options key>/``. The source key hashes the content and
path of every file read (:meth:`~lamp_pyg.io.sources.SourceSpec.fingerprint`), so any
change to the data rebuilds; the seeded validation split lives beside it in
``cache_root/<name>/<source key>/splits/`` and is reused by every run on that data.
Processes that open the same source at once (seeds launched side by side, an ensemble,
torchrun ranks) take turns on an exclusive ``flock`` on ``<source key>/lock``: one builds,
the others wait and then reuse what it wrote.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from torch_geometric.data import HeteroData, InMemoryDataset

try:  # POSIX; elsewhere concurrent builds of one cache are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

from lamp_pyg.data.prepare import Prepared, PrepareOptions, prepare
from lamp_pyg.data.sample import make_sample
from lamp_pyg.io.arrays import fingerprint_raw, raw_from_arrays
from lamp_pyg.io.base import RawDataset
from lamp_pyg.io.safe_load import UnreadableFileError, load_plain
from lamp_pyg.io.sources import FORMATS, SourceSpec, resolve_source

#: 3: samples stored as plain dicts (no pickled classes), read back as plain data only
CACHE_VERSION = 3
SPLITS = ("train", "valid", "test")


class LaMPDataset(InMemoryDataset):
    """One split of a multi-label dataset as PyG ``HeteroData`` samples (cached).

    Args:
        root (str): cache folder.
        name (str): a registered dataset (:func:`~lamp_pyg.io.register_dataset`), or
            with ``source`` only a label for the cache folder and the run.
        split (str): ``train``, ``valid`` or ``test``.
        path (str, optional): where a registered dataset's files are (overrides
            ``data_root``).
        data_root (str, optional): folder holding the registered datasets' usual layout
            (``mulan/bibtex/...``; default ``$LAMP_PYG_DATA``); with ``source``, the folder
            its relative paths start from (default: the current directory).
        options (PrepareOptions, optional): preprocessing; part of the cache key.
        source (SourceSpec, optional): your own files (``format``, ``train``, ``test``, ...).
        transform, pre_transform, pre_filter (callable, optional): as in PyG's
            :class:`~torch_geometric.data.InMemoryDataset` (applied to each ``HeteroData``).
        force_reload (bool): reprocess even when cached.

    Attributes:
        meta (dict): vocabulary, label names, counts of everything skipped, statistics,
            options, the source (format, files and their SHA-256), the training label
            lists (for label graphs).
        cache_status (str): ``reused`` or ``built in N s``.
    """

    def __init__(self, root: str, name: Optional[str] = None, split: str = "train",
                 path: Optional[str] = None, data_root: Optional[str] = None,
                 options: Optional[PrepareOptions] = None, source: Optional[SourceSpec] = None,
                 transform: Optional[Callable] = None, pre_transform: Optional[Callable] = None,
                 pre_filter: Optional[Callable] = None, force_reload: bool = False,
                 log: bool = False, raw: Optional[RawDataset] = None):
        if split not in SPLITS:
            raise ValueError(f"split must be train, valid or test, got {split!r}")
        self.options = options or PrepareOptions()
        self.options.validate()
        self._raw = raw
        if raw is not None:
            self.source, self.fingerprint = None, {"key": fingerprint_raw(raw)[:16],
                                                   "format": "arrays", "files": {}}
        else:
            spec = source if source is not None and source.format is not None else None
            self.source = resolve_source(name, spec, path, data_root)
            self.fingerprint = self.source.fingerprint()
        self.name = name or (Path(self.source.train).stem if self.source and self.source.train
                             else "data")
        self._key = hashlib.sha1(json.dumps(
            {"v": CACHE_VERSION, "options": asdict(self.options)},
            sort_keys=True).encode()).hexdigest()[:12]
        self.cache_status = "reused"
        self.pre_filter_repr, self.pre_transform_repr = _repr(pre_filter), _repr(pre_transform)
        # InMemoryDataset's own processing is not used (this class has no ``process``):
        # PyG reads its bookkeeping files with unrestricted unpickling and falls back to
        # it for the data; here every cache file is read as plain data (``_open_cache``).
        super().__init__(root, transform, pre_transform, pre_filter, log=log)
        with _cache_lock(self.source_dir):
            self._open_cache(split, force_reload)
        self.split = split

    @classmethod
    def from_arrays(cls, root: str, train: Tuple[Any, Any], test: Tuple[Any, Any],
                    valid: Optional[Tuple[Any, Any]] = None, *, name: str = "arrays",
                    split: str = "train", label_names: Optional[Sequence[str]] = None,
                    feature_names: Optional[Sequence[str]] = None, **kwargs) -> "LaMPDataset":
        """A dataset from arrays or lists in memory (no files).

        Args:
            root: cache folder (keyed by a hash of the arrays' content).
            train, test, valid: ``(X, Y)`` per split. ``X``: a dense ``[N, F]`` array, a
                scipy.sparse matrix, a list of strings (tokenised as Reuters) or of token
                lists. ``Y``: a multi-hot ``[N, L]`` array / sparse matrix, or a list of
                label lists (integer ids or strings). Without ``valid``, a seeded share of
                train is held out (``options.valid_fraction``).
            name: a label for the cache folder.
            split: which split this object holds.
            label_names, feature_names: names (default: ids, or the sorted label strings).
            **kwargs: ``options``, ``transform``, ``pre_transform``, ``pre_filter``,
                ``force_reload`` as for the constructor.
        """
        parts = {"train": train, "test": test, **({"valid": valid} if valid is not None else {})}
        raw = raw_from_arrays(name, parts, label_names=label_names, feature_names=feature_names)
        return cls(root, name, split, raw=raw, **kwargs)

    # --- InMemoryDataset plumbing: raw files live wherever the user keeps them
    @property
    def raw_dir(self) -> str:
        # PyG creates raw_dir when raw_file_names is empty: it must be a folder
        return self.source_dir

    @property
    def raw_file_names(self) -> List[str]:
        return []

    def download(self):
        pass

    @property
    def source_dir(self) -> str:
        """``root/<name>/<source key>``: the seeded splits and the processed options."""
        return os.path.join(self.root, self.name, self.fingerprint["key"])

    @property
    def processed_dir(self) -> str:
        return os.path.join(self.source_dir, self._key)

    @property
    def processed_file_names(self) -> List[str]:
        return ["train.pt", "valid.pt", "test.pt", "meta.json"]

    def _open_cache(self, split: str, force_reload: bool) -> None:
        """Loads ``split`` from the cache, building it first when absent (or asked to);
        a cache file that cannot be read as plain data (corrupt, truncated, altered) is
        reported with its path and the cache rebuilt from the source files."""
        paths = self.processed_paths
        if force_reload or not all(os.path.isfile(p) for p in paths):
            self._build()
        try:
            self._load_split(paths[SPLITS.index(split)])
        except CacheFileError as e:
            warnings.warn(f"dataset cache file {e.path} {e.reason}; rebuilding the cache "
                          f"{self.processed_dir} from the source files", stacklevel=3)
            self._build()
            self.cache_status += f" (rebuilt: {os.path.basename(e.path)} {e.reason})"
            self._load_split(paths[SPLITS.index(split)])
        for what in ("pre_filter", "pre_transform"):
            if self.meta.get(what, "None") != getattr(self, f"{what}_repr"):
                warnings.warn(f"the `{what}` argument differs from the one the cache "
                              f"{self.processed_dir} was built with; pass force_reload=True "
                              "to rebuild it", stacklevel=3)

    def _load_split(self, path: str) -> None:
        """One split's collated samples and the meta (all or nothing: attributes are set
        only once both files are read and have the expected form)."""
        try:
            stored = load_plain(path)
        except UnreadableFileError as e:
            raise CacheFileError(path, e.reason) from None
        if (not isinstance(stored, dict) or stored.get("version") != CACHE_VERSION
                or not isinstance(stored.get("data"), dict)
                or not isinstance(stored.get("slices"), (dict, type(None)))):  # None: 1 sample
            raise CacheFileError(path, f"is not a lamp-pyg cache file of version "
                                       f"{CACHE_VERSION}")
        meta_path = self.processed_paths[3]
        try:
            with open(meta_path) as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            raise CacheFileError(meta_path, f"cannot be read as JSON ({e})") from None
        try:
            data = HeteroData.from_dict(stored["data"])
        except Exception as e:
            raise CacheFileError(path, f"does not hold samples ({type(e).__name__}: {e})") from None
        self.data, self.slices, self.meta = data, stored["slices"], meta

    def _build(self):
        t0 = time.perf_counter()
        os.makedirs(self.processed_dir, exist_ok=True)
        raw = self._raw if self._raw is not None else self.source.read(self.name)
        prep = prepare(raw, self.options, Path(self.source_dir) / "splits")
        for i, s in enumerate(SPLITS):
            samples = build_samples(prep, s)
            if self.pre_filter is not None:
                samples = [d for d in samples if self.pre_filter(d)]
            if self.pre_transform is not None:
                samples = [self.pre_transform(d) for d in samples]
            _save_samples(samples, self.processed_paths[i])
        meta = build_meta(prep, raw, prep.options)
        meta["source"] = self.fingerprint
        meta["pre_filter"], meta["pre_transform"] = self.pre_filter_repr, self.pre_transform_repr
        fmt = FORMATS.get(self.fingerprint["format"])
        meta["tokenizer"] = (self.fingerprint.get("options", {}).get("tokenizer")
                             or (fmt.tokenizer if fmt is not None else "reuters"))
        _write_json(meta, self.processed_paths[3])
        _write_json(self.fingerprint, os.path.join(self.source_dir, "source.json"))
        self.cache_status = f"built in {time.perf_counter() - t0:.1f} s"

    # --- what the rest of the pipeline needs
    @property
    def num_labels(self) -> int:
        return len(self.meta["label_names"])

    @property
    def label_names(self) -> List[str]:
        return self.meta["label_names"]

    @property
    def vocab(self) -> List[str]:
        return self.meta["vocab"]

    @property
    def train_labels(self) -> List[List[int]]:
        """Label lists of the training split (what label graphs are built from)."""
        return self.meta["train_labels"]

    def model_kwargs(self) -> dict:
        """The input-side fields of :class:`~lamp_pyg.models.LaMPConfig` for this data."""
        return dict(self.meta["model_kwargs"])

    def input_sizes(self) -> np.ndarray:
        """Input nodes per sample of this (possibly indexed) dataset, in its order
        (1 per sample in the linear-token mode)."""
        ptr = (self.slices or {}).get("token", {}).get("x")
        if ptr is None:
            return np.ones(len(self), dtype=np.int64)
        counts = (ptr[1:] - ptr[:-1]).numpy()
        return counts[np.fromiter(self.indices(), dtype=np.int64, count=len(self))]

    def describe(self) -> str:
        """Where the data came from and whether the cache was reused (for logs)."""
        src = self.source.describe() if self.source is not None else "arrays in memory"
        return (f"data {self.name}: {src}\n"
                f"cache {self.processed_dir} ({self.cache_status})")

    def __repr__(self) -> str:
        return f"LaMPDataset({self.name}, split={self.split}, {len(self)} samples)"


@contextlib.contextmanager
def _cache_lock(folder: str):
    """An exclusive, blocking ``flock`` on ``folder/lock`` (released by the OS when the
    process ends in any way, so a killed build leaves no stale lock)."""
    os.makedirs(folder, exist_ok=True)
    fd = os.open(os.path.join(folder, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


class CacheFileError(Exception):
    """A cache file that cannot be used (read as plain data in the expected form)."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path} {reason}")


def _repr(fn: Optional[Callable]) -> str:
    """How a pre_filter / pre_transform is recorded in the cache (as PyG does)."""
    if fn is None:
        return "None"
    return re.sub(r"(<.*?)\s.*(>)", r"\1\2", str(fn))


def _save_samples(samples: list, path: str) -> None:
    """Collated samples as plain tensors and dicts (no classes: loadable with
    ``torch.load(weights_only=True)``), written atomically."""
    data, slices = InMemoryDataset.collate(samples)
    tmp = path + ".tmp"
    torch.save({"version": CACHE_VERSION, "data": data.to_dict(), "slices": slices}, tmp)
    os.replace(tmp, path)


def _write_json(obj: dict, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, sort_keys=True)
    os.replace(tmp, path)


def build_samples(prep: Prepared, split: str):
    enc, L = prep.splits[split], len(prep.label_names)
    out = []
    for i in range(len(enc.labels)):
        edges = torch.from_numpy(enc.edges[i]) if enc.edges is not None else None
        if enc.vecs is not None:
            out.append(make_sample(enc.labels[i], L, vec=torch.from_numpy(enc.vecs[i]),
                                   token_edge_index=edges))
        else:
            vals = torch.from_numpy(enc.values[i]) if enc.values is not None else None
            out.append(make_sample(enc.labels[i], L, tokens=torch.from_numpy(enc.tokens[i]),
                                   values=vals, positions=prep.kind == "text",
                                   token_edge_index=edges))
    return out


def split_stats(labels: List[List[int]], tokens: List[np.ndarray]) -> dict:
    n = len(labels)
    lens = [len(t) for t in tokens]
    return {"samples": n,
            "cardinality": round(sum(map(len, labels)) / n, 4) if n else 0.0,
            "labels_present": len({l for ls in labels for l in ls}),
            "mean_tokens": round(float(np.mean(lens)), 2) if lens else 0.0,
            "max_tokens": int(max(lens)) if lens else 0}


def build_meta(prep: Prepared, raw: RawDataset, opts: PrepareOptions) -> dict:
    kind = prep.kind
    linear = kind == "dense" and opts.dense_mode == "linear"
    max_tokens = max((len(t) for s in prep.splits.values() for t in s.tokens), default=0)
    model_kwargs = {  # opts: as applied (dense_mode auto resolved)
        "num_labels": len(prep.label_names),
        "vocab_size": 0 if linear else len(prep.vocab),
        "input_dim": len(prep.feature_mean) if linear else 0,
        "positional": kind == "text",
        "feature_values": kind == "dense" and not linear,
        "max_positions": max(max_tokens, 1),
    }
    return {
        "name": prep.name, "kind": kind, "options": asdict(opts),
        "num_features": raw.num_features, "index_base": raw.index_base,
        "vocab": prep.vocab, "label_names": prep.label_names,
        "skipped": prep.skipped, "raw_stats": raw.stats(),
        "stats": {s: split_stats(prep.splits[s].labels, prep.splits[s].tokens)
                  for s in ("train", "valid", "test")},
        "train_labels": prep.splits["train"].labels,
        "split_rows": prep.split_rows,
        "feature_mean": prep.feature_mean, "feature_std": prep.feature_std,
        "model_kwargs": model_kwargs,
        "dense_mode_reason": prep.dense_mode_reason,
    }


def format_stats(meta: dict) -> str:
    """Readable statistics table of a prepared dataset (used by ``datasets/prepare.py``)."""
    lines = [f"dataset {meta['name']} ({meta['kind']}), {len(meta['label_names'])} labels "
             f"in training, vocabulary {len(meta['vocab'])}",
             f"{'split':<8}{'samples':>9}{'card.':>9}{'labels':>8}{'mean tok':>10}{'max tok':>9}"]
    for s in ("train", "valid", "test"):
        st = meta["stats"][s]
        lines.append(f"{s:<8}{st['samples']:>9}{st['cardinality']:>9.3f}{st['labels_present']:>8}"
                     f"{st['mean_tokens']:>10.1f}{st['max_tokens']:>9}")
    if meta["kind"] == "dense":
        why = meta.get("dense_mode_reason")
        lines.append(f"dense_mode {meta['options']['dense_mode']}" + (f" (auto: {why})" if why else ""))
    rs = meta["raw_stats"]
    lines.append("raw files: " + ", ".join(f"{k} {v if not isinstance(v, float) else round(v, 3)}"
                                           for k, v in rs.items()))
    if meta["skipped"]:
        lines.append("skipped / dropped (counted):")
        lines += [f"  {k}: {v}" for k, v in sorted(meta["skipped"].items())]
    else:
        lines.append("skipped / dropped: nothing")
    return "\n".join(lines)
