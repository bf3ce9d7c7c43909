r"""LaMP over a per-sample shortlist of candidate labels, for 10,000 to 100,000 labels.

A full LaMP step costs :math:`O(B L (S + \deg) d)` for :math:`L` labels. Here a cheap
**ranker** scores every label from the input features, picks :math:`K` candidates per
sample, and LaMP's feature -> label and label -> label attention run on those
:math:`K` label nodes only, over the label graph restricted to them (a per-sample
induced subgraph, a plain ``edge_index``):

.. math::
    s &= \mathrm{ranker}(x) \in \mathbb{R}^{L}, \qquad
    C = \mathrm{top}_K(s) \;(\text{training: true labels forced in}) \\
    z_c &= \langle \mathbf{u}_c, \mathbf{w}_c \rangle + s_c \;(c \in C), \qquad
    z_l = s_l \;(l \notin C)

with :math:`\mathbf{u}_c` the LaMP decoder state of candidate :math:`c` (label
embedding gathered for the candidates only). The loss is the configured loss over the
candidates plus the ranker's own loss over all labels. The LaMP part grows with
:math:`K`; the ranker is :math:`O(L r)` per sample (one matrix product), which is the
price of looking at every label at all.

Rankers (``ranker_rank``):

- ``0``: the wide linear path (:class:`~lamp_pyg.models.wide.WidePath`, one-vs-rest
  logistic regression, ``[V, L]`` weights). With ``shortlist = L`` the model computes
  exactly :class:`~lamp_pyg.models.LaMP` with ``wide='linear'`` (same weights). Its
  weights and their gradient are ``V x L``: 100,000 labels x 10,000 features is 4 GB,
  so use it up to a few thousand labels.
- ``r > 0``: a low-rank linear ranker :math:`s = R\,(U^\top \mathrm{bag}(x)) + b`
  (:class:`LowRankRanker`), ``(V + L) r`` weights: the same family at a size that fits.

Cost per step: the LaMP part (label states, attention, feed-forward) is
:math:`O(B K (S + K) d)`; the ranker's scores, its loss and the top-K are
:math:`O(B L r)`; the parameters that have a row per label (label embeddings, readout,
the ranker's label vectors) get dense gradients and Adam updates, :math:`O(L d)` per step,
unless ``sparse_grad`` is set (the training loop's optimiser,
:class:`~lamp_pyg.training.setup.SparseDenseAdam`, sets it): then the label embeddings,
the readout rows and the low-rank ranker's feature rows :math:`U` are gathered with
sparse gradients, so ``SparseAdam`` updates the :math:`O(B (K d + S r))` rows a step
touches (:meth:`ShortlistLaMP.sparse_parameters`). The ranker's label vectors and biases
stay dense: its loss covers every label.

Usage::

    model = ShortlistLaMP(LaMPConfig(num_labels=L, vocab_size=V, shortlist=100,
                                     ranker_rank=64, ...), label_edge_index)
    inputs = sparse_inputs(feature_rows)          # or TokenBatch.from_lamp(lamp.prepare(batch))
    out = model(inputs, targets=label_lists)      # training: true labels kept
    loss = model.loss(out, label_lists)
    ids, scores = model.predict_topk(inputs, k=5) # no [N, L] matrix
"""
from __future__ import annotations

from dataclasses import fields
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lamp_pyg.models.lamp import DecoderLayer, LaMP, LaMPConfig, LaMPInputs
from lamp_pyg.models.losses import multilabel_loss
from lamp_pyg.nn import CompleteBipartite


def check_shortlist(config: LaMPConfig) -> None:
    """ValueError unless ``config`` describes a shortlist model (``shortlist`` in [1, L])."""
    config.validate()
    if not 1 <= config.shortlist <= config.num_labels:
        raise ValueError(f"shortlist ({config.shortlist}) must be in [1, num_labels="
                         f"{config.num_labels}] for the shortlist model")
    if config.wide == "mlp":
        raise ValueError("wide='mlp' cannot be the shortlist ranker; the ranker is the "
                         "wide linear path (ranker_rank=0) or a low-rank one")
    if config.encoder_graph == "stored":
        raise ValueError("the shortlist model supports encoder_graph 'none' or 'full'")
    if config.ranker_rank and not config.vocab_size:
        raise ValueError("ranker_rank > 0 needs token ids (vocab_size > 0); use "
                         "ranker_rank=0 (the wide linear path) for dense vectors")


