"""Reader for SIDER (MoleculeNet CSV): SMILES -> atom tokens + bond graph.

The file (``sider.csv``, as in chemprop's ``data/sider.csv``) has a header
``smiles,<27 side-effect classes>`` (MedDRA system organ classes such as
``Hepatobiliary disorders``; several names contain commas and are quoted) and
one row per drug: a SMILES string and 27 ``0``/``1`` labels.

The CSV itself is read with the standard library; turning SMILES into atoms and
bonds needs RDKit, imported only when molecules are built (``pip install rdkit``
or ``pip install lamp-pyg[chem]``).

Atom tokens (:func:`atom_token`): the element symbol, lower-case when the atom is
aromatic (as in SMILES: ``c``, ``n``, ``o``, ``s``), followed by the formal charge
as ``+``/``-`` for +-1 and ``+2``/``-2``... beyond: ``C``, ``c``, ``N+``, ``O-``,
``n+``, ``Ca+2``, ``Gd+3``, ``O-2``. Chirality, isotopes and hydrogen counts are not
encoded (hydrogens are implicit, as RDKit leaves them after parsing; the few
explicit ``[H+]``/``[H-]`` ions of the file stay atoms ``H+``/``H-``). On the
real file this gives 70 distinct tokens.

Standard library + numpy; no torch.
"""
from __future__ import annotations

import csv
import os
import warnings
from contextlib import contextmanager
from typing import Dict, List, Tuple

import numpy as np

from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit

__all__ = ["RDKIT_INSTALL_HINT", "atom_token", "read_sider", "smiles_to_graph"]

#: Message of the ImportError raised when RDKit is missing.
RDKIT_INSTALL_HINT = (
    "SIDER molecules are parsed from SMILES with RDKit, which is not installed. "
    "Install it with `pip install rdkit` (or `pip install lamp-pyg[chem]`).")


def _import_chem():
    """Import ``rdkit.Chem`` lazily, with an actionable message when it is missing."""
    try:
        from rdkit import Chem
    except ImportError as e:
        raise ImportError(RDKIT_INSTALL_HINT) from e
    return Chem


@contextmanager
def _quiet_rdkit():
    """Silence RDKit's C++ log (e.g. 'not removing hydrogen atom without neighbors')."""
    try:
        from rdkit import rdBase
        blocker = rdBase.BlockLogs()
    except (ImportError, AttributeError):  # very old RDKit: no BlockLogs
        blocker = None
    try:
        yield
    finally:
        del blocker


def atom_token(atom) -> str:
    """Token of an RDKit atom: symbol (lower-case if aromatic) + formal charge.

    Args:
        atom: An ``rdkit.Chem.Atom``.

    Returns:
        E.g. ``'C'``, ``'c'``, ``'N+'``, ``'O-'``, ``'Ca+2'``, ``'se'``.
    """
    sym = atom.GetSymbol()
    if atom.GetIsAromatic():
        sym = sym.lower()
    q = atom.GetFormalCharge()
    if q == 0:
        return sym
    sign = "+" if q > 0 else "-"
    return f"{sym}{sign}" if abs(q) == 1 else f"{sym}{sign}{abs(q)}"


def _mol_to_graph(mol, smiles: str) -> Dict[str, object]:
    atoms = [atom_token(a) for a in mol.GetAtoms()]
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()]
    if bonds:
        ei = np.asarray(bonds, dtype=np.int64).T
        ei = np.concatenate([ei, ei[::-1]], axis=1)
        ei = ei[:, np.lexsort((ei[1], ei[0]))]  # sorted by (source, target)
    else:
        ei = np.zeros((2, 0), dtype=np.int64)
    return {"atoms": atoms, "edge_index": np.ascontiguousarray(ei), "smiles": smiles}


def _parse_smiles(Chem, smiles: str):
    """Return ``(mol, None)`` or ``(None, reason)``."""
    with _quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles)
        if mol is not None:
            return mol, None
        # find out why: syntax error, or sanitisation (valence, kekulisation)
        raw = Chem.MolFromSmiles(smiles, sanitize=False)
        if raw is None:
            return None, "SMILES syntax error"
        try:
            Chem.SanitizeMol(raw)
        except Exception as e:  # RDKit raises several exception types here
            return None, f"RDKit sanitisation failed: {e}"
        return None, "RDKit could not parse it"


def smiles_to_graph(smiles: str) -> Dict[str, object]:
    """Parse one SMILES into the molecule input of a :class:`RawSplit`.

    Atoms are RDKit's after default parsing (hydrogens implicit), in SMILES order.

    Args:
        smiles: A SMILES string.

    Returns:
        ``{'atoms': list[str], 'edge_index': np.ndarray [2, E] int64, 'smiles': str}``;
        ``edge_index`` holds each bond in both directions (``E`` = 2 x bonds),
        sorted by (source, target); ``[2, 0]`` for a single atom.

    Raises:
        ImportError: If RDKit is not installed (message says how to install it).
        ValueError: If RDKit cannot parse the SMILES.
    """
    Chem = _import_chem()
    mol, why = _parse_smiles(Chem, smiles)
    if mol is None:
        raise ValueError(f"cannot parse SMILES {smiles!r}: {why}")
    return _mol_to_graph(mol, smiles)


