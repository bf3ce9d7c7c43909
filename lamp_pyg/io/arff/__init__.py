"""MULAN / MEKA ARFF reader (files -> :class:`~lamp_pyg.io.base.RawDataset`).

ARFF is Weka's attribute-relation file format. Multi-label benchmarks ship it in two
flavours that differ only in where the label attributes are:

- **MULAN** (bibtex, delicious, yeast, emotions, scene, corel5k, birds, ...): labels are
  the attributes named in a separate XML label header ``<name>.xml``
  (``<labels xmlns="http://mulan.sourceforge.net/labels"><label name="..."/>...``,
  possibly nested for hierarchies). In practice they are the last attributes.
- **MEKA**: the ``@relation`` name carries a ``-C n`` option; ``n > 0`` means the first
  ``n`` attributes are the labels, ``n < 0`` the last ``|n|``.

Label selection, in order of precedence: the XML label names (``label_names``), then
``num_labels``, then ``-C``; ``-C`` is ignored when either of the others is given. When
``-C`` alone decides, every attribute it selects must be binary, so that a stale ``-C``
(left in the name after the file was edited) is an error naming the ``-C`` value and
the first offending attribute, never word features read as labels.

Supported syntax: ``@relation``, ``@attribute`` with ``numeric`` / ``real`` /
``integer``, nominal ``{v1, v2, ...}`` or ``string`` type, ``@data``, ``%`` comment
lines, quoted (``'...'`` / ``"..."`` with backslash escapes) names and values, dense
comma-separated rows and sparse ``{index value, ...}`` rows (0-based attribute indices;
attributes left out are 0, i.e. Weka's internal value 0: the *first declared value* of a
nominal attribute). Not supported (raise :class:`DataFormatError`): ``date`` and
``relational`` attributes and instance weights.

Features, one or more columns per input attribute, in attribute order:

- ``numeric`` / ``real`` / ``integer``: one column, the value as written.
- nominal ``{0,1}`` (exactly these two values, in this order): one binary column, the
  value as written. This is what MULAN's bag-of-words benchmarks use.
- any other nominal with **two** values (``{YES,NO}``, ``{true,false}``, ``{1,0}``): one
  0/1 column named ``attr=VALUE`` after the value that reads as 1: a positive word
  (``1``, ``yes``, ``y``, ``true``, ``t``, any case) if exactly one of the two is, else the
  second declared value (:mod:`lamp_pyg.io.nominal`). In sparse rows an omitted attribute
  has its first declared value, so an omitted ``{YES,NO}`` or ``{1,0}`` reads as 1.
- nominal with more values (birds' ``location {2,10,1,7,...}``): **one-hot**, one column
  per declared value, named ``attr=value``; a row sets the column of its value to 1.
- an **identifier-like** nominal attribute (at least 20 distinct values, covering 90% of
  the rows of all files read together: a protein or row id): **dropped** and counted in
  ``skipped`` (``"identifier-like attribute 'name' (...)": rows``), unless
  ``id_attributes='keep'``.
- ``string`` (a row id, a comment): **dropped**, and counted in ``skipped`` as
  ``"string attribute 'name' (dropped)": rows``.

So ``RawDataset.num_features`` (columns) can exceed ``num_attributes`` (input attributes
as declared, label and string attributes excluded; what MULAN's table calls features):
birds has 260 attributes and 271 features. Label attributes must be declared ``{0,1}``
or numeric and hold 0 or 1.

Missing values ``?``: by default a :class:`DataFormatError` naming the file, line and
attribute; with ``missing='zero'`` a missing feature value reads as 0 (a missing nominal
value as no one-hot column) and the replaced values are counted in ``skipped`` as
``"missing values '?' (read as 0)"``. A missing label value is always an error.

Values must be finite: ``nan``, ``inf``, ``-Infinity`` ... and numbers beyond the float32
range (which would become infinite) raise :class:`DataFormatError` with file and line,
in dense and sparse rows alike.

Only numpy is used here (no torch). The modules, in the order a file goes through them:
:mod:`~lamp_pyg.io.arff.tokens` (quoted names, comma-separated values),
:mod:`~lamp_pyg.io.arff.header` (``@relation`` / ``@attribute`` / ``@data``),
:mod:`~lamp_pyg.io.arff.labels` (which attributes are labels; the MULAN XML header),
:mod:`~lamp_pyg.io.arff.layout` (label index or feature columns per attribute),
:mod:`~lamp_pyg.io.arff.rows` (the one line loop, collecting values flat),
:mod:`~lamp_pyg.io.arff.blocks` (vectorised checks and assembly) and
:mod:`~lamp_pyg.io.arff.reader` (the public functions): delicious (16k sparse rows, 1483
attributes) parses in about 0.3 s.
"""
from lamp_pyg.io.arff.header import ArffAttribute
from lamp_pyg.io.arff.labels import read_mulan_labels
from lamp_pyg.io.arff.reader import ArffData, read_arff, read_arff_dataset, read_mulan

__all__ = [
    "ArffAttribute",
    "ArffData",
    "read_arff",
    "read_arff_dataset",
    "read_mulan",
    "read_mulan_labels",
]
