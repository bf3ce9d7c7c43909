"""Cached PyG datasets: raw download -> ``HeteroData`` samples, processed once.

``LaMPDataset(cache_root, 'bibtex', split='train', data_root=...)`` reads the
publisher's files (from ``path``, or ``data_root`` / ``$LAMP_PYG_DATA`` plus the
dataset's usual sub-folder), applies LaMP's rules (:mod:`lamp_pyg.data.prepare`)
and caches the three splits in ``cache_root/<name>/<options hash>/``. The seeded
validation split lives in ``cache_root/<name>/splits/`` and is reused by every run.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch_geometric.data import InMemoryDataset

from lamp_pyg.data.prepare import Prepared, PrepareOptions, prepare
from lamp_pyg.data.sample import make_sample
from lamp_pyg.io.base import RawDataset

ENV_DATA = "LAMP_PYG_DATA"
CACHE_VERSION = 1


def _mulan(name):
    def read(path):
        from lamp_pyg.io.arff import read_mulan
        return read_mulan(path, name)
    return read


def _reuters(path):
    from lamp_pyg.io.reuters import read_reuters
    return read_reuters(path)


def _sider(path):
    from lamp_pyg.io.sider import read_sider
    return read_sider(path)


def _synthetic(path):
    from lamp_pyg.io.synthetic import make_synthetic
    return make_synthetic()


def _lamp_text(path):
    from lamp_pyg.io.lamp_layout import read_lamp_text
    return read_lamp_text(path)


def _lamp_pt(path):
    from lamp_pyg.io.lamp_layout import read_lamp_pt
    return read_lamp_pt(path)


#: name -> (sub-path under the data root, reader taking the resolved path).
#: ``None`` sub-path: built in, needs no files.
REGISTRY: Dict[str, Tuple[Optional[str], Callable[[Path], RawDataset]]] = {
    "bibtex": ("mulan/bibtex", _mulan("bibtex")),
    "delicious": ("mulan/delicious", _mulan("delicious")),
    "yeast": ("mulan/yeast", _mulan("yeast")),
    "emotions": ("mulan/emotions", _mulan("emotions")),
    "scene": ("mulan/scene", _mulan("scene")),
    "reuters": ("reuters21578", _reuters),
    "sider": ("sider/sider.csv", _sider),
    "synthetic": (None, _synthetic),
    # LaMP's own layouts: give `path` (a folder of *_inputs.txt / *_labels.txt, or a .pt file)
    "lamp_text": ("", _lamp_text),
    "lamp_pt": ("", _lamp_pt),
}


def resolve_source(name: str, path: Optional[str] = None,
                   data_root: Optional[str] = None) -> Optional[Path]:
    """Where the raw files of ``name`` are: ``path``, else ``data_root`` (or
    ``$LAMP_PYG_DATA``) joined with the dataset's usual sub-folder."""
    if name not in REGISTRY:
        import difflib
        close = difflib.get_close_matches(name, REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown dataset {name!r}{hint} Known: {', '.join(REGISTRY)}")
    sub, _ = REGISTRY[name]
    if sub is None:
        return None
    if path:
        p = Path(path).expanduser()
    else:
        root = data_root or os.environ.get(ENV_DATA)
        if not root or not sub:
            raise FileNotFoundError(
                f"dataset {name!r} reads files you download: set data.path to them"
                + (f", or data.root (or ${ENV_DATA}) to the folder that contains {sub}" if sub else ""))
        p = Path(root).expanduser() / sub
    if not p.exists():
        raise FileNotFoundError(f"dataset {name!r}: {p} does not exist (set data.path, "
                                f"data.root or ${ENV_DATA} to where the download is)")
    return p


class LaMPDataset(InMemoryDataset):
    """One split of a multi-label dataset as PyG ``HeteroData`` samples (cached).

    Args:
        root (str): cache folder.
        name (str): a :data:`REGISTRY` name.
        split (str): ``train``, ``valid`` or ``test``.
        path (str, optional): raw files of this dataset (overrides ``data_root``).
        data_root (str, optional): folder holding the usual layout
            (``mulan/bibtex/...``); default ``$LAMP_PYG_DATA``.
        options (PrepareOptions, optional): preprocessing; part of the cache key.
        force_reload (bool): reprocess even when cached.

    Attributes:
        meta (dict): vocabulary, label names, counts of everything skipped,
            statistics, options, the training label lists (for label graphs).
    """

    def __init__(self, root: str, name: str, split: str = "train", path: Optional[str] = None,
                 data_root: Optional[str] = None, options: Optional[PrepareOptions] = None,
                 force_reload: bool = False, log: bool = False):
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be train, valid or test, got {split!r}")
        self.name = name
        self.options = options or PrepareOptions()
        self.options.validate()
        self.source = resolve_source(name, path, data_root)
        self._key = hashlib.sha1(json.dumps(
            {"v": CACHE_VERSION, "name": name, "options": asdict(self.options)},
            sort_keys=True).encode()).hexdigest()[:12]
        super().__init__(root, force_reload=force_reload, log=log)
        self.load(self.processed_paths[("train", "valid", "test").index(split)])
        with open(self.processed_paths[3]) as f:
            self.meta = json.load(f)
        self.split = split

    # --- InMemoryDataset plumbing: raw files live wherever the user keeps them
    @property
    def raw_dir(self) -> str:
        # PyG creates raw_dir when raw_file_names is empty: it must be a folder, also when
        # the source is a single file (SIDER's CSV)
        if self.source is None:
            return self.root
        return str(self.source if self.source.is_dir() else self.source.parent)

    @property
    def raw_file_names(self) -> List[str]:
        return []

    def download(self):
        pass

    @property
    def processed_dir(self) -> str:
        return os.path.join(self.root, self.name, self._key)

    @property
    def processed_file_names(self) -> List[str]:
        return ["train.pt", "valid.pt", "test.pt", "meta.json"]

    def process(self):
        reader = REGISTRY[self.name][1]
        raw = reader(self.source)
        prep = prepare(raw, self.options, Path(self.root) / self.name / "splits")
        for i, s in enumerate(("train", "valid", "test")):
            self.save(build_samples(prep, s), self.processed_paths[i])
        meta = build_meta(prep, raw, self.options)
        tmp = self.processed_paths[3] + ".tmp"
        with open(tmp, "w") as f:
            json.dump(meta, f, sort_keys=True)
        os.replace(tmp, self.processed_paths[3])

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

    def __repr__(self) -> str:
        return f"LaMPDataset({self.name}, split={self.split}, {len(self)} samples)"


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
    model_kwargs = {
        "num_labels": len(prep.label_names),
        "vocab_size": 0 if linear else len(prep.vocab),
        "input_dim": len(prep.feature_mean) if linear else 0,
        "positional": kind == "text",
        "feature_values": kind == "dense" and not linear,
        "max_positions": max(max_tokens, 1),
    }
    return {
        "name": prep.name, "kind": kind, "options": asdict(opts),
        "vocab": prep.vocab, "label_names": prep.label_names,
        "skipped": prep.skipped, "raw_stats": raw.stats(),
        "stats": {s: split_stats(prep.splits[s].labels, prep.splits[s].tokens)
                  for s in ("train", "valid", "test")},
        "train_labels": prep.splits["train"].labels,
        "split_rows": prep.split_rows,
        "feature_mean": prep.feature_mean, "feature_std": prep.feature_std,
        "model_kwargs": model_kwargs,
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
    rs = meta["raw_stats"]
    lines.append("raw files: " + ", ".join(f"{k} {v if not isinstance(v, float) else round(v, 3)}"
                                           for k, v in rs.items()))
    if meta["skipped"]:
        lines.append("skipped / dropped (counted):")
        lines += [f"  {k}: {v}" for k, v in sorted(meta["skipped"].items())]
    else:
        lines.append("skipped / dropped: nothing")
    return "\n".join(lines)