def _read_table(path: str) -> Tuple[List[str], List[Tuple[int, str, List[int]]], int]:
    """Read and validate the CSV (stdlib only).

    Returns:
        ``(label_names, rows, blank_lines)`` with rows ``(line, smiles, label indices)``,
        ``line`` being the 1-based line on which the record starts.
    """
    with open(path, "r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise DataFormatError(path, 1, "empty file: expected a header 'smiles,<label>,...'") from None
        except csv.Error as e:
            raise DataFormatError(path, reader.line_num, f"CSV error: {e}") from None
        names = [h.strip() for h in header]
        if not names or names[0].lower() != "smiles":
            raise DataFormatError(path, 1, f"expected first column 'smiles', got {names[0]!r}"
                                  if names else "expected a header 'smiles,<label>,...'")
        labels = names[1:]
        if not labels:
            raise DataFormatError(path, 1, "header has no label columns after 'smiles'")
        if any(not n for n in labels):
            raise DataFormatError(path, 1, "header has an empty label name")
        if len(set(labels)) != len(labels):
            dup = sorted({n for n in labels if labels.count(n) > 1})
            raise DataFormatError(path, 1, f"header repeats label column(s) {dup}")

        rows: List[Tuple[int, str, List[int]]] = []
        blank = 0
        ncol = len(names)
        while True:
            line = reader.line_num + 1  # where this record starts (a quoted field may span lines)
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                raise DataFormatError(path, line, f"CSV error: {e} (unbalanced quotes?)") from None
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                blank += 1
                continue
            if len(rec) != ncol:
                raise DataFormatError(path, line, f"expected {ncol} fields (smiles + {ncol - 1} "
                                                  f"labels), got {len(rec)}")
            smiles = rec[0].strip()
            if not smiles:
                raise DataFormatError(path, line, "empty SMILES")
            labs = []
            for j, v in enumerate(rec[1:]):
                v = v.strip()
                if v == "1":
                    labs.append(j)
                elif v != "0":
                    raise DataFormatError(path, line, f"label {labels[j]!r} must be 0 or 1, got {v!r}")
            rows.append((line, smiles, labs))
    return labels, rows, blank


def read_sider(csv_path: "str | os.PathLike[str]", *, on_invalid_smiles: str = "skip") -> RawDataset:
    """Read SIDER into a single split ``'all'`` of molecules.

    The dataset step makes the seeded 80/10/10 splits; there is no standard one.

    On chemprop's ``sider.csv`` (RDKit 2026.09.1): 1427 molecules, 27 labels,
    cardinality 15.32 (21,868 positive labels), 1088 distinct label sets, no molecule
    without a label, largest molecule 492 atoms, smallest 1; every SMILES parses
    (``skipped`` is empty). 182 SMILES are several disconnected fragments (salts,
    mixtures): each stays one input with several connected components.

    Args:
        csv_path: Path to ``sider.csv``.
        on_invalid_smiles: What to do with a SMILES RDKit cannot parse: ``'skip'``
            (count it in ``skipped['invalid_smiles']`` and warn, naming the lines) or
            ``'raise'`` (:class:`DataFormatError` naming the line).

    Returns:
        A ``RawDataset`` named ``sider`` of kind ``molecule`` with one split ``'all'``:
        inputs from :func:`smiles_to_graph`, ``ids`` the CSV line numbers (as strings,
        header = line 1), ``label_names`` the header's label columns in file order.
        ``skipped`` may hold ``invalid_smiles`` and ``blank_lines``.

    Raises:
        DataFormatError: For a missing/invalid header, a row with the wrong number of
            fields, a label other than 0/1, an empty SMILES, or (with
            ``on_invalid_smiles='raise'``) an unparseable SMILES.
        ImportError: If RDKit is missing (after the CSV has been validated); the
            message says to ``pip install rdkit`` or ``pip install lamp-pyg[chem]``.
    """
    if on_invalid_smiles not in ("skip", "raise"):
        raise ValueError(f"on_invalid_smiles must be 'skip' or 'raise', got {on_invalid_smiles!r}")
    path = os.fspath(csv_path)
    label_names, rows, blank = _read_table(path)

    Chem = _import_chem()
    inputs, labels, ids = [], [], []
    bad: List[Tuple[int, str, str]] = []
    for line, smiles, labs in rows:
        mol, why = _parse_smiles(Chem, smiles)
        if mol is None:
            if on_invalid_smiles == "raise":
                raise DataFormatError(path, line, f"RDKit cannot parse SMILES {smiles!r}: {why}")
            bad.append((line, smiles, why))
            continue
        inputs.append(_mol_to_graph(mol, smiles))
        labels.append(labs)
        ids.append(str(line))

    skipped: Dict[str, int] = {}
    if bad:
        skipped["invalid_smiles"] = len(bad)
        shown = "; ".join(f"line {ln}: {why}" for ln, _, why in bad[:5])
        warnings.warn(f"{path}: skipped {len(bad)} SMILES RDKit cannot parse ({shown}"
                      f"{' ...' if len(bad) > 5 else ''})", stacklevel=2)
    if blank:
        skipped["blank_lines"] = blank
    split = RawSplit("molecule", inputs, labels, ids)
    return RawDataset(name="sider", splits={"all": split}, label_names=label_names,
                      feature_names=None, num_features=None, skipped=skipped, sources=[path])
