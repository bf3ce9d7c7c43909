"""Label graphs: the label -> label edge sets of LaMP's label attention, built from training labels."""
from lamp_pyg.graphs.label_graph import KINDS, LabelGraph

__all__ = ["LabelGraph", "KINDS"]
