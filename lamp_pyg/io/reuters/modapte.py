"""The ModApte split of Reuters-21578: :func:`read_reuters`."""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit
from lamp_pyg.io.reuters.sgml import ReutersRecord, iter_reuters_records
from lamp_pyg.io.reuters.tokens import tokenize

#: The 22 SGML files of Distribution 1.0, in order.
REUTERS_FILES: Tuple[str, ...] = tuple(f"reut2-{i:03d}.sgm" for i in range(22))


def _reuters_paths(folder: str, files: Optional[Sequence[str]]) -> List[str]:
    """The paths of the files to read (default: all of :data:`REUTERS_FILES`).

    Raises:
        FileNotFoundError: If a file is missing (naming up to five of them).
    """
    names = list(REUTERS_FILES if files is None else files)
    paths = [os.path.join(folder, n) for n in names]
    missing = [n for n, p in zip(names, paths) if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f"Reuters-21578: {len(missing)} of {len(names)} files missing in {folder}: "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    return paths


def _count(skipped: Dict[str, int], reason: str, n: int = 1) -> None:
    """Add ``n`` to ``skipped[reason]``, leaving the key out while it would be 0."""
    if n:
        skipped[reason] = skipped.get(reason, 0) + n


def _modapte_candidates(paths: Sequence[str],
                        skipped: Dict[str, int]) -> Tuple[List[ReutersRecord], int]:
    """Read all records and keep the ``TOPICS="YES"`` train/test ones with a topic.

    Args:
        paths: The SGML files.
        skipped: Counts to update: the records left out (``lewissplit_not_used``,
            ``topics_attr_not_yes``, ``no_topics``) and ``duplicate_topic_entries``.

    Returns:
        ``(candidates, n_records)``: the records kept, in file order, and the number
        of records read.

    Raises:
        DataFormatError: As :func:`iter_reuters_records`, or a ``NEWID`` used twice.
    """
    seen: Dict[str, Tuple[str, int]] = {}
    candidates: List[ReutersRecord] = []
    for p in paths:
        for rec in iter_reuters_records(p):
            if rec.newid in seen:
                fp, fl = seen[rec.newid]
                raise DataFormatError(p, rec.line, f"NEWID {rec.newid} already used at {fp}, line {fl}")
            seen[rec.newid] = (p, rec.line)
            _count(skipped, "duplicate_topic_entries", rec.duplicate_topics)
            if rec.lewissplit not in ("TRAIN", "TEST"):
                _count(skipped, "lewissplit_not_used")
            elif rec.topics_attr != "YES":
                _count(skipped, "topics_attr_not_yes")
            elif not rec.topics:
                _count(skipped, "no_topics")
            else:
                candidates.append(rec)
    return candidates, len(seen)


def _modapte_splits(candidates: Sequence[ReutersRecord], lowercase: bool,
                    skipped: Dict[str, int]) -> Tuple[List[str], Dict[str, Tuple[list, list, list]]]:
    """Apply the 90-topic rule to the candidates and tokenise the documents kept.

    Args:
        candidates: From :func:`_modapte_candidates`.
        lowercase: Lower-case the text before tokenising.
        skipped: Counts to update: ``no_modapte_topic`` and ``non_modapte_topic_labels``.

    Returns:
        ``(label_names, out)``: the topics found in both a train and a test candidate,
        sorted, and ``{'train' | 'test': (inputs, labels, ids)}``.
    """
    in_train = {t for r in candidates if r.lewissplit == "TRAIN" for t in r.topics}
    in_test = {t for r in candidates if r.lewissplit == "TEST" for t in r.topics}
    label_names = sorted(in_train & in_test)
    index = {t: i for i, t in enumerate(label_names)}

    out: Dict[str, Tuple[list, list, list]] = {s: ([], [], []) for s in ("train", "test")}
    for rec in candidates:
        labs = sorted(index[t] for t in rec.topics if t in index)
        if not labs:
            _count(skipped, "no_modapte_topic")
            continue
        _count(skipped, "non_modapte_topic_labels", len(rec.topics) - len(labs))
        inputs, labels, ids = out["train" if rec.lewissplit == "TRAIN" else "test"]
        inputs.append(tokenize(rec.text, lowercase))
        labels.append(labs)
        ids.append(rec.newid)
    return label_names, out


def read_reuters(folder: "str | os.PathLike[str]", lowercase: bool = True, *,
                 files: Optional[Sequence[str]] = None) -> RawDataset:
    """Read Reuters-21578 and return its ModApte split (90 topics).

    Text is title + body (for ``TYPE="UNPROC"`` stories, which have neither, the
    unstructured ``<TEXT>`` content instead of an empty text: 61 of the kept
    ModApte documents), entities decoded, control
    characters removed, lower-cased (if ``lowercase``) and tokenised with
    :data:`TOKEN_PATTERN`. ``DATELINE``, ``AUTHOR`` and the ``<UNKNOWN>`` junk are
    not part of the text.

    Result on Distribution 1.0: **7770 train** / 3019 test documents, 90 labels,
    cardinality 1.2354 (train 1.2336, test 1.2401). Of the 9603
    ``TOPICS="YES" LEWISSPLIT="TRAIN"`` records, 1828 have an empty ``<TOPICS>``
    and 5 only topics without a test document (``inventories`` x3, ``stg``,
    ``wool``): 9603 - 1828 - 5 = 7770. Of the 3299 test records, 280 have no
    topic: 3019. The rules admit no other count, so 7770 is what these files give.
    NLTK's ApteMod corpus (a preprocessed copy distributed separately) has 7769
    train / 3019 test documents and 90 topics; which train document it lacks
    cannot be told from these files alone (its file list is not distributed here).
    Note that 8 records have ``TOPICS="NO"`` but a non-empty ``<TOPICS>``
    (5 train, 3 test); ModApte excludes them by the attribute, as done here.

    ``RawDataset.skipped`` counts (keys present only when non-zero):

    - ``lewissplit_not_used``: records with ``LEWISSPLIT="NOT-USED"``;
    - ``topics_attr_not_yes``: train/test records with ``TOPICS="NO"`` or ``"BYPASS"``;
    - ``no_topics``: ModApte records with an empty ``<TOPICS>``;
    - ``no_modapte_topic``: ModApte records whose topics are all outside the 90;
    - ``duplicate_topic_entries``: repeated ``<D>`` entries removed (over all records);
    - ``non_modapte_topic_labels``: topics outside the 90 removed from kept documents.

    The first four are whole records: together with the kept documents they add up
    to the number of records read (21578).

    Args:
        folder: Folder holding the ``reut2-NNN.sgm`` files.
        lowercase: Lower-case the text before tokenising.
        files: File names inside ``folder`` to read; default all 22 of
            :data:`REUTERS_FILES` (a subset is for tests and quick looks: the
            90-topic rule is then computed on that subset).

    Returns:
        A ``RawDataset`` named ``reuters`` of kind ``text`` with splits ``train`` and
        ``test``; ``ids`` are the ``NEWID`` values; ``label_names`` are the topics,
        sorted alphabetically.

    Raises:
        FileNotFoundError: If a file is missing.
        DataFormatError: For malformed SGML (see :func:`iter_reuters_records`; this
            includes an empty or recordless file, named), a ``NEWID`` that occurs twice,
            or when no document at all is left (path: the folder; the message gives the
            counts), e.g. a ``files`` subset without both train and test records.
    """
    folder = os.fspath(folder)
    paths = _reuters_paths(folder, files)
    skipped: Dict[str, int] = {}
    candidates, n_records = _modapte_candidates(paths, skipped)
    label_names, out = _modapte_splits(candidates, lowercase, skipped)
    if not out["train"][0] and not out["test"][0]:
        raise DataFormatError(folder, None, f"no ModApte document in {len(paths)} file(s) "
                                            f"({n_records} records; skipped: {skipped}): expected "
                                            "TOPICS=\"YES\" records of both LEWISSPLIT=\"TRAIN\" and "
                                            "\"TEST\" sharing at least one topic")
    splits = {s: RawSplit("text", inputs, labels, ids) for s, (inputs, labels, ids) in out.items()}
    return RawDataset(name="reuters", splits=splits, label_names=label_names,
                      feature_names=None, num_features=None, skipped=skipped, sources=paths)
