"""ARFF tokens: quoted names and comma-separated value lists, with backslash escapes."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from lamp_pyg.io.base import DataFormatError

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(_ESCAPES.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def take_token(s: str, pos: int, path: Path, lineno: int) -> Tuple[Optional[str], int]:
    """Next name token of a header line from ``pos``: quoted, or a run up to space / ``{`` / ``%``."""
    n = len(s)
    while pos < n and s[pos].isspace():
        pos += 1
    if pos >= n or s[pos] == "%":
        return None, n
    q = s[pos]
    if q in "'\"":
        i = pos + 1
        while i < n:
            if s[i] == "\\":
                i += 2
                continue
            if s[i] == q:
                return unescape(s[pos + 1:i]), i + 1
            i += 1
        raise DataFormatError(path, lineno, f"unterminated quoted name starting {s[pos:pos + 30]!r}: "
                                            f"expected a closing {q}")
    i = pos
    while i < n and not s[i].isspace() and s[i] not in "{%":
        i += 1
    return s[pos:i], i


def _closing_quote(body: str, i: int, path: Path, lineno: int) -> int:
    """Position of the quote that closes the one at ``body[i]`` (backslash escapes skipped)."""
    c, j, n = body[i], i + 1, len(body)
    while j < n and body[j] != c:
        j += 2 if body[j] == "\\" else 1
    if j >= n:
        raise DataFormatError(path, lineno, f"unterminated quoted value {body[i:i + 30]!r}: "
                                            f"expected a closing {c}")
    return j


def split_values(body: str, path: Path, lineno: int, keep_quotes: bool = False) -> List[str]:
    """Split a comma separated list (nominal declaration or data row) honouring quotes.

    Quoted items are unquoted and unescaped unless ``keep_quotes`` (then items are only
    split, verbatim).
    """
    if keep_quotes:
        parts, start, i, n = [], 0, 0, len(body)
        while i < n:
            c = body[i]
            if c in "'\"":
                i = _closing_quote(body, i, path, lineno) + 1
            elif c == ",":
                parts.append(body[start:i])
                start = i = i + 1
            else:
                i += 1
        parts.append(body[start:])
        return parts
    vals, cur, i, n = [], [], 0, len(body)
    quoted_tok = False
    while i < n:
        c = body[i]
        if c in "'\"":
            j = _closing_quote(body, i, path, lineno)
            if not "".join(cur).strip():
                cur = []  # whitespace before the opening quote
            cur.append(unescape(body[i + 1:j]))
            quoted_tok = True
            i = j + 1
        elif c == ",":
            vals.append("".join(cur) if quoted_tok else "".join(cur).strip())
            cur, quoted_tok = [], False
            i += 1
        elif c.isspace() and quoted_tok:
            i += 1
        else:
            cur.append(c)
            i += 1
    vals.append("".join(cur) if quoted_tok else "".join(cur).strip())
    return vals