class _EncoderInputs(NamedTuple):
    """What :meth:`LaMP.encode` reads of a batch."""

    x: Optional[Tensor]
    value: Optional[Tensor]
    pos: Optional[Tensor]
    vec: Optional[Tensor]
    token_edges: Optional[object]


class TokenBatch(NamedTuple):
    """The input side of a batch (what the ranker and the encoder read)."""

    x: Optional[Tensor]  # [N_tok] token ids
    value: Optional[Tensor]  # [N_tok] feature values
    pos: Optional[Tensor]  # [N_tok] positions
    vec: Optional[Tensor]  # [B, F] dense vectors
    tok_batch: Tensor  # [N_tok] sample of each token (sorted)
    num_graphs: int
    bag_weights: Optional[Tensor]  # [N_tok] the wide path's bag weights
    bag_offsets: Optional[Tensor]  # [B]

    @classmethod
    def from_lamp(cls, inputs: LaMPInputs) -> "TokenBatch":
        """From :meth:`LaMP.prepare` of a PyG batch (the existing pipeline); the bag weights
        of the wide path (feature values, else :math:`1/\\sqrt{S}`) where it has none."""
        tok, B = inputs.feature_to_label.src_batch, inputs.num_graphs
        weights, offsets = inputs.bag_weights, inputs.bag_offsets
        if weights is None and inputs.x is not None:
            counts = torch.bincount(tok, minlength=B)
            offsets = torch.cumsum(counts, 0) - counts
            weights = (inputs.value if inputs.value is not None
                       else counts.clamp(min=1).float().rsqrt()[tok])
        return cls(inputs.x, inputs.value, inputs.pos, inputs.vec, tok, B, weights, offsets)


def sparse_inputs(rows: Sequence[Tuple], offset: int = 4, device=None) -> TokenBatch:
    """A :class:`TokenBatch` of sparse rows ``(feature ids, values)``: each feature is one
    token with id ``feature + offset`` (after the 4 special ids, as the dataset step's
    vocabulary of a sparse source; values unused), bag weights :math:`1/\\sqrt{S}`.
    A row without features gets the UNK token (id 1)."""
    ids = [torch.as_tensor(r[0], dtype=torch.long) + offset if len(r[0]) else
           torch.ones(1, dtype=torch.long) for r in rows]
    counts = torch.tensor([len(t) for t in ids])
    x = torch.cat(ids)
    B = len(rows)
    tok_batch = torch.arange(B).repeat_interleave(counts)
    offsets = torch.cumsum(counts, 0) - counts
    weights = counts.float().rsqrt()[tok_batch]
    t = TokenBatch(x, None, None, None, tok_batch, B, weights, offsets)
    return t if device is None else TokenBatch(*[v.to(device) if isinstance(v, Tensor) else v
                                                 for v in t])


class LowRankRanker(torch.nn.Module):
    r"""Rank-:math:`r` one-vs-rest linear scores :math:`s = R\,(U^\top \mathrm{bag}(x)) + b`.

    Args:
        num_labels: :math:`L`; vocab_size: :math:`V`; rank: :math:`r`.
    """

    def __init__(self, num_labels: int, vocab_size: int, rank: int):
        super().__init__()
        self.proj = torch.nn.EmbeddingBag(vocab_size, rank, mode="sum")  # U: [V, r]
        self.labels = torch.nn.Parameter(torch.empty(num_labels, rank))  # R: [L, r]
        self.bias = torch.nn.Parameter(torch.empty(num_labels))
        self.reset_parameters()

    def reset_parameters(self):
        torch.nn.init.normal_(self.proj.weight, std=self.proj.weight.size(1) ** -0.5)
        torch.nn.init.normal_(self.labels, std=self.labels.size(1) ** -0.5)
        torch.nn.init.zeros_(self.bias)

    sparse_grad = False  # U's gradient as a sparse tensor (set by ShortlistLaMP)

    def forward(self, x: Tensor, weights: Tensor, offsets: Tensor, vec=None) -> Tensor:
        """``[B, L]`` scores of token ids ``x`` with bag ``weights`` and ``offsets``."""
        h = F.embedding_bag(x, self.proj.weight, offsets, mode="sum", per_sample_weights=weights,
                            sparse=self.sparse_grad)
        return torch.addmm(self.bias, h, self.labels.t())

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_labels={self.labels.size(0)}, "
                f"vocab_size={self.proj.weight.size(0)}, rank={self.labels.size(1)})")


