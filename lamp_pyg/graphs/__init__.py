"""Label graphs: the label -> label edge sets of LaMP's label attention, built from training labels.

Modules: ``labels`` (any label input -> CSR), ``cooccurrence`` (sparse co-occurrence
counts), ``edge_list`` (parsing user-supplied edges), ``kinds`` (one builder per graph
kind, in ``KIND_BUILDERS``; their names in ``GRAPH_KINDS``) and ``label_graph`` (the
:class:`LabelGraph` class).
"""
from lamp_pyg.graphs.kinds import GRAPH_KINDS, KIND_BUILDERS
from lamp_pyg.graphs.label_graph import LabelGraph

__all__ = ["LabelGraph", "GRAPH_KINDS", "KIND_BUILDERS"]
