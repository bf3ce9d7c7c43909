"""Dataset step: vocabularies, splits, one HeteroData per sample, cached datasets."""
from lamp_pyg.data.sample import LABEL, TOKEN, TOKEN_EDGE, make_sample, window_edges
from lamp_pyg.data.prepare import PrepareOptions
from lamp_pyg.data.dataset import LaMPDataset

__all__ = ["LaMPDataset", "PrepareOptions", "make_sample", "window_edges", "TOKEN", "LABEL",
           "TOKEN_EDGE"]
