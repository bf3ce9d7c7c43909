"""Dataset step: vocabularies, splits, one HeteroData per sample, cached datasets."""
from lamp_pyg.data.sample import LABEL, TOKEN, TOKEN_EDGE, make_sample, window_edges

__all__ = ["make_sample", "window_edges", "TOKEN", "LABEL", "TOKEN_EDGE"]
