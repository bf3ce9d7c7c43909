"""The original LaMP code's data layouts (files -> :class:`~lamp_pyg.io.base.RawDataset`).

So that users of https://github.com/QData/LaMP can bring their prepared data:

1. **Text folders** (:func:`read_lamp_text`): ``{train,valid,test}_inputs.txt`` and
   ``{train,valid,test}_labels.txt``, one sample per line, whitespace separated tokens
   and labels (line ``i`` of the labels file belongs to line ``i`` of the inputs file).
2. **Preprocessed dict** (:func:`read_lamp_pt`): ``train_valid_test.pt`` written by LaMP's
   ``preprocess.py``::

       {'settings': argparse.Namespace(...),          # preprocess.py options
        'dict': {'src': word2idx, 'tgt': label2idx},  # both with the 4 specials below
        'train': {'src': [[ids]], 'tgt': [[ids]]},    # + 'adj' (flattened n x n) for SIDER
        'valid': {...}, 'test': {...}}

   ``preprocess.py`` wraps every sequence as ``[BOS] + ids + [EOS]`` (inputs with an
   ``adj`` matrix get no BOS/EOS), maps words missing from the vocabulary to UNK, and
   replaces an *empty* line by the string ``'</s>'``, which it then indexes character by
   character (``[idx('<'), idx('/'), idx('s'), idx('>')]``, usually four UNKs). The
   special ids come from LaMP's ``Constants`` (taken over from
   attention-is-all-you-need-pytorch): PAD ``<blank>`` = 0, UNK ``<unk>`` = 1,
   BOS ``<s>`` = 2, EOS ``</s>`` = 3; LaMP's data loader relies on labels starting at
   id 4 (``idx - 4``). This reader finds the specials by their words in the dicts.

Only :func:`read_lamp_pt` needs torch, which it imports when called.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit, read_text_lines
from lamp_pyg.io.safe_load import UnreadableFileError, UnsafeFileError, load_plain

PathLike = Union[str, Path]

__all__ = [
    "PAD_WORD", "UNK_WORD", "BOS_WORD", "EOS_WORD", "SPLITS",
    "read_lamp", "read_lamp_pt", "read_lamp_text",
]

PAD_WORD = "<blank>"
UNK_WORD = "<unk>"
BOS_WORD = "<s>"
EOS_WORD = "</s>"
SPECIAL_WORDS = (PAD_WORD, UNK_WORD, BOS_WORD, EOS_WORD)
SPLITS = ("train", "valid", "test")


# --------------------------------------------------------------------------- text folders


def _read_lines(path: Path, encoding: str) -> List[str]:
    """Lines split on ``\\n`` only (like iterating a file; control characters stay in a line)."""
    lines = read_text_lines(path, encoding)
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start an empty one
    return [l[:-1] if l.endswith("\r") else l for l in lines]


#: One split of a text folder: token lists, label-word lists, sample ids.
_TextSplit = Tuple[List[List[str]], List[List[str]], List[str]]


def _read_text_split(folder: Path, split: str, lower: bool,
                     encoding: str) -> Optional[Tuple[_TextSplit, Path, Path]]:
    """Read ``<split>_inputs.txt`` and ``<split>_labels.txt`` of a text folder.

    Args:
        folder: The folder.
        split: The split name.
        lower: Lower-case tokens and labels.
        encoding: Text encoding.

    Returns:
        ``((tokens, labels, ids), inputs file, labels file)``, or ``None`` when neither
        file exists and the split is neither ``train`` nor ``test``.

    Raises:
        FileNotFoundError: Both files of ``train`` / ``test`` are missing, or one file
            of a split exists without its partner.
        DataFormatError: The two files have different line counts, or cannot be decoded.
    """
    fin, flab = folder / f"{split}_inputs.txt", folder / f"{split}_labels.txt"
    if not fin.is_file() and not flab.is_file():
        if split in ("train", "test"):
            raise FileNotFoundError(f"LaMP text layout: missing {fin} and {flab}")
        return None
    for f in (fin, flab):
        if not f.is_file():
            raise FileNotFoundError(f"LaMP text layout: {f} is missing (its partner file exists)")
    in_lines = _read_lines(fin, encoding)
    lab_lines = _read_lines(flab, encoding)
    if len(in_lines) != len(lab_lines):
        raise DataFormatError(flab, None, f"{len(lab_lines)} label lines but {fin.name} has "
                                          f"{len(in_lines)} lines: expected one labels line per input line")
    if lower:
        in_lines = [l.lower() for l in in_lines]
        lab_lines = [l.lower() for l in lab_lines]
    tokens = [l.split() for l in in_lines]
    labs = [l.split() for l in lab_lines]
    ids = [f"{fin.name}:{i + 1}" for i in range(len(tokens))]
    return (tokens, labs, ids), fin, flab


def _text_label_names(raw: Dict[str, _TextSplit], label_order: str) -> List[str]:
    """Label names over all splits: sorted, or by first appearance (train, valid, test)."""
    if label_order == "sorted":
        return sorted({l for _, labs, _ in raw.values() for row in labs for l in row})
    return list(dict.fromkeys(
        l for s in sorted(raw, key=lambda s: SPLITS.index(s) if s in SPLITS else len(SPLITS))
        for row in raw[s][1] for l in row))


def read_lamp_text(folder: PathLike, name: Optional[str] = None, *,
                   splits: Sequence[str] = SPLITS, lower: bool = True,
                   label_order: str = "sorted", encoding: str = "utf-8") -> RawDataset:
    """Read a LaMP text folder (``<split>_inputs.txt`` + ``<split>_labels.txt``).

    Every line is one sample, empty lines included (an empty inputs line gives a sample
    with no tokens, an empty labels line a sample with no labels; both are kept: dropping
    them, as LaMP's ``preprocess.py`` does for train and valid, is the dataset step's
    job). No truncation to a maximum length is done here either.

    Label names are collected from all splits (LaMP's ``preprocess.py`` built them from
    train only and mapped test-only labels to UNK; filtering is again the dataset step's
    job).

    Args:
        folder: The folder.
        name: Dataset name; defaults to the folder's name.
        splits: Splits to read. ``train`` and ``test`` must exist; any other split is read
            if both of its files exist (an inputs file without labels file, or the
            reverse, is an error).
        lower: Lower-case tokens and labels, as ``preprocess.py`` does unless
            ``-keep_case``.
        label_order: ``'sorted'`` (default): label names sorted alphabetically (Python
            string order). ``'appearance'``: by first appearance, reading train, valid
            then test, each line left to right.
        encoding: Text encoding.

    Returns:
        A :class:`RawDataset` of kind ``'text'``. ``skipped`` counts repeated labels on a
        line, merged into one, as ``'duplicate_labels:<split>'``.

    Raises:
        FileNotFoundError: ``train`` or ``test`` files are missing.
        DataFormatError: Inputs and labels files of a split have different line counts,
            or a file cannot be decoded.
        ValueError: Unknown ``label_order``.
    """
    if label_order not in ("sorted", "appearance"):
        raise ValueError(f"label_order must be 'sorted' or 'appearance', got {label_order!r}")
    folder = Path(folder)
    name = name or folder.name
    raw: Dict[str, _TextSplit] = {}
    sources: List[str] = []
    skipped: Dict[str, int] = {}
    for split in splits:
        found = _read_text_split(folder, split, lower, encoding)
        if found is None:
            continue
        table, fin, flab = found
        raw[split] = table
        dups = sum(len(row) - len(set(row)) for row in table[1])
        if dups:
            skipped[f"duplicate_labels:{split}"] = dups
        sources += [str(fin), str(flab)]

    label_names = _text_label_names(raw, label_order)
    index = {l: i for i, l in enumerate(label_names)}
    out = {}
    for split, (tokens, labs, ids) in raw.items():
        labels = [sorted({index[l] for l in row}) for row in labs]
        out[split] = RawSplit(kind="text", inputs=tokens, labels=labels, ids=ids)
    return RawDataset(name=name, splits=out, label_names=label_names, feature_names=None,
                      num_features=None, skipped=skipped, sources=sources)


# --------------------------------------------------------------------------- preprocessed .pt


def _load_pt(path: Path, trusted: bool):
    import argparse

    try:  # LaMP's own files pickle their options as an argparse.Namespace
        return load_plain(path, trusted=trusted, allow=[argparse.Namespace])
    except UnreadableFileError as e:
        hint = ("" if trusted or not isinstance(e, UnsafeFileError) else
                " If the file comes from a source you trust and holds other Python "
                "objects, pass trusted=True.")
        raise DataFormatError(path, None, f"cannot load as a torch.save'd LaMP dict: it "
                                          f"{e.reason}.{hint}") from None


def _specials(word2idx: dict) -> Dict[str, int]:
    return {w: word2idx[w] for w in SPECIAL_WORDS if w in word2idx}


def _empty_artefact(word2idx: dict) -> List[int]:
    """What preprocess.py writes for an empty line: '</s>' indexed character by character."""
    unk = word2idx.get(UNK_WORD, 1)
    return [word2idx.get(c, unk) for c in EOS_WORD]


@dataclass
class _PtVocab:
    """What turning ids back into words and labels needs from ``data['dict']``.

    Attributes:
        src_i2w: Input id -> word.
        drop_src: Input ids of PAD / BOS / EOS (dropped).
        drop_tgt: Label ids of PAD / BOS / EOS (dropped).
        tgt_unk: Label id of UNK (counted and dropped), or ``None``.
        label_names: The non-special label words, in id order.
        label_of: Label id -> index into ``label_names``.
        src_empty: The ids ``preprocess.py`` writes for an empty inputs line.
        tgt_empty: The ids ``preprocess.py`` writes for an empty labels line.
        src_bos: Input id of BOS, or ``None``.
        tgt_bos: Label id of BOS, or ``None``.
    """

    src_i2w: Dict[int, str]
    drop_src: Set[int]
    drop_tgt: Set[int]
    tgt_unk: Optional[int]
    label_names: List[str]
    label_of: Dict[int, int]
    src_empty: List[int]
    tgt_empty: List[int]
    src_bos: Optional[int]
    tgt_bos: Optional[int]


def _pt_vocab(data: Any, path: Path) -> _PtVocab:
    """Check the loaded object's outer shape and read its ``'dict'`` entry.

    Raises:
        DataFormatError: ``data`` is not a dict with a ``'dict'`` entry holding the
            ``'src'`` and ``'tgt'`` dictionaries.
    """
    if not isinstance(data, dict) or "dict" not in data:
        raise DataFormatError(path, None, "expected a dict with keys 'settings', 'dict', 'train', "
                                          "'valid', 'test' (LaMP preprocess.py output)")
    d = data["dict"]
    if not isinstance(d, dict) or not isinstance(d.get("src"), dict) or not isinstance(d.get("tgt"), dict):
        raise DataFormatError(path, None, "expected data['dict'] = {'src': word2idx, 'tgt': label2idx}")
    src_w2i, tgt_w2i = d["src"], d["tgt"]
    src_sp = _specials(src_w2i)
    tgt_sp = _specials(tgt_w2i)
    label_items = sorted(((int(i), w) for w, i in tgt_w2i.items() if w not in tgt_sp))
    return _PtVocab(
        src_i2w={int(i): w for w, i in src_w2i.items()},
        drop_src={src_sp[w] for w in (PAD_WORD, BOS_WORD, EOS_WORD) if w in src_sp},
        drop_tgt={tgt_sp[w] for w in (PAD_WORD, BOS_WORD, EOS_WORD) if w in tgt_sp},
        tgt_unk=tgt_sp.get(UNK_WORD),
        label_names=[w for _, w in label_items],
        label_of={i: k for k, (i, _) in enumerate(label_items)},
        src_empty=_empty_artefact(src_w2i), tgt_empty=_empty_artefact(tgt_w2i),
        src_bos=src_sp.get(BOS_WORD), tgt_bos=tgt_sp.get(BOS_WORD))


def _src_tokens(src: Sequence[int], voc: _PtVocab, split: str, r: int, path: Path) -> List[str]:
    """One input row's words (specials dropped; the empty-line artefact gives ``[]``).

    Args:
        src: The row's ids.
        voc: The dictionaries.
        split: The split name, for error messages.
        r: The row's position in the split, for error messages.
        path: The file, for error messages.

    Raises:
        DataFormatError: An id is not in ``dict['src']``.
    """
    src = [int(x) for x in src]
    if src == voc.src_empty and voc.src_bos not in src:
        return []
    toks = []
    for x in src:
        if x in voc.drop_src:
            continue
        w = voc.src_i2w.get(x)
        if w is None:
            raise DataFormatError(path, None, f"data[{split!r}]['src'][{r}]: id {x} is not in dict['src']")
        toks.append(w)
    return toks


def _tgt_labels(tgt: Sequence[int], voc: _PtVocab, split: str, r: int,
                path: Path) -> Tuple[List[int], int]:
    """One label row as sorted label indices, and how many UNK labels it dropped.

    Args:
        tgt: The row's ids.
        voc: The dictionaries.
        split: The split name, for error messages.
        r: The row's position in the split, for error messages.
        path: The file, for error messages.

    Raises:
        DataFormatError: An id is not in ``dict['tgt']``.
    """
    tgt = [int(x) for x in tgt]
    if tgt == voc.tgt_empty and voc.tgt_bos not in tgt:
        return [], 0
    labs_set = set()
    unknown = 0
    for x in tgt:
        if x in voc.drop_tgt:
            continue
        if x == voc.tgt_unk:
            unknown += 1
            continue
        k = voc.label_of.get(x)
        if k is None:
            raise DataFormatError(path, None, f"data[{split!r}]['tgt'][{r}]: id {x} is not in dict['tgt']")
        labs_set.add(k)
    return sorted(labs_set), unknown


def _molecules(tokens_all: List[List[str]], adjs: Sequence[Any], split: str,
               path: Path) -> List[Dict[str, Any]]:
    """Molecule inputs from atom lists and flattened ``n x n`` adjacency matrices.

    Raises:
        DataFormatError: A matrix does not have ``n * n`` entries for its ``n`` atoms.
    """
    mols = []
    for r, (toks, adj) in enumerate(zip(tokens_all, adjs)):
        a = np.asarray(adj, dtype=np.float64).ravel()
        n = len(toks)
        if a.size != n * n:
            raise DataFormatError(path, None, f"data[{split!r}]['adj'][{r}] has {a.size} entries: "
                                              f"expected {n}x{n} = {n * n} for its {n} atoms")
        A = a.reshape(n, n)
        A = (A != 0) | (A.T != 0)
        np.fill_diagonal(A, False)
        edge_index = np.stack(np.nonzero(A)).astype(np.int64).reshape(2, -1)
        mols.append({"atoms": toks, "edge_index": edge_index, "smiles": ""})
    return mols


def _pt_split(part: Any, split: str, voc: _PtVocab, path: Path) -> Tuple[RawSplit, int]:
    """Decode one split entry ``{'src': ..., 'tgt': ...[, 'adj': ...]}``.

    Returns:
        ``(split, unknown)``: the :class:`RawSplit` (kind ``'molecule'`` with ``adj``)
        and the number of UNK labels dropped.

    Raises:
        DataFormatError: A malformed entry, rows of different counts, or as
            :func:`_src_tokens`, :func:`_tgt_labels` and :func:`_molecules`.
    """
    if not isinstance(part, dict) or "src" not in part or "tgt" not in part:
        raise DataFormatError(path, None, f"expected data[{split!r}] = {{'src': list of id lists, "
                                          "'tgt': list of id lists}")
    srcs, tgts = list(part["src"]), list(part["tgt"])
    adjs = part.get("adj")
    if len(srcs) != len(tgts):
        raise DataFormatError(path, None, f"data[{split!r}]: {len(srcs)} 'src' rows but "
                                          f"{len(tgts)} 'tgt' rows: expected equal")
    if adjs is not None and len(adjs) != len(srcs):
        raise DataFormatError(path, None, f"data[{split!r}]: {len(adjs)} 'adj' rows but "
                                          f"{len(srcs)} 'src' rows: expected equal")
    tokens_all: List[List[str]] = []
    labels_all: List[List[int]] = []
    unknown = 0
    for r, (src, tgt) in enumerate(zip(srcs, tgts)):
        tokens_all.append(_src_tokens(src, voc, split, r, path))
        labs, unk = _tgt_labels(tgt, voc, split, r, path)
        labels_all.append(labs)
        unknown += unk
    ids = [f"{split}:{r}" for r in range(len(srcs))]
    if adjs is None:
        return RawSplit(kind="text", inputs=tokens_all, labels=labels_all, ids=ids), unknown
    return RawSplit(kind="molecule", inputs=_molecules(tokens_all, adjs, split, path),
                    labels=labels_all, ids=ids), unknown


def read_lamp_pt(path: PathLike, name: Optional[str] = None, *, trusted: bool = False) -> RawDataset:
    """Read LaMP's preprocessed ``train_valid_test.pt`` back into words and labels.

    Inputs become token lists (specials BOS/EOS/PAD removed; a word the vocabulary did
    not hold is the literal ``'<unk>'`` token, UNK_WORD, so sequence positions are kept).
    Labels become indices into the label names, which are the ``dict['tgt']`` words
    other than the specials, in id order. With ``adj`` entries (LaMP's SIDER layout) the
    splits are of kind ``'molecule'``: the input tokens are the atoms, the flattened
    ``n x n`` matrix gives ``edge_index`` (non-zero off-diagonal entries, both
    directions) and ``smiles`` is ``''`` because the file does not store it.

    Args:
        path: The ``.pt`` file.
        name: Dataset name; defaults to the name of the file's folder.
        trusted: Load with ``weights_only=False`` (arbitrary pickles: only for files you
            trust). By default only plain containers and ``argparse.Namespace`` (the
            ``settings`` entry) are allowed.

    Returns:
        A :class:`RawDataset` (kind ``'text'``, or ``'molecule'`` with ``adj``) with the
        splits present among train / valid / test. ``skipped`` counts label ids equal to
        UNK (labels missing from the train vocabulary, unrecoverable) as
        ``'unknown_labels:<split>'``. Empty lines (the ``'</s>'`` artefact) come back as
        empty token / label lists.

    Raises:
        DataFormatError: The file cannot be loaded, lacks the expected keys, or holds ids
            missing from its dictionaries, or an ``adj`` of the wrong size.
    """
    path = Path(path)
    data = _load_pt(path, trusted)
    voc = _pt_vocab(data, path)
    splits: Dict[str, RawSplit] = {}
    skipped: Dict[str, int] = {}
    present = [s for s in SPLITS if s in data]
    if "train" not in present:
        raise DataFormatError(path, None, "no 'train' entry: expected data['train'] = "
                                          "{'src': [...], 'tgt': [...]}")
    for split in present:
        splits[split], unknown = _pt_split(data[split], split, voc, path)
        if unknown:
            skipped[f"unknown_labels:{split}"] = unknown
    return RawDataset(name=name or path.parent.name, splits=splits, label_names=voc.label_names,
                      feature_names=None, num_features=None, skipped=skipped, sources=[str(path)])


def read_lamp(path: PathLike, name: Optional[str] = None, **kwargs) -> RawDataset:
    """Read either LaMP layout, whichever ``path`` holds.

    Args:
        path: A ``.pt`` file, or a folder with ``train_inputs.txt`` (text layout, preferred)
            or ``train_valid_test.pt``.
        name: Dataset name.
        **kwargs: Passed on to :func:`read_lamp_text` or :func:`read_lamp_pt`.

    Returns:
        The :class:`RawDataset`.

    Raises:
        FileNotFoundError: Neither layout is found.
    """
    path = Path(path)
    if path.is_file():
        return read_lamp_pt(path, name, **kwargs)
    if (path / "train_inputs.txt").is_file():
        return read_lamp_text(path, name, **kwargs)
    if (path / "train_valid_test.pt").is_file():
        return read_lamp_pt(path / "train_valid_test.pt", name or path.name, **kwargs)
    raise FileNotFoundError(f"{path}: expected a LaMP folder with train_inputs.txt/train_labels.txt "
                            "or train_valid_test.pt, or a .pt file")
