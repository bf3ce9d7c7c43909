"""Reader for Reuters-21578 (Distribution 1.0, SGML) with the ModApte split.

The collection is 22 files ``reut2-000.sgm`` .. ``reut2-021.sgm``, each a
``<!DOCTYPE lewis SYSTEM "lewis.dtd">`` line followed by ``<REUTERS ...>``
records (see ``README.txt`` and ``lewis.dtd`` of the distribution). The files
are Latin-1; control characters are written as character references
(``&#1;``, ``&#2;``, ``&#3;``, ``&#5;``, ``&#22;``, ``&#31;``, ``&#127;`` ...), ``<`` and
``&`` as ``&lt;`` and ``&amp;``; one raw non-ASCII byte (0xFC) occurs.

ModApte split, as computed here:

1. keep records with ``TOPICS="YES"`` and ``LEWISSPLIT`` ``"TRAIN"`` (train) or
   ``"TEST"`` (test);
2. the label set is the topics that occur in at least one such train *and* one
   such test document (90 topics);
3. drop the other topics from every document and keep the documents left with
   at least one topic.

On Distribution 1.0 this gives **7770 train** / 3019 test documents, 90 topics and
label cardinality 1.235 (13,329 topic assignments over 10,789 documents); see
:func:`read_reuters` for why it is 7770 and not NLTK's 7769.

Standard library only (no numpy, no torch).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from lamp_pyg.io.base import DataFormatError, RawDataset, RawSplit

__all__ = [
    "REUTERS_FILES",
    "TOKEN_PATTERN",
    "ReutersRecord",
    "iter_reuters_records",
    "read_reuters",
    "tokenize",
]

#: The 22 SGML files of Distribution 1.0, in order.
REUTERS_FILES: Tuple[str, ...] = tuple(f"reut2-{i:03d}.sgm" for i in range(22))

#: Tokenizer: a number with internal ``.``/``,`` separators ("5.93", "155,221"),
#: else a maximal run of letters and digits (``[^\W_]`` = ``\w`` without ``_``).
#: Everything else (punctuation, whitespace, control characters, ``_``) separates
#: tokens and is dropped. So "U.S." -> "u", "s"; "company's" -> "company", "s";
#: "mid-1987" -> "mid", "1987"; "1,750 dlrs." -> "1,750", "dlrs".
TOKEN_PATTERN = r"\d+(?:[.,]\d+)+|[^\W_]+"
_TOKEN_RE = re.compile(TOKEN_PATTERN)

# Only the two entities lewis.dtd declares (lt, amp) occur in the data; gt, quot
# and apos are accepted as the usual SGML/XML ones. Any other named entity is an error.
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# control characters (after entity decoding) -> space
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_RECORD_TAG_RE = re.compile(r"<(/?)REUTERS\b([^<>]*)(>?)")
_ATTR_RE = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*"([^"]*)"')
_DOCTYPE_RE = re.compile(r"\s*<!DOCTYPE[^>]*>")
_D_RE = re.compile(r"<D>(.*?)</D>", re.S)
_TAG_RE = re.compile(r"<[^<>]*>")

_LEWISSPLIT_VALUES = ("TRAIN", "TEST", "NOT-USED")
_TOPICS_VALUES = ("YES", "NO", "BYPASS")


def tokenize(text: str, lowercase: bool = True) -> List[str]:
    """Split text into tokens with :data:`TOKEN_PATTERN`.

    Args:
        text: Decoded text (entities already replaced).
        lowercase: Lower-case before tokenising.

    Returns:
        The tokens, in order.
    """
    if lowercase:
        text = text.lower()
    return _TOKEN_RE.findall(text)


@dataclass
class ReutersRecord:
    """One ``<REUTERS>`` record as read from a file (before any ModApte filtering).

    Attributes:
        newid: The ``NEWID`` attribute (a decimal string).
        lewissplit: ``TRAIN``, ``TEST`` or ``NOT-USED``.
        topics_attr: The ``TOPICS`` attribute: ``YES``, ``NO`` or ``BYPASS``.
        topics: Topic names in file order, duplicates removed.
        duplicate_topics: How many repeated ``<D>`` entries were removed from ``topics``.
        title: Decoded ``<TITLE>`` text ("" if absent).
        body: Decoded ``<BODY>`` text ("" if absent).
        unproc_text: For a ``<TEXT>`` with neither ``<TITLE>`` nor ``<BODY>``
            (``TYPE="UNPROC"`` stories), its decoded content with tags removed; else "".
        path: The file the record came from.
        line: 1-based line of its ``<REUTERS`` tag.
        attrs: All attributes of the ``<REUTERS>`` tag (``OLDID``, ``CGISPLIT``, ...).
    """

    newid: str
    lewissplit: str
    topics_attr: str
    topics: List[str]
    duplicate_topics: int
    title: str
    body: str
    unproc_text: str
    path: str
    line: int
    attrs: Dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def text(self) -> str:
        """Title and body joined by a newline, or the unstructured text of an UNPROC story."""
        if self.title or self.body:
            return f"{self.title}\n{self.body}"
        return self.unproc_text


class _LineCounter:
    """Offset -> 1-based line number, scanning forward only (offsets asked in order)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1

    def __call__(self, offset: int) -> int:
        if offset < self.pos:  # rare: restart (only used on error paths)
            return self.text.count("\n", 0, offset) + 1
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


