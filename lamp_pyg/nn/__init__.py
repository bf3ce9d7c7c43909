"""Reusable label message-passing layers (no imports from the rest of lamp_pyg)."""
from lamp_pyg.nn.attention import (DenseAttention, LaMPAttention, fused_edge_attention,
                                   masked_softmax)
from lamp_pyg.nn.block import FeedForward, LaMPBlock
from lamp_pyg.nn.dropout import dropout
from lamp_pyg.nn.edges import CompleteBipartite, SharedGraph

__all__ = ["LaMPAttention", "LaMPBlock", "FeedForward", "CompleteBipartite", "SharedGraph",
           "DenseAttention", "fused_edge_attention", "masked_softmax", "dropout"]
