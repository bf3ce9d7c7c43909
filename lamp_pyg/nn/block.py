r"""Residual + LayerNorm sublayers around :class:`LaMPAttention` (post-LN, as LaMP)."""
from __future__ import annotations

from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing

from lamp_pyg.nn.attention import EdgeSet, LaMPAttention
from lamp_pyg.nn.dropout import dropout


class FeedForward(torch.nn.Module):
    r"""Position-wise feed-forward sublayer with residual and post-LayerNorm:

    .. math::
        \mathbf{x}^{\prime} = \operatorname{LN}\big(\mathbf{x} + \operatorname{dropout}(
        \mathbf{W}_2 \operatorname{ReLU}(\mathbf{W}_1 \mathbf{x} + \mathbf{b}_1) + \mathbf{b}_2)\big)

    Args:
        channels (int): Input and output size :math:`d`.
        ff_channels (int): Hidden size :math:`d_{ff}`.
        dropout (float, optional): Dropout on the sublayer output. (default: :obj:`0.`)
    """

    def __init__(self, channels: int, ff_channels: int, dropout: float = 0.0):
        super().__init__()
        self.channels, self.ff_channels, self.dropout = channels, ff_channels, dropout
        self.lin1 = torch.nn.Linear(channels, ff_channels)
        self.lin2 = torch.nn.Linear(ff_channels, channels)
        self.norm = torch.nn.LayerNorm(channels, eps=1e-5)

    def reset_parameters(self):
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()
        self.norm.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        h = self.lin2(F.relu(self.lin1(x)))  # [N, d]
        return self.norm(x + dropout(h, p=self.dropout, training=self.training))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.channels}, {self.ff_channels}, "
                f"dropout={self.dropout})")


