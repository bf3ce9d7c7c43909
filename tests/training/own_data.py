"""Small files in every format a user brings, written from one generator.

``write_files(spec_dict, folder)`` writes the files a ``data`` section names (train, test,
optionally valid and the ARFF label header), in that section's format and with its
options (fields, columns, separators), so a config from the README can be trained as
written. Sample ``i`` has 1-2 of ``LABELS`` and words tied to them, plus noise words;
about one sample in eight has no label.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

LABELS = ["sports", "politics", "science", "arts"]
WORDS = {l: [f"{l[:3]}{k}" for k in range(4)] for l in LABELS}
NOISE = [f"noise{k}" for k in range(12)]
SIZES = {"train": 80, "valid": 20, "test": 30}


def samples(n: int, seed: int) -> List[Tuple[List[str], List[str]]]:
    """``n`` (tokens, labels) pairs."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        labs = [] if rng.random() < 0.125 else list(
            rng.choice(LABELS, size=rng.integers(1, 3), replace=False))
        toks = [str(rng.choice(WORDS[l])) for l in labs for _ in range(2)]
        toks += [str(w) for w in rng.choice(NOISE, size=3)]
        rng.shuffle(toks)
        out.append((toks, sorted(labs)))
    return out


def _features() -> List[str]:
    return [w for l in LABELS for w in WORDS[l]] + NOISE


def _text_table(rows, d: Dict) -> str:
    delim = d.get("delimiter") or ("\t" if Path(d["train"]).suffix in (".tsv", ".txt") else ",")
    sep = d.get("label_sep") or " "
    text_fields = d.get("text_field", "text")
    text_fields = [text_fields] if isinstance(text_fields, str) else text_fields
    cols = d.get("columns") or ([d["id_field"]] if d.get("id_field") else []) + text_fields + [
        d.get("label_field", "labels")]
    lines = [] if d.get("columns") else [delim.join(cols)]
    for i, (toks, labs) in enumerate(rows):
        cell = {d.get("label_field", "labels"): sep.join(labs), d.get("id_field"): f"doc{i}"}
        for k, f in enumerate(text_fields):  # the text split over the text columns
            cell[f] = " ".join(toks[k::len(text_fields)])
        lines.append(delim.join(cell.get(c, "") for c in cols))
    return "\n".join(lines) + "\n"


def _jsonl(rows, d: Dict) -> str:
    key = d.get("text_field", "text")
    return "".join(json.dumps({key: " ".join(t), d.get("label_field", "labels"): l}) + "\n"
                   for t, l in rows)


def _arff(rows, d: Dict) -> str:
    feats = _features()
    labels_first = d.get("labels_first", False)
    attrs = ([f"@attribute {l} {{0,1}}" for l in LABELS] if labels_first else []) + [
        f"@attribute {f} {{0,1}}" for f in feats] + (
        [] if labels_first else [f"@attribute {l} {{0,1}}" for l in LABELS])
    out = ["@relation own", ""] + attrs + ["", "@data"]
    for toks, labs in rows:
        on = {feats.index(t) + (len(LABELS) if labels_first else 0) for t in toks}
        on |= {LABELS.index(l) + (0 if labels_first else len(feats)) for l in labs}
        out.append("{" + ",".join(f"{i} 1" for i in sorted(on)) + "}")
    return "\n".join(out) + "\n"


def _libsvm(rows, d: Dict) -> str:
    """1-based feature indices (LIBSVM's convention), 0-based with ``zero_based``."""
    feats, base = _features(), 0 if d.get("zero_based") else 1
    out = []
    for toks, labs in rows:
        idx = sorted({feats.index(t) + base for t in toks})
        out.append(",".join(str(LABELS.index(l)) for l in labs) + " " +
                   " ".join(f"{i}:1" for i in idx))
    return "\n".join(out) + "\n"


def _numeric_table(rows, d: Dict) -> str:
    """Word counts as numeric feature columns, then one 0/1 column per label."""
    feats = _features()
    out = [",".join(feats + LABELS)]
    for toks, labs in rows:
        out.append(",".join([str(toks.count(f)) for f in feats] +
                            ["1" if l in labs else "0" for l in LABELS]))
    return "\n".join(out) + "\n"


WRITERS = {"text_table": _text_table, "jsonl": _jsonl, "arff": _arff, "libsvm": _libsvm,
           "numeric_table": _numeric_table}


def write_files(d: Dict, folder: Path) -> None:
    """The files of the ``data`` section ``d`` (relative paths under ``folder``)."""
    for seed, split in enumerate(("train", "valid", "test")):
        if d.get(split):
            p = folder / d[split]
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(WRITERS[d["format"]](samples(SIZES[split], seed), d))
    if d.get("labels") and d["format"] == "arff":
        (folder / d["labels"]).write_text(
            '<labels xmlns="http://mulan.sourceforge.net/labels">'
            + "".join(f'<label name="{l}"/>' for l in LABELS) + "</labels>\n")
    if d.get("labels") and d["format"] == "libsvm":
        (folder / d["labels"]).write_text("\n".join(LABELS) + "\n")


def raw_line(fmt: str, zero_based: bool = False) -> str:
    """A prediction input for a model trained on files of ``fmt``."""
    toks = WORDS["science"][:2] + NOISE[:2]
    if fmt == "numeric_table":
        return ",".join(str(toks.count(f)) for f in _features())
    if fmt in ("arff", "libsvm"):
        base = 1 if fmt == "libsvm" and not zero_based else 0
        return " ".join(f"{_features().index(t) + base}:1" for t in toks)
    return " ".join(toks)


def train_own(data: Dict, folder: Path, epochs: int = 6) -> Dict:
    """Writes the files of ``data``, trains a tiny model on them with ``train.py``'s loop
    (relative paths from ``folder``) and returns the report plus the run directory."""
    import os

    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.loop import train
    from tests.training.helpers import TINY_MODEL, TINY_TRAIN, write_config

    write_files(data, folder)
    cfg = {"data": {**data, "root": str(folder), "cache": str(folder / "cache"),
                    "valid_fraction": 0.2},
           "model": dict(TINY_MODEL, dropout=0.0),
           "train": dict(TINY_TRAIN, epochs=epochs, lr=0.01, batch_size=8),
           "eval": {"plots": False}}
    path = write_config(folder / "own.yaml", cfg)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        report = train(load_config(path), folder / "run", log=lambda *a: None)
    finally:
        os.chdir(cwd)
    return {"report": report, "run_dir": folder / "run"}
