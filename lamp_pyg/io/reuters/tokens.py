"""The Reuters tokenizer (also the ``reuters`` tokenizer of text tables and raw inputs)."""
from __future__ import annotations

import re
from typing import List

#: Tokenizer: a number with internal ``.``/``,`` separators ("5.93", "155,221"),
#: else a maximal run of letters and digits (``[^\W_]`` = ``\w`` without ``_``).
#: Everything else (punctuation, whitespace, control characters, ``_``) separates
#: tokens and is dropped. So "U.S." -> "u", "s"; "company's" -> "company", "s";
#: "mid-1987" -> "mid", "1987"; "1,750 dlrs." -> "1,750", "dlrs".
TOKEN_PATTERN = r"\d+(?:[.,]\d+)+|[^\W_]+"
_TOKEN_RE = re.compile(TOKEN_PATTERN)


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
