"""A made-up wide binary ARFF dataset shaped like MULAN's protein-motif data (genbase).

:func:`write_motif_arff` writes ``<name>-train.arff``, ``<name>-test.arff`` and
``<name>.xml``: a nominal identifier attribute ``protein`` (one declared value per row of
both files), ``num_motifs`` nominal ``{YES,NO}`` attributes, then ``num_labels`` ``{0,1}``
label attributes, in dense rows. Each label owns ``motifs_per_label`` motifs; a row has 1
or 2 labels, 1 or 2 of each label's motifs, and 0 to 2 motifs drawn from the motifs no
label owns, so 1 to 6 motifs are ``YES`` per row (about 3 on average) and the labels are
a function of the motifs a linear model learns. For tests and ``bench/input_cost.py``;
numpy only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np


def motif_rows(n: int, num_motifs: int, num_labels: int, motifs_per_label: int,
               rng: np.random.Generator) -> List[Tuple[List[int], List[int]]]:
    """``n`` rows of (motifs present, labels), both sorted."""
    owned = num_labels * motifs_per_label
    if owned >= num_motifs:
        raise ValueError(f"num_motifs ({num_motifs}) must exceed num_labels x motifs_per_label "
                         f"({owned})")
    rows = []
    for _ in range(n):
        labs = sorted(rng.choice(num_labels, size=rng.integers(1, 3), replace=False).tolist())
        motifs = set()
        for l in labs:
            own = l * motifs_per_label + np.arange(motifs_per_label)
            motifs.update(rng.choice(own, size=rng.integers(1, 3), replace=False).tolist())
        motifs.update(rng.integers(owned, num_motifs, size=rng.integers(0, 3)).tolist())
        rows.append((sorted(motifs), labs))
    return rows


def _arff(rows, first_id: int, num_ids: int, num_motifs: int, num_labels: int) -> str:
    ids = ",".join(f"P{k:05d}" for k in range(num_ids))
    head = ["@relation motifs", f"@attribute protein {{{ids}}}"]
    head += [f"@attribute m{k:04d} {{YES,NO}}" for k in range(num_motifs)]
    head += [f"@attribute y{l:02d} {{0,1}}" for l in range(num_labels)]
    lines = head + ["@data"]
    for i, (motifs, labs) in enumerate(rows):
        m = np.full(num_motifs, "NO", dtype=object)
        m[motifs] = "YES"
        y = np.zeros(num_labels, dtype=np.int64)
        y[labs] = 1
        lines.append(",".join([f"P{first_id + i:05d}", *m.tolist(), *map(str, y.tolist())]))
    return "\n".join(lines) + "\n"


def write_motif_arff(folder, name: str = "motifs", num_train: int = 463, num_test: int = 199,
                     num_motifs: int = 1186, num_labels: int = 25, motifs_per_label: int = 3,
                     seed: int = 0) -> Dict[str, Path]:
    """Writes the dataset into ``folder``; returns ``{'train', 'test', 'labels'}`` -> path.
    The defaults are genbase's sizes (463 / 199 rows, 1186 motifs, 25 labels present)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = motif_rows(num_train + num_test, num_motifs, num_labels, motifs_per_label, rng)
    n_ids = num_train + num_test
    paths = {"train": folder / f"{name}-train.arff", "test": folder / f"{name}-test.arff",
             "labels": folder / f"{name}.xml"}
    paths["train"].write_text(_arff(rows[:num_train], 0, n_ids, num_motifs, num_labels))
    paths["test"].write_text(_arff(rows[num_train:], num_train, n_ids, num_motifs, num_labels))
    paths["labels"].write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<labels xmlns="http://mulan.sourceforge.net/labels">\n'
        + "".join(f'<label name="y{l:02d}"></label>\n' for l in range(num_labels)) + "</labels>\n")
    return paths
