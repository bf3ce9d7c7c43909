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

Standard library only (no numpy, no torch). Modules: :mod:`~lamp_pyg.io.reuters.sgml` (the
records of one file), :mod:`~lamp_pyg.io.reuters.modapte` (the split, :func:`read_reuters`),
:mod:`~lamp_pyg.io.reuters.tokens` (:func:`tokenize`).
"""
from lamp_pyg.io.reuters.modapte import REUTERS_FILES, read_reuters
from lamp_pyg.io.reuters.sgml import ReutersRecord, iter_reuters_records
from lamp_pyg.io.reuters.tokens import TOKEN_PATTERN, tokenize

__all__ = [
    "REUTERS_FILES",
    "TOKEN_PATTERN",
    "ReutersRecord",
    "iter_reuters_records",
    "read_reuters",
    "tokenize",
]