class ShortlistOutput(NamedTuple):
    """candidates ``[B, K]`` label ids (ranker order), logits ``[B, K]`` of the candidates,
    ranker_scores ``[B, L]`` (the scores of every label outside the candidates),
    int_logits (``int_preds``) ``[B, K]`` each, forced: rows whose true labels did not all
    fit in ``K``."""

    candidates: Tensor
    logits: Tensor
    ranker_scores: Tensor
    int_logits: List[Tensor]
    forced_truncated: int


class ShortlistBatchOutput(NamedTuple):
    """The output for a PyG batch (the training loop's and scoring's interface, as
    :class:`~lamp_pyg.models.lamp.LaMPOutput`): ``logits`` ``[B, L]`` from
    :meth:`ShortlistLaMP.full_scores`, and the ``shortlist`` output the loss reads."""

    logits: Tensor
    int_logits: List[Tensor]
    attentions: None
    shortlist: ShortlistOutput


def candidate_subgraph(edge_keys: Tensor, candidates: Tensor, num_labels: int) -> Tensor:
    """``[2, E]`` edges among each sample's candidates: the label graph restricted to them.

    Args:
        edge_keys: sorted ``source * L + target`` of the label graph's edges.
        candidates: ``[B, K]`` distinct label ids per row.
    Returns:
        (source, target) over the nodes ``b * K + i`` of the candidate states, sorted by
        target: one membership test of the :math:`K^2` pairs of each sample (cost
        :math:`O(B K^2 \\log E)`, independent of :math:`L`).
    """
    B, K = candidates.shape
    dst = candidates.unsqueeze(2).expand(B, K, K)  # [b, target i, source j]
    src = candidates.unsqueeze(1).expand(B, K, K)
    keys = (src * num_labels + dst).reshape(-1)
    pos = torch.searchsorted(edge_keys, keys).clamp(max=max(edge_keys.numel() - 1, 0))
    hit = (edge_keys[pos] == keys if edge_keys.numel()
           else torch.zeros_like(keys, dtype=torch.bool))
    flat = hit.nonzero().view(-1)  # b * K * K + i * K + j
    b, i, j = flat // (K * K), (flat // K) % K, flat % K
    return torch.stack([b * K + j, b * K + i])


def labels_to_csr(labels: Sequence[Sequence[int]], device=None) -> Tuple[Tensor, Tensor]:
    """``(rows, ids)`` long tensors of every (sample, true label) pair."""
    rows = torch.repeat_interleave(torch.arange(len(labels)),
                                   torch.tensor([len(l) for l in labels], dtype=torch.long))
    ids = torch.tensor([i for l in labels for i in l], dtype=torch.long)
    return rows.to(device), ids.to(device)


def _as_targets(targets, device) -> Tuple[Tensor, Tensor]:
    """``(rows, ids)`` of label lists, a ``(rows, ids)`` pair or a multi-hot ``[B, L]``."""
    if isinstance(targets, Tensor):
        return targets.nonzero(as_tuple=True)
    if isinstance(targets, tuple) and len(targets) == 2 and isinstance(targets[0], Tensor):
        return targets
    return labels_to_csr(targets, device)