class LaMPBlock(MessagePassing):
    r"""One attention sublayer and one feed-forward sublayer, as in LaMP's decoder:

    .. math::
        \mathbf{h}_i &= \operatorname{LN}\big(\mathbf{x}_i + \operatorname{dropout}(
        \operatorname{Attn}(\mathbf{x}_i, \{\mathbf{x}_j\}_{j \in \mathcal{N}(i)}))\big) \\
        \mathbf{x}^{\prime}_i &= \operatorname{FFN}(\mathbf{h}_i)

    where :math:`\operatorname{Attn}` is :class:`LaMPAttention` and FFN is
    :class:`FeedForward` (with its own residual and LayerNorm). For bipartite
    input ``(x_src, x_dst)`` the residual comes from the target nodes, so e.g.
    labels keep their state while reading from feature nodes. Target features shared
    by all graphs (``[T, F]``, see :class:`LaMPAttention`) are broadcast in the
    residual; the output then has one row per target node.

    **Heterogeneous graphs.** The block is a
    :class:`~torch_geometric.nn.conv.MessagePassing` layer, so
    :func:`~torch_geometric.nn.to_hetero` (like
    :class:`~torch_geometric.nn.conv.HeteroConv`) gives every edge type :math:`r`
    its own block and combines their outputs per target node type with its
    :obj:`aggr` (:math:`\bigoplus`):

    .. math::
        \mathbf{x}^{\prime}_i = \bigoplus_{r \,:\, i \in \mathcal{V}_{\mathrm{dst}(r)}}
        \operatorname{LaMPBlock}_r\big(\mathbf{x}_i,
        \{\mathbf{x}_j\}_{j \in \mathcal{N}_r(i)}\big)

    i.e. each relation applies attention, residual, LayerNorm and feed-forward
    sublayer, and the relations' outputs are summed (or averaged, ...) after them.
    (Every node type must receive messages, e.g. add reverse edges with
    :class:`~torch_geometric.transforms.ToUndirected`, and its features must have
    :obj:`channels` entries for the residual.) For one residual, LayerNorm and
    feed-forward sublayer per node type applied *after* aggregating the relations'
    attention, :math:`\mathbf{x}^{\prime}_i = \operatorname{FFN}_\tau(\operatorname{LN}_\tau
    (\mathbf{x}_i + \bigoplus_r \operatorname{Attn}_r(\ldots)))`, write the block out
    with node-level modules, which ``to_hetero`` duplicates per node type:

    .. code-block:: python

        class Block(torch.nn.Module):
            def __init__(self, channels, heads, ff_channels):
                super().__init__()
                self.attn = LaMPAttention((-1, -1), channels, heads=heads)
                self.norm = torch.nn.LayerNorm(channels)
                self.ffn = FeedForward(channels, ff_channels)

            def forward(self, x, edge_index):
                return self.ffn(self.norm(x + self.attn(x, edge_index)))

    (use a :class:`torch.nn.Dropout` module, not a functional dropout, for the
    sublayer dropout there: ``to_hetero`` traces the model once and would freeze a
    ``training`` flag.)

    Args:
        in_channels (int or tuple): Source (and target) input size, :obj:`-1`
            for lazy. The target size must equal :obj:`channels` (residual).
        channels (int): Model size :math:`d`.
        heads (int, optional): Attention heads. (default: :obj:`1`)
        ff_channels (int, optional): Feed-forward hidden size.
            (default: :obj:`channels`)
        dropout (float, optional): Dropout on attention weights and on both
            sublayer outputs. (default: :obj:`0.`)
        path (str, optional): Attention execution path, see
            :class:`LaMPAttention`. (default: :obj:`"auto"`)

    Shapes:
        - **input:** as :class:`LaMPAttention`
        - **output:** node features :math:`(|\mathcal{V}_t|, d)`, and if
          :obj:`return_attention_weights=True`, the attention sublayer's
          :class:`~lamp_pyg.nn.AttentionWeights`.
    """

    def __init__(self, in_channels: Union[int, Tuple[int, int]], channels: int,
                 heads: int = 1, ff_channels: Optional[int] = None,
                 dropout: float = 0.0, path: str = "auto"):
        super().__init__(aggr=None, node_dim=0)  # no propagate of its own: see .attn
        ff_channels = ff_channels or channels
        self.in_channels, self.channels, self.heads = in_channels, channels, heads
        self.ff_channels, self.dropout = ff_channels, dropout
        self.attn = LaMPAttention(in_channels, channels, heads=heads, dropout=dropout,
                                  path=path)
        self.norm = torch.nn.LayerNorm(channels, eps=1e-5)
        self.ffn = FeedForward(channels, ff_channels, dropout)

    def reset_parameters(self):
        self.attn.reset_parameters()
        self.norm.reset_parameters()
        self.ffn.reset_parameters()

    def forward(self, x: Union[Tensor, Tuple[Tensor, Tensor]], edge_index: EdgeSet,
                return_attention_weights: Optional[bool] = None):
        x_dst = x[1] if isinstance(x, (tuple, list)) else x
        if x_dst.size(-1) != self.channels:
            raise ValueError(f"target node features have {x_dst.size(-1)} channels: expected "
                             f"channels={self.channels} (the residual adds them to the output)")
        if return_attention_weights:
            h, attn = self.attn(x, edge_index, return_attention_weights=True)
        else:
            h, attn = self.attn(x, edge_index), None
        h = dropout(h, p=self.dropout, training=self.training)  # [N_dst, d]
        if x_dst.size(0) != h.size(0):  # targets shared by all graphs: x_dst is [T, d]
            h = (h.view(-1, x_dst.size(0), h.size(-1)) + x_dst).view(h.shape)
        else:
            h = h + x_dst
        h = self.norm(h)
        out = self.ffn(h)  # [N_dst, d]
        if return_attention_weights:
            return out, attn
        return out

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.channels}, "
                f"heads={self.heads}, ff_channels={self.ff_channels}, "
                f"dropout={self.dropout})")
