"""Strict parser of Reuters-21578 SGML files: one :class:`ReutersRecord` per ``<REUTERS>`` record."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

from lamp_pyg.io.base import DataFormatError

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