def _decode(raw: str, path: str, line_of) -> str:
    """Replace character references / entities and control characters.

    Args:
        raw: Text as it is in the file (Latin-1 decoded).
        path: For error messages.
        line_of: Callable mapping an offset in ``raw`` to a file line number.
    """
    if "&" in raw:
        def repl(m: "re.Match[str]") -> str:
            ref = m.group(1)
            if ref[0] == "#":
                code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
                if code > 0x10FFFF:
                    raise DataFormatError(path, line_of(m.start()),
                                          f"character reference &{ref}; out of range")
                return chr(code)
            try:
                return _NAMED_ENTITIES[ref]
            except KeyError:
                raise DataFormatError(
                    path, line_of(m.start()),
                    f"unknown entity &{ref}; (expected &lt; &gt; &amp; &quot; &apos; or &#N;)"
                ) from None
        raw = _ENTITY_RE.sub(repl, raw)
    return _CONTROL_RE.sub(" ", raw)


def _parse_attrs(s: str, path: str, line: int) -> Dict[str, str]:
    attrs: Dict[str, str] = {}
    pos = 0
    for m in _ATTR_RE.finditer(s):
        if m.start() != pos:
            break
        name = m.group(1).upper()
        if name in attrs:
            raise DataFormatError(path, line, f"<REUTERS> repeats attribute {name}")
        attrs[name] = m.group(2)
        pos = m.end()
    rest = s[pos:].strip()
    if rest:
        raise DataFormatError(path, line,
                              f'<REUTERS> tag: expected NAME="value" attributes, found {rest[:40]!r}')
    return attrs


def _check_record_attrs(attrs: Dict[str, str], path: str, line: int) -> str:
    """Check the ``NEWID``, ``LEWISSPLIT`` and ``TOPICS`` attributes of a record.

    Args:
        attrs: Attributes of its ``<REUTERS>`` tag.
        path: File, for error messages.
        line: Line of the ``<REUTERS`` tag.

    Returns:
        The ``NEWID`` value.

    Raises:
        DataFormatError: An attribute is missing or has a value outside its set.
    """
    for name in ("NEWID", "LEWISSPLIT", "TOPICS"):
        if name not in attrs:
            raise DataFormatError(path, line, f"<REUTERS> record lacks the {name} attribute")
    newid = attrs["NEWID"]
    if not newid.isdigit():
        raise DataFormatError(path, line, f"NEWID must be a decimal number, got {newid!r}")
    if attrs["LEWISSPLIT"] not in _LEWISSPLIT_VALUES:
        raise DataFormatError(path, line, f"NEWID {newid}: LEWISSPLIT must be one of "
                                          f"{_LEWISSPLIT_VALUES}, got {attrs['LEWISSPLIT']!r}")
    if attrs["TOPICS"] not in _TOPICS_VALUES:
        raise DataFormatError(path, line, f"NEWID {newid}: TOPICS must be one of "
                                          f"{_TOPICS_VALUES}, got {attrs['TOPICS']!r}")
    return newid


