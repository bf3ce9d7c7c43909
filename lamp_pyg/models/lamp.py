r"""The LaMP model: input encoder, label message-passing decoder, per-label readout.

Follows the released LaMP code (see ``docs/lamp-notes.md`` section 1): post-LN
sublayers; each decoder layer is feature -> label attention, FFN, label -> label
attention over the label graph, FFN; logits :math:`z_i = \langle \mathbf{u}_i,
\mathbf{w}_i \rangle` with one weight vector per label and no bias.

Usage::

    model = LaMP(LaMPConfig(num_labels=L, vocab_size=V), label_graph.edge_index)
    out = model(batch)              # batch from torch_geometric.loader.DataLoader
    loss = model.loss(out, batch['label'].y)
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Dict, List, NamedTuple, Optional

import torch
from torch import Tensor
from torch.utils.checkpoint import checkpoint
from torch_geometric.utils import coalesce

from lamp_pyg.nn import CompleteBipartite, FeedForward, LaMPBlock, SharedGraph
from lamp_pyg.nn.attention import PATHS
from lamp_pyg.models.losses import LOSSES, multilabel_loss
from lamp_pyg.models.wide import WIDE_KINDS, WidePath
from lamp_pyg.typed_yaml import check_domains, setting

ENCODER_GRAPHS = ("none", "full", "stored")


@dataclass
class LaMPOptions:
    """LaMP's hyper-parameters: what a user chooses (the ``model`` section of a config).

    Defaults are the paper's settings.

    Attributes:
        d_model, d_ff, heads: model size, feed-forward size, attention heads.
        n_layers_enc: encoder layers (0: the embeddings go straight to the decoder).
        n_layers_dec: decoder layers (at least 1: the first is where labels read the input).
        dropout: dropout on attention weights and sublayer outputs.
        encoder_graph: token -> token edges of the encoder. ``none``: token-wise
            FFN only (what the released code computes, its self-attention output is
            discarded); ``full``: self-attention among a sample's tokens (the
            paper's intent); ``stored``: the batch's ``('token','to','token')``
            edges (sliding window, molecule bonds).
        int_preds: add LaMP's intermediate-prediction loss (0.2 x BCE after every
            decoder block but the last, using detached readout weights).
        int_preds_weight: the 0.2 above.
        attention_path: ``auto``, ``edge``, ``dense`` or ``fused`` (see
            :class:`~lamp_pyg.nn.LaMPAttention`).
        checkpoint_activations: in training, keep only each decoder block's input
            and recompute the block in the backward pass (same numbers and dropout
            masks; about one more forward pass of time for a fraction of the memory:
            what makes L = 10,000 labels fit a few GB).
        wide: add per-label logits computed straight from the input features
            (:class:`~lamp_pyg.models.wide.WidePath`): ``linear`` (one-vs-rest logistic
            regression as a special case) or ``mlp`` (one hidden layer of ``d_ff``
            units); ``none`` is LaMP.
        loss: ``bce`` (LaMP) or ``asl`` (asymmetric loss, Ridnik et al. 2021), with
            ``label_smoothing`` and ASL's ``asl_gamma_neg``, ``asl_gamma_pos`` and
            ``asl_clip`` (see :mod:`lamp_pyg.models.losses`).
        shortlist: 0 (LaMP over every label) or K: LaMP over the K candidate labels per
            sample that a linear ranker picks, the ranker's scores for the rest
            (:class:`~lamp_pyg.models.shortlist.ShortlistLaMP`, for 10,000+ labels).
        ranker_rank: the shortlist's ranker: 0 the wide linear path, r > 0 a rank-r one.
    """

    d_model: int = setting(512, ge=1)
    d_ff: int = setting(512, ge=1)
    heads: int = setting(4, ge=1)
    n_layers_enc: int = setting(2, ge=0)
    n_layers_dec: int = setting(2, ge=1)
    dropout: float = setting(0.1, ge=0.0, lt=1.0)
    encoder_graph: str = setting("none", choices=ENCODER_GRAPHS)
    int_preds: bool = False
    int_preds_weight: float = setting(0.2, ge=0.0)
    attention_path: str = setting("auto", choices=PATHS)
    checkpoint_activations: bool = False
    wide: str = setting("none", choices=WIDE_KINDS)
    loss: str = setting("bce", choices=LOSSES)
    label_smoothing: float = setting(0.0, ge=0.0, lt=1.0)
    asl_gamma_neg: float = setting(4.0, ge=0.0)
    asl_gamma_pos: float = setting(0.0, ge=0.0)
    asl_clip: float = setting(0.05, ge=0.0, lt=1.0)
    shortlist: int = setting(0, ge=0)
    ranker_rank: int = setting(0, ge=0)

    def __post_init__(self):
        check_domains(self)

    def validate(self):
        if self.d_model % self.heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by heads ({self.heads})")
        if self.attention_path == "dense" and self.encoder_graph == "stored":
            # stored token edges are an explicit [2, E] edge_index, which the dense path
            # cannot run (it needs CompleteBipartite / SharedGraph); fail here, not mid-forward
            raise ValueError("attention_path='dense' cannot run encoder_graph='stored' "
                             "(explicit token edges); use 'auto', 'edge' or 'fused'")


@dataclass
class LaMPConfig(LaMPOptions):
    """Everything that builds a :class:`LaMP`: the options plus what the data decides.

    Attributes:
        num_labels: :math:`L`.
        vocab_size: token id range (ids ``0..vocab_size-1``, 0 = PAD); 0 for the
            dense-vector "linear token" mode.
        input_dim: size of the dense input vector in the linear-token mode, else 0.
        positional: add frozen sinusoidal position encodings (sequences).
        max_positions: rows of the position table (positions 1..max_positions).
        feature_values: tokens carry ``value`` (features-as-nodes for dense
            vectors): embedding = ``E_id[f] + value * E_val[f]``.
    """

    num_labels: int = setting(0, ge=1)
    vocab_size: int = setting(0, ge=0)
    input_dim: int = setting(0, ge=0)
    positional: bool = False
    max_positions: int = setting(1024, ge=1)
    feature_values: bool = False

    def validate(self):
        super().validate()
        if (self.vocab_size > 0) == (self.input_dim > 0):
            raise ValueError("set exactly one of vocab_size (token ids) or input_dim "
                             f"(dense vector), got {self.vocab_size} and {self.input_dim}")


class LaMPInputs(NamedTuple):
    """A batch reduced to tensors plus Python ints, ready for a compiled forward."""

    x: Optional[Tensor]  # [N_tok] token ids, or None in linear-token mode
    value: Optional[Tensor]  # [N_tok] feature values
    pos: Optional[Tensor]  # [N_tok] positions 1..S
    vec: Optional[Tensor]  # [B, F] dense vectors (linear-token mode)
    token_edges: Optional[object]  # encoder edge set (CompleteBipartite or [2, E]) or None
    feature_to_label: CompleteBipartite
    num_graphs: int
    bag_weights: Optional[Tensor] = None  # [N_tok] per-token weights of the wide path's bag
    bag_offsets: Optional[Tensor] = None  # [B] first token of each sample


class LaMPOutput(NamedTuple):
    """Model output.

    Attributes:
        logits: ``[B, L]``.
        int_logits: intermediate readouts (``int_preds``), each ``[B, L]``, else empty.
        attentions: per decoder layer ``{'feature_to_label': ..., 'label_to_label': ...}``
            when requested (format of :class:`~lamp_pyg.nn.LaMPAttention`), else None.
    """

    logits: Tensor
    int_logits: List[Tensor]
    attentions: Optional[List[Dict[str, object]]]


def sinusoid_table(num_positions: int, d: int) -> Tensor:
    """``[num_positions + 1, d]`` sinusoidal encodings; row 0 (PAD) is zero."""
    pos = torch.arange(num_positions + 1, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(d, dtype=torch.float64)
    angle = pos / torch.pow(10000.0, 2 * torch.div(i, 2, rounding_mode="floor") / d)
    table = torch.where(i.long() % 2 == 0, torch.sin(angle), torch.cos(angle))
    table[0] = 0.0
    return table.float()


BlockHook = Callable[[int, str, Tensor], None]


class DecoderLayer(torch.nn.Module):
    """One decoder step: a feature -> label block, then a label -> label block (each
    attention + FFN). :class:`LaMP` runs its decoder as a stack of these.

    Args:
        d, heads, d_ff, dropout, path: as :class:`~lamp_pyg.nn.LaMPBlock`.
    """

    BLOCKS = ("feature_to_label", "label_to_label")

    def __init__(self, d: int, heads: int, d_ff: int, dropout: float, path: str):
        super().__init__()
        self.feature_to_label = LaMPBlock((d, d), d, heads, d_ff, dropout, path)
        self.label_to_label = LaMPBlock(d, d, heads, d_ff, dropout, path)

    def forward(self, h_tok: Tensor, h_lab: Tensor, feature_to_label, label_to_label,
                return_attention_weights: bool = False, checkpoint_blocks: bool = False,
                on_block: Optional[Callable[[str, Tensor], None]] = None):
        """Labels read the input, then each other.

        Args:
            h_tok: ``[N_tok, d]`` token states.
            h_lab: ``[B * L, d]`` label states, or ``[L, d]`` shared by every sample
                (the first layer: the label embeddings).
            feature_to_label, label_to_label: the two blocks' edge sets.
            return_attention_weights: also return ``{block name: AttentionWeights}``.
            checkpoint_blocks: recompute each block in the backward pass (activation
                checkpointing; same numbers and dropout masks).
            on_block: called as ``on_block(name, h_lab)`` after each block, with the
                block's name (:attr:`BLOCKS`) and its ``[B * L, d]`` output.

        Returns:
            ``[B * L, d]`` label states, and the attention weights if requested.
        """
        att: Dict[str, object] = {}
        for name in self.BLOCKS:
            block = getattr(self, name)
            x_in, edges = (((h_tok, h_lab), feature_to_label) if name == "feature_to_label"
                           else (h_lab, label_to_label))
            if return_attention_weights:
                h_lab, att[name] = block(x_in, edges, return_attention_weights=True)
            elif checkpoint_blocks:
                # recomputed in backward with the same RNG state (same dropout masks)
                h_lab = checkpoint(block, x_in, edges, use_reentrant=False)
            else:
                h_lab = block(x_in, edges)
            if on_block is not None:
                on_block(name, h_lab)
        return (h_lab, att) if return_attention_weights else h_lab


class LaMP(torch.nn.Module):
    """LaMP: label message passing conditioned on the input (Lanchantin et al., 2019).

    Args:
        config (LaMPConfig): hyper-parameters.
        label_edge_index (LongTensor): ``[2, E0]`` label graph (source, target),
            with self-loops, e.g. ``LabelGraph.edge_index``. Held once as a
            buffer and shared by every sample of a batch.
    """

    def __init__(self, config: LaMPConfig, label_edge_index: Tensor):
        super().__init__()
        config.validate()
        self.config = c = config
        L, d = c.num_labels, c.d_model
        ei = torch.as_tensor(label_edge_index, dtype=torch.long)
        if ei.dim() != 2 or ei.size(0) != 2:
            raise ValueError(f"label_edge_index must be [2, E], got {tuple(ei.shape)}")
        if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= L):
            raise ValueError(f"label_edge_index names labels outside [0, {L})")
        lonely = torch.ones(L, dtype=torch.bool)
        lonely[ei[1]] = False
        if lonely.any():
            raise ValueError(
                f"label_edge_index gives {int(lonely.sum())} of the {L} labels no incoming edge "
                f"(first: label {int(lonely.nonzero()[0])}): every label needs at least its "
                "self-loop; build the label graph over all the model's labels")
        # one edge per (source, target) pair: a duplicate would count as two edges
        ei = coalesce(ei, num_nodes=L, sort_by_row=False)  # sorted by (target, source)
        self.register_buffer("label_edge_index", ei)

        if c.vocab_size:
            self.token_embedding = torch.nn.Embedding(c.vocab_size, d, padding_idx=0)
            self.value_embedding = (torch.nn.Embedding(c.vocab_size, d)
                                    if c.feature_values else None)
            self.input_proj = None
        else:
            self.token_embedding = self.value_embedding = None
            self.input_proj = torch.nn.Linear(c.input_dim, d)
        if c.positional:
            self.register_buffer("position_table", sinusoid_table(c.max_positions, d),
                                 persistent=False)
        else:
            self.position_table = None

        if c.encoder_graph == "none":
            self.encoder = torch.nn.ModuleList(
                [FeedForward(d, c.d_ff, c.dropout) for _ in range(c.n_layers_enc)])
        else:
            self.encoder = torch.nn.ModuleList(
                [LaMPBlock(d, d, c.heads, c.d_ff, c.dropout, c.attention_path)
                 for _ in range(c.n_layers_enc)])
        self.label_embedding = torch.nn.Embedding(L, d)
        self.decoder = torch.nn.ModuleList([
            DecoderLayer(d, c.heads, c.d_ff, c.dropout, c.attention_path)
            for _ in range(c.n_layers_dec)])
        self.readout = torch.nn.Parameter(torch.empty(L, d))
        self.wide = (WidePath(c.wide, L, c.vocab_size, c.input_dim, c.d_ff, c.dropout)
                     if c.wide != "none" else None)
        self.reset_parameters()

    def reset_parameters(self):
        for emb in (self.token_embedding, self.value_embedding, self.label_embedding):
            if emb is not None:
                torch.nn.init.normal_(emb.weight)
        if self.token_embedding is not None:
            with torch.no_grad():
                self.token_embedding.weight[0].zero_()
        if self.input_proj is not None:
            self.input_proj.reset_parameters()
        for m in list(self.encoder) + [blk for layer in self.decoder for blk in
                                        (layer.feature_to_label, layer.label_to_label)]:
            m.reset_parameters()
        torch.nn.init.xavier_normal_(self.readout)
        if self.wide is not None:
            self.wide.reset_parameters()

    # ------------------------------------------------------------------ inputs
    def prepare(self, batch) -> LaMPInputs:
        """Validates a PyG batch and reads its sizes (data-dependent work kept out of
        :meth:`forward`, so a compiled forward sees only static structure)."""
        c = self.config
        tok, lab = batch["token"], batch["label"]
        B = int(batch.num_graphs)
        if lab.y.dim() != 2 or lab.y.size(1) != c.num_labels:
            raise ValueError(f"batch['label'].y must be [B, {c.num_labels}], "
                             f"got {tuple(lab.y.shape)}")
        label_batch = torch.arange(B, device=lab.y.device).repeat_interleave(c.num_labels)
        x = value = pos = vec = None
        if c.vocab_size:
            if "x" not in tok:
                raise ValueError("this model embeds token ids but the batch has no "
                                 "batch['token'].x (was it built for the linear-token mode?)")
            x = tok.x
            if x.numel() and (int(x.min()) < 0 or int(x.max()) >= c.vocab_size):
                raise ValueError(f"token ids must be in [0, {c.vocab_size}), got "
                                 f"[{int(x.min())}, {int(x.max())}]")
            tok_batch = tok.batch
            if c.feature_values:
                if "value" not in tok:
                    raise ValueError("feature_values=True but the batch has no token values")
                value = tok.value
                if not torch.isfinite(value).all():
                    raise ValueError("batch['token'].value holds NaN or inf")
            if c.positional:
                if "pos" not in tok:
                    raise ValueError("positional=True but the batch has no token positions")
                pos = tok.pos
                if pos.numel() and int(pos.max()) > c.max_positions:
                    raise ValueError(f"position {int(pos.max())} exceeds max_positions="
                                     f"{c.max_positions}")
        else:
            if "vec" not in tok or tok.vec.size(-1) != c.input_dim:
                raise ValueError(f"this model expects batch['token'].vec of size "
                                 f"{c.input_dim}")
            vec = tok.vec
            if not torch.isfinite(vec).all():
                raise ValueError("batch['token'].vec holds NaN or inf")
            tok_batch = torch.arange(B, device=vec.device)
        token_edges = None
        if c.encoder_graph == "full":
            token_edges = CompleteBipartite.from_batch(tok_batch, tok_batch, B)
        elif c.encoder_graph == "stored":
            key = ("token", "to", "token")
            if key not in batch.edge_types:
                raise ValueError("encoder_graph='stored' but the batch has no "
                                 "('token', 'to', 'token') edges")
            token_edges = batch[key].edge_index
        f2l = CompleteBipartite.from_batch(tok_batch, label_batch, B)
        bag_weights = bag_offsets = None
        if self.wide is not None and x is not None:
            counts = torch.bincount(tok_batch, minlength=B)  # [B] tokens per sample
            bag_offsets = torch.cumsum(counts, 0) - counts
            bag_weights = value if value is not None else counts.clamp(min=1).float().rsqrt()[
                tok_batch]
        return LaMPInputs(x, value, pos, vec, token_edges, f2l, B, bag_weights, bag_offsets)

    # ------------------------------------------------------------------ forward
    def encode(self, inputs: LaMPInputs) -> Tensor:
        """The encoder: ``[N_tok, d]`` token states (``[B, d]`` in the linear-token mode)."""
        if inputs.vec is not None:
            h_tok = self.input_proj(inputs.vec)  # [B, d]: one "token" per sample
        else:
            h_tok = self.token_embedding(inputs.x)  # [N_tok, d]
            if inputs.value is not None:
                h_tok = h_tok + inputs.value.unsqueeze(-1) * self.value_embedding(inputs.x)
            if inputs.pos is not None:
                h_tok = h_tok + self.position_table[inputs.pos]
        for layer in self.encoder:
            h_tok = layer(h_tok) if inputs.token_edges is None else layer(h_tok, inputs.token_edges)
        return h_tok

    def forward(self, batch, return_attention_weights: bool = False,
                on_block: Optional[BlockHook] = None) -> LaMPOutput:
        """Runs the model.

        Args:
            batch: a PyG batch, or its :meth:`prepare`'d :class:`LaMPInputs`.
            return_attention_weights: fill :attr:`LaMPOutput.attentions`.
            on_block: a per-block hook, called as ``on_block(layer, name, h_lab)``
                after each decoder block (``layer`` counts decoder layers from 0,
                ``name`` is one of :attr:`DecoderLayer.BLOCKS`, ``h_lab`` the block's
                ``[B * L, d]`` label states).
        """
        inputs = batch if isinstance(batch, LaMPInputs) else self.prepare(batch)
        c = self.config
        B, L = inputs.num_graphs, c.num_labels
        h_tok = self.encode(inputs)

        # decoder: label message passing
        # every sample starts from the same label states: the first feature -> label
        # block takes them once, [L, d], and projects their queries once per batch
        h_lab = self.label_embedding.weight  # [L, d], then [B * L, d]
        l2l = SharedGraph(self.label_edge_index, L, L, B)
        int_logits: List[Tensor] = []
        last_block = (len(self.decoder) - 1, DecoderLayer.BLOCKS[-1])

        def after_block(i: int, name: str, h: Tensor):
            # LaMP's intermediate predictions: after every block but the last
            if c.int_preds and (i, name) != last_block:
                int_logits.append(self._readout(h, B, detach=True))
            if on_block is not None:
                on_block(i, name, h)

        attentions: Optional[List[Dict[str, object]]] = [] if return_attention_weights else None
        checkpoint_blocks = (c.checkpoint_activations and self.training
                             and torch.is_grad_enabled() and not return_attention_weights)
        for i, layer in enumerate(self.decoder):
            hook = (functools.partial(after_block, i)
                    if c.int_preds or on_block is not None else None)
            out = layer(h_tok, h_lab, inputs.feature_to_label, l2l,
                        return_attention_weights=return_attention_weights,
                        checkpoint_blocks=checkpoint_blocks, on_block=hook)
            if attentions is not None:
                h_lab, att = out
                attentions.append(att)
            else:
                h_lab = out
        logits = self._readout(h_lab, B)
        if self.wide is not None:
            logits = logits + self.wide(inputs.x, inputs.bag_weights, inputs.bag_offsets,
                                        inputs.vec)
        return LaMPOutput(logits, int_logits, attentions)

    def _readout(self, h_lab: Tensor, B: int, detach: bool = False) -> Tensor:
        w = self.readout.detach() if detach else self.readout  # [L, d]
        return (h_lab.view(B, self.config.num_labels, -1) * w).sum(-1)  # [B, L]

    def loss(self, output: LaMPOutput, y: Tensor) -> Tensor:
        """The configured loss (mean over ``[B, L]``; LaMP's: BCE) of the logits, plus
        ``int_preds_weight`` x the loss of each intermediate readout."""
        c = self.config
        kw = dict(kind=c.loss, label_smoothing=c.label_smoothing, gamma_neg=c.asl_gamma_neg,
                  gamma_pos=c.asl_gamma_pos, clip=c.asl_clip)
        loss = multilabel_loss(output.logits, y, **kw)
        for z in output.int_logits:
            loss = loss + c.int_preds_weight * multilabel_loss(z, y, **kw)
        return loss

    def __repr__(self) -> str:
        c = self.config
        return (f"{self.__class__.__name__}(num_labels={c.num_labels}, d_model={c.d_model}, "
                f"heads={c.heads}, n_layers_enc={c.n_layers_enc}, "
                f"n_layers_dec={c.n_layers_dec}, encoder_graph={c.encoder_graph!r}, "
                f"label_edges={self.label_edge_index.size(1)}"
                + (f", wide={c.wide!r}" if c.wide != "none" else "") + ")")