class ShortlistLaMP(torch.nn.Module):
    """LaMP on :math:`K` candidate labels per sample (see the module docstring).

    Holds a :class:`LaMP` (``self.lamp``: encoder, label embeddings, decoder, readout;
    with ``ranker_rank=0`` its wide linear path is the ranker) and runs its layers on
    the candidates, so a LaMP state dict loads into ``self.lamp`` unchanged.

    Args:
        config (LaMPConfig): hyper-parameters with ``shortlist`` = K >= 1; ``wide`` is
            set by ``ranker_rank``.
        label_edge_index (LongTensor): ``[2, E0]`` label graph with self-loops.
    """

    def __init__(self, config: LaMPConfig, label_edge_index: Tensor):
        super().__init__()
        check_shortlist(config)
        self.config = c = config
        values = {f.name: getattr(c, f.name) for f in fields(LaMPConfig)}
        values.update(wide="linear" if c.ranker_rank == 0 else "none", shortlist=0)
        self.lamp = LaMP(LaMPConfig(**values), label_edge_index)
        self.low_rank = (LowRankRanker(c.num_labels, c.vocab_size, c.ranker_rank)
                         if c.ranker_rank else None)
        ei = self.lamp.label_edge_index
        self.register_buffer("edge_keys", torch.sort(ei[0] * c.num_labels + ei[1]).values,
                             persistent=False)
        self.sparse_grad = False

    @property
    def sparse_grad(self) -> bool:
        """Whether :meth:`sparse_parameters` get sparse gradients (default ``False``: dense,
        for any optimiser; ``torch.optim.Adam`` rejects sparse gradients)."""
        return self._sparse_grad

    @sparse_grad.setter
    def sparse_grad(self, value: bool) -> None:
        self._sparse_grad = bool(value)
        if self.low_rank is not None:
            self.low_rank.sparse_grad = bool(value)

    def sparse_parameters(self) -> List[torch.nn.Parameter]:
        """The parameters with a row per label or feature that a step reads a few rows of:
        the label embeddings, the readout and the low-rank ranker's :math:`U`."""
        params = [self.lamp.label_embedding.weight, self.lamp.readout]
        return params + ([self.low_rank.proj.weight] if self.low_rank is not None else [])

    @property
    def ranker(self) -> torch.nn.Module:
        return self.low_rank if self.low_rank is not None else self.lamp.wide

    def reset_parameters(self):
        self.lamp.reset_parameters()
        if self.low_rank is not None:
            self.low_rank.reset_parameters()

    @torch.no_grad()
    def select(self, scores: Tensor, targets=None) -> Tuple[Tensor, int]:
        """``[B, K]`` candidates: the ranker's top K, with the true labels (training)
        forced in; and the number of rows with more than K true labels."""
        K, truncated = self.config.shortlist, 0
        if targets is not None:
            rows, ids = targets
            scores = scores.detach().clone()
            scores[rows, ids] = float("inf")
            truncated = int((torch.bincount(rows, minlength=scores.size(0)) > K).sum())
        return scores.topk(K, dim=1).indices, truncated

    def _encode(self, inputs: TokenBatch) -> Tensor:
        """The token states: LaMP's own encoder (:meth:`LaMP.encode`)."""
        edges = (CompleteBipartite.from_batch(inputs.tok_batch, inputs.tok_batch,
                                              inputs.num_graphs)
                 if self.config.encoder_graph == "full" else None)
        return self.lamp.encode(_EncoderInputs(
            inputs.x, inputs.value, inputs.pos, inputs.vec, edges))

    def forward(self, inputs: TokenBatch, targets=None) -> ShortlistOutput:
        """Scores every label with the ranker, LaMP on the candidates.

        Args:
            inputs: a :class:`TokenBatch` (:func:`sparse_inputs`, :meth:`TokenBatch.from_lamp`).
            targets: true labels (list of lists, ``(rows, ids)`` or multi-hot) to force
                into the candidates (training); ``None`` at prediction.

        A PyG batch (or :class:`LaMPInputs`) gives a :class:`ShortlistBatchOutput`
        instead, with its true labels forced in while training: what the training loop
        and scoring of :mod:`lamp_pyg.training` call.
        """
        if not isinstance(inputs, TokenBatch):
            return self._forward_batch(inputs)
        c, lamp = self.config, self.lamp
        B, L, K = inputs.num_graphs, c.num_labels, c.shortlist
        ref = inputs.tok_batch
        scores = self.ranker(inputs.x, inputs.bag_weights, inputs.bag_offsets, inputs.vec)
        cand, truncated = self.select(scores, None if targets is None else
                                      _as_targets(targets, ref.device))
        h_tok = self._encode(inputs)
        f2l = CompleteBipartite.from_batch(
            ref if inputs.vec is None else torch.arange(B, device=ref.device),
            torch.arange(B, device=ref.device).repeat_interleave(K), B)
        l2l = candidate_subgraph(self.edge_keys, cand, L)
        h_lab = F.embedding(cand.reshape(-1), lamp.label_embedding.weight,  # [B * K, d]
                            sparse=self.sparse_grad)  # candidates only
        int_logits: List[Tensor] = []
        n_blocks = 2 * len(lamp.decoder)
        ckpt = c.checkpoint_activations and self.training and torch.is_grad_enabled()
        for i, layer in enumerate(lamp.decoder):  # LaMP's decoder step on the candidates
            def hook(name, h, i=i):
                if c.int_preds and 2 * i + DecoderLayer.BLOCKS.index(name) < n_blocks - 1:
                    int_logits.append(self._readout(h, cand, detach=True))
            h_lab = layer(h_tok, h_lab, f2l, l2l, checkpoint_blocks=ckpt, on_block=hook)
        logits = self._readout(h_lab, cand) + scores.gather(1, cand)
        return ShortlistOutput(cand, logits, scores, int_logits, truncated)

    def _forward_batch(self, batch) -> ShortlistBatchOutput:
        inputs = batch if isinstance(batch, LaMPInputs) else self.lamp.prepare(batch)
        targets = None
        if self.training and not isinstance(batch, LaMPInputs):
            targets = batch["label"].y
        out = self(TokenBatch.from_lamp(inputs), targets)
        return ShortlistBatchOutput(self.full_scores(out), [], None, out)

    def _readout(self, h_lab: Tensor, cand: Tensor, detach: bool = False) -> Tensor:
        w = self.lamp.readout.detach() if detach else self.lamp.readout
        B, K = cand.shape
        rows = F.embedding(cand, w, sparse=self.sparse_grad and not detach)  # [B, K, d]
        return (h_lab.view(B, K, -1) * rows).sum(-1)  # [B, K]

    def loss(self, output: ShortlistOutput, targets) -> Tensor:
        """The configured loss over the candidates (plus ``int_preds``) + the same loss of
        the ranker over all labels."""
        c = self.config
        if isinstance(output, ShortlistBatchOutput):
            output = output.shortlist
        rows, ids = _as_targets(targets, output.logits.device)
        y = torch.zeros_like(output.ranker_scores, dtype=torch.float)
        y[rows, ids] = 1.0  # [B, L]: one batch, the ranker's own size
        y_cand = y.gather(1, output.candidates)
        kw = dict(kind=c.loss, label_smoothing=c.label_smoothing, gamma_neg=c.asl_gamma_neg,
                  gamma_pos=c.asl_gamma_pos, clip=c.asl_clip)
        loss = multilabel_loss(output.logits, y_cand, **kw)
        for z in output.int_logits:
            loss = loss + c.int_preds_weight * multilabel_loss(z, y_cand, **kw)
        return loss + multilabel_loss(output.ranker_scores, y, **kw)

    @torch.no_grad()
    def predict_topk(self, inputs: TokenBatch, k: int) -> Tuple[Tensor, Tensor]:
        """``(ids [B, k], probabilities [B, k])``: the k best candidates by their final
        logits (``k <= shortlist``), best first; nothing of size ``[B, L]`` is returned."""
        if not 1 <= k <= self.config.shortlist:
            raise ValueError(f"k must be in [1, shortlist={self.config.shortlist}], got {k}")
        out = self(inputs)
        top = out.logits.topk(k, dim=1)
        return out.candidates.gather(1, top.indices), torch.sigmoid(top.values)

    @staticmethod
    def full_scores(output: ShortlistOutput) -> Tensor:
        """``[B, L]`` logits: the candidates' logits, the ranker's scores elsewhere (for
        small L and the dense metrics)."""
        return output.ranker_scores.detach().scatter(1, output.candidates,
                                                     output.logits.detach())

    def __repr__(self) -> str:
        c = self.config
        return (f"{self.__class__.__name__}(num_labels={c.num_labels}, shortlist={c.shortlist}, "
                f"ranker={self.ranker!r}, d_model={c.d_model}, n_layers_dec={c.n_layers_dec})")


def predict_topk_rows(model: ShortlistLaMP, rows: Sequence[Tuple], k: int,
                      batch_size: int = 256) -> Tuple[np.ndarray, np.ndarray]:
    """Top-k label ids and probabilities of sparse rows, ``[N, k]`` numpy arrays each,
    batch by batch (memory ``O(batch x L)`` for the ranker, never ``N x L``)."""
    was_training = model.training
    model.eval()
    device = model.edge_keys.device
    ids, probs = [], []
    for start in range(0, len(rows), batch_size):
        i, p = model.predict_topk(sparse_inputs(rows[start:start + batch_size], device=device), k)
        ids.append(i.cpu().numpy())
        probs.append(p.cpu().numpy())
    model.train(was_training)
    return np.concatenate(ids), np.concatenate(probs)