class _Content:
    """The inside of one record, with what its error messages need.

    Attributes:
        text: The record's content (between ``<REUTERS ...>`` and ``</REUTERS>``).
        path: File, for error messages.
        newid: The record's ``NEWID``, for error messages.
        first_line: Line on which ``text`` starts.
    """

    def __init__(self, text: str, path: str, newid: str, first_line: int):
        self.text = text
        self.path = path
        self.newid = newid
        self.first_line = first_line

    def line_of(self, off: int) -> int:
        """File line of offset ``off`` in :attr:`text`."""
        return self.first_line + self.text.count("\n", 0, off)

    def elements(self, tag: str, lo: int, hi: int) -> List[Tuple[int, int]]:
        """Content spans ``(start, end)`` of the ``<tag ...>...</tag>`` elements in text[lo:hi].

        Raises:
            DataFormatError: An opening tag without ``>`` or without its closing tag.
        """
        content = self.text
        opening, closing = "<" + tag, "</" + tag + ">"
        spans = []
        pos = lo
        while True:
            i = content.find(opening, pos, hi)
            if i < 0:
                return spans
            k = content.find(">", i, hi)
            after = content[i + len(opening)] if i + len(opening) < hi else ""
            if after not in (">", " ", "\t", "\n", "\r"):  # e.g. <TOPICSX>: another tag
                pos = i + 1
                continue
            if k < 0 or "<" in content[i + 1:k]:
                raise DataFormatError(self.path, self.line_of(i),
                                      f"NEWID {self.newid}: unterminated <{tag} tag")
            j = content.find(closing, k, hi)
            if j < 0:
                raise DataFormatError(self.path, self.line_of(i),
                                      f"NEWID {self.newid}: <{tag}> opened here: expected {closing}")
            spans.append((k + 1, j))
            pos = j + len(closing)


def _parse_topics(c: _Content, line: int) -> Tuple[List[str], int, int]:
    """Read ``<TOPICS><D>a</D><D>b</D></TOPICS>``: exactly one element, only ``<D>`` children.

    Args:
        c: The record's content.
        line: Line of the ``<REUTERS`` tag.

    Returns:
        ``(topics, duplicates, end)``: the topic names in file order without repeats,
        how many repeats were removed, and the offset where the element's content ends.

    Raises:
        DataFormatError: No or several ``<TOPICS>`` elements, other content than
            ``<D>`` entries, or an empty or malformed entry.
    """
    tspans = c.elements("TOPICS", 0, len(c.text))
    if len(tspans) != 1:
        raise DataFormatError(c.path, line,
                              f"NEWID {c.newid}: expected one <TOPICS>...</TOPICS> element, "
                              f"found {len(tspans)}")
    t0, t1 = tspans[0]
    inner = c.text[t0:t1]
    topics: List[str] = []
    dup = 0
    if inner:
        if _D_RE.sub("", inner).strip():
            raise DataFormatError(c.path, c.line_of(t0),
                                  f"NEWID {c.newid}: <TOPICS> may only contain <D>name</D> entries")
        for d in _D_RE.finditer(inner):
            raw = d.group(1)
            name = _decode(raw, c.path, lambda _o: c.line_of(t0)).strip()
            if not name or "<" in raw:
                raise DataFormatError(c.path, c.line_of(t0),
                                      f"NEWID {c.newid}: empty or malformed topic <D>{raw}</D>")
            if name in topics:
                dup += 1
            else:
                topics.append(name)
    return topics, dup, t1


def _field_text(c: _Content, tag: str, x0: int, x1: int) -> Optional[str]:
    """Decoded content of the one ``<tag>`` element in text[x0:x1], or None if absent.

    Raises:
        DataFormatError: More than one such element.
    """
    spans = c.elements(tag, x0, x1)
    if len(spans) > 1:
        raise DataFormatError(c.path, c.line_of(spans[1][0]),
                              f"NEWID {c.newid}: more than one <{tag}> in <TEXT>")
    if not spans:
        return None
    f0, f1 = spans[0]
    return _decode(c.text[f0:f1], c.path, lambda o: c.line_of(f0 + o))


