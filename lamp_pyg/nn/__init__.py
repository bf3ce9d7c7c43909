"""Reusable label message-passing layers (no imports from the rest of lamp_pyg)."""
from lamp_pyg.nn.attention import AttentionWeights, LaMPAttention
from lamp_pyg.nn.block import FeedForward, LaMPBlock
from lamp_pyg.nn.dense_attention import dense_attention
from lamp_pyg.nn.dropout import dropout
from lamp_pyg.nn.edges import CompleteBipartite, SharedGraph
from lamp_pyg.nn.fused_attention import fused_edge_attention

__all__ = ["LaMPAttention", "LaMPBlock", "FeedForward", "AttentionWeights",
           "CompleteBipartite", "SharedGraph", "dense_attention", "fused_edge_attention",
           "dropout"]