def _parse_record(content: str, attrs: Dict[str, str], path: str, line: int,
                  content_line: int) -> ReutersRecord:
    """Parse the inside of one record (between ``<REUTERS ...>`` and ``</REUTERS>``).

    Args:
        content: The record's content.
        attrs: Attributes of its ``<REUTERS>`` tag.
        path: File, for error messages.
        line: Line of the ``<REUTERS`` tag.
        content_line: Line on which ``content`` starts.

    Returns:
        The :class:`ReutersRecord`.

    Raises:
        DataFormatError: As :func:`_check_record_attrs` and :func:`_parse_topics`, or for
            a missing or repeated ``<TEXT>`` or a repeated ``<TITLE>`` / ``<BODY>``.
    """
    newid = _check_record_attrs(attrs, path, line)
    c = _Content(content, path, newid, content_line)
    topics, dup, t1 = _parse_topics(c, line)

    # <TEXT ...> with at most one <TITLE> and one <BODY>
    xspans = c.elements("TEXT", t1, len(content))
    if len(xspans) != 1:
        raise DataFormatError(path, line,
                              f"NEWID {newid}: expected one <TEXT>...</TEXT> element after "
                              f"<TOPICS>, found {len(xspans)}")
    x0, x1 = xspans[0]
    title = _field_text(c, "TITLE", x0, x1)
    body = _field_text(c, "BODY", x0, x1)
    unproc = ""
    if title is None and body is None:
        unproc = _decode(_TAG_RE.sub(" ", content[x0:x1]), path, lambda _o: c.line_of(x0))
    return ReutersRecord(newid=newid, lewissplit=attrs["LEWISSPLIT"], topics_attr=attrs["TOPICS"],
                         topics=topics, duplicate_topics=dup, title=title or "", body=body or "",
                         unproc_text=unproc, path=path, line=line, attrs=attrs)


def iter_reuters_records(path: "str | os.PathLike[str]") -> Iterator[ReutersRecord]:
    """Parse one Reuters-21578 SGML file, strictly.

    The file is decoded as Latin-1. It may start with a ``<!DOCTYPE ...>`` line;
    after that only whitespace may appear between records.

    Args:
        path: A ``reut2-NNN.sgm`` file.

    Yields:
        One :class:`ReutersRecord` per ``<REUTERS>`` record, in file order.

    Raises:
        DataFormatError: With the file, the line and what was expected, for a file
            holding no record at all (empty, only the ``<!DOCTYPE>`` line or only
            whitespace: a truncated or failed download, never read as 0 documents), a record
            without ``</REUTERS>`` (before the next record or at the end of the file),
            a ``</REUTERS>`` without a record, text between records, a malformed
            ``<REUTERS`` tag, a missing/invalid ``NEWID``, ``LEWISSPLIT`` or ``TOPICS``
            attribute, a missing or repeated ``<TOPICS>``/``<TEXT>`` element,
            anything but ``<D>`` entries in ``<TOPICS>``, or an unknown entity.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        text = f.read().decode("latin-1")
    line_of = _LineCounter(text)

    pos = 0
    m0 = _DOCTYPE_RE.match(text)
    if m0:
        pos = m0.end()
    open_tag = None  # (match, line) of the record being read
    n_records = 0
    for m in _RECORD_TAG_RE.finditer(text, pos):
        closing = m.group(1) == "/"
        if not m.group(3):
            raise DataFormatError(path, line_of(m.start()),
                                  f"unterminated <{'/' if closing else ''}REUTERS tag: expected '>'")
        if closing:
            if open_tag is None:
                raise DataFormatError(path, line_of(m.start()),
                                      "</REUTERS> without an opening <REUTERS> record")
            if m.group(2).strip():
                raise DataFormatError(path, line_of(m.start()), "expected </REUTERS>")
            om, oline = open_tag
            attrs = _parse_attrs(om.group(2), path, oline)
            content_line = oline + om.group(0).count("\n")
            yield _parse_record(text[om.end():m.start()], attrs, path, oline, content_line)
            n_records += 1
            open_tag = None
            pos = m.end()
        else:
            if open_tag is not None:
                om, oline = open_tag
                raise DataFormatError(
                    path, oline,
                    f"<REUTERS> record opened here has no </REUTERS> before the next "
                    f"<REUTERS> at line {line_of(m.start())}")
            between = text[pos:m.start()]
            if between.strip():
                off = pos + (len(between) - len(between.lstrip()))
                raise DataFormatError(path, line_of(off),
                                      f"expected <REUTERS ...> record, found text "
                                      f"{between.strip()[:40]!r}")
            open_tag = (m, line_of(m.start()))
    if open_tag is not None:
        raise DataFormatError(path, open_tag[1],
                              "file ends inside the <REUTERS> record opened here: expected </REUTERS>")
    rest = text[pos:]
    if rest.strip():
        off = pos + (len(rest) - len(rest.lstrip()))
        raise DataFormatError(path, line_of(off),
                              f"expected <REUTERS ...> record, found text {rest.strip()[:40]!r}")
    if n_records == 0:
        what = "empty file (no <REUTERS> record)" if not text.strip() else "no <REUTERS> record in the file"
        raise DataFormatError(path, None, f"{what}: expected at least one <REUTERS ...>...</REUTERS> "
                                          "record (truncated or failed download?)")


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
