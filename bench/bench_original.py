#!/usr/bin/env python
"""Training and evaluation speed of the released LaMP code itself against lamp-pyg.

    python bench/bench_original.py --original ~/src/LaMP --data-root ../shared/data \
        --out records/bench/original-$(date +%F).md          # ~3-4 min on 2 idle cores
    python bench/bench_original.py --original ~/src/LaMP --quick   # smoke run

``--original PATH`` is a checkout of the released code (QData/LaMP, commit c4152b9).
Nothing in it is edited: the two CPU shims below (docs/lamp-notes.md, section 4) are applied
**at import time, by loading a rewritten copy of the source**. An import hook
(:class:`_ShimFinder`) serves ``lamp.Decoders`` from ``PATH/lamp/Decoders.py`` with two
lines of ``GraphDecoder.forward`` rewritten in memory (:func:`shim_decoders_source`):

- ``tgt_seq = self.constant_input...transpose(0,1).cuda()``
  -> ``....to(enc_output.device)`` (the constant label-index input goes to the device of
  the encoder output instead of CUDA);
- ``dec_slf_attn_mask = self.label_mask.repeat(batch_size,1,1).cuda().byte()``
  -> ``....to(enc_output.device).bool()`` (current torch rejects uint8 masks in
  ``masked_fill``).

Each rewrite must match exactly once or the run stops (:class:`ShimError`); the rewrites
keep line numbers, so tracebacks point at the user's file. The rest of the package is
imported unchanged from ``PATH`` with bytecode writing off (no ``__pycache__`` left in
the checkout), and the ``lamp`` modules are taken out of ``sys.modules`` afterwards.

The released model is built the way its ``main.py`` does: ``config_args`` on the README's
command for bibtex at paper settings (``-dataset bibtext -batch_size 32 -d_model 512
-d_inner_hid 512 -n_layers_enc 2 -n_layers_dec 2 -n_head 4 -dropout 0.2 -dec_dropout 0.2
-lr 0.0002 -encoder graph -decoder graph -label_mask prior -no_cuda``), then the sizes
``utils/data_loader.process_data`` sets, the prior label mask computed by that function's
loop from the training labels, and ``LAMP(...)`` with ``main.py``'s arguments. Its inputs
are the bag-of-features tokens of the same samples (present feature ids, BOS/EOS, padded
with 0 to the batch's longest, positions as its data loader makes them).

Arms, all in one process, interleaved (released, fp32, bf16, released, ...), on the same
real bibtex training batches of 32 (drawn at random from the prepared training split):

- **released**: the code above; ``Adam(get_trainable_parameters(), betas=(0.9, 0.98),
  lr=2e-4)`` as ``main.py``; mean BCE-with-logits as its ``train.py``.
- **lamp-pyg fp32**: ``configs/bibtex.yaml``'s model from ``lamp_pyg.training.setup``'s
  builders, its ``make_optimizer`` (Adam, same settings, fused where available).
- **lamp-pyg bf16**: the same with ``precision: bf16`` (forward under
  ``lamp_pyg.training.setup.autocast``; loss, weights and Adam fp32), when the CPU has fast
  bf16 (``fast_bf16``: AMX / AVX512-BF16) or with ``--bf16``.

Every arm starts from the same weights (lamp-pyg's initial weights are copied into the
released model, :func:`copy_lamp_into_released`; the released encoder self-attention,
computed and discarded by that code, has no counterpart and keeps its own). One training
step = ``zero_grad`` + forward + loss + ``backward`` + ``Adam.step``; warm-up rounds are
excluded; medians. Evaluation = forward only under ``torch.no_grad()`` in eval mode on the
same batches. Peak RSS: ``VmHWM`` of a fresh process per arm (``--arm NAME``) running a
few training steps. A correctness check (same weights, dropout off, first batch: max
logit difference; first-step training losses) goes into the report.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import importlib.abc
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import List, Optional

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_core import (loadavg, machine_info, matmul_line, matmul_rates,  # noqa: E402
                              proc_status, write_report)

RELEASED_COMMIT = "c4152b9370c59dec825b98f857756d80679a5230"
# git blob ids of the files the benchmark runs, at RELEASED_COMMIT (`git rev-parse c4152b9:F`)
RELEASED_BLOBS = {
    "lamp/__init__.py": "46bdd84a88fa48056900e9a369750f95d41850d8",
    "lamp/Models.py": "c73a707f5a4d44c2a5f513e1fb8da8f8f8953b31",
    "lamp/Encoders.py": "87b68fc37c671d9507baff88c278adfde3fcf328",
    "lamp/Decoders.py": "284199c5db5ad8e70e5c5da5935ceeef5c32edce",
    "lamp/Layers.py": "9cf76ee22516fd3578c90d3db321c05d493b56b6",
    "lamp/SubLayers.py": "9dfe8300cef424022ed26ea39b7e54f0da2b7c6f",
    "lamp/utils.py": "3b6eb2c7e172157ef89e585901282eb6f7a729b2",
    "lamp/Constants.py": "d805b03cdd6358af703b837c553ac4fe6c18deee",
    "config_args.py": "ef8431d1d1e4cb47d31bddcb33fc85061ef03761",
}
# the README's command for bibtex ('bibtext' is the released code's spelling, which is what
# makes config_args switch the position encoding off), on CPU
RELEASED_ARGV = ["-dataset", "bibtext", "-batch_size", "32", "-d_model", "512",
                 "-d_inner_hid", "512", "-n_layers_enc", "2", "-n_layers_dec", "2",
                 "-n_head", "4", "-epoch", "50", "-dropout", "0.2", "-dec_dropout", "0.2",
                 "-lr", "0.0002", "-encoder", "graph", "-decoder", "graph",
                 "-label_mask", "prior", "-no_cuda", "-overwrite"]
ARMS = ("released", "lamp-pyg fp32", "lamp-pyg bf16", "lamp-pyg bf16 compiled")
PRECISION = {"lamp-pyg fp32": "fp32", "lamp-pyg bf16": "bf16", "lamp-pyg bf16 compiled": "bf16"}
CHILD_ARM = {"released": "released", "fp32": "lamp-pyg fp32", "bf16": "lamp-pyg bf16",
             "bf16-compiled": "lamp-pyg bf16 compiled"}
COMPILED = ("lamp-pyg bf16 compiled",)  # train.compile: torch.compile(model, dynamic=True)
BATCH = 32


# ---------------------------------------------------------------------- the CPU shims
class ShimError(RuntimeError):
    """The released source does not contain a line the CPU shims rewrite."""


# (what, pattern, replacement): each pattern must match exactly once
SHIMS = (
    ("constant label-index input moved with .cuda()",
     r"(self\.constant_input\.repeat\(\s*1\s*,\s*batch_size\s*\)\.transpose\(\s*0\s*,\s*1\s*\))"
     r"\.cuda\(\)",
     r"\1.to(enc_output.device)"),
    ("label mask built with .cuda().byte()",
     r"(self\.label_mask\.repeat\(\s*batch_size\s*,\s*1\s*,\s*1\s*\))\.cuda\(\)\.byte\(\)",
     r"\1.to(enc_output.device).bool()"),
)


def shim_decoders_source(source: str) -> str:
    """``lamp/Decoders.py``'s source with the two CUDA-only lines of
    ``GraphDecoder.forward`` rewritten for any device (same line count)."""
    for what, pattern, repl in SHIMS:
        source, n = re.subn(pattern, repl, source)
        if n != 1:
            raise ShimError(
                f"CPU shim '{what}': expected exactly one match of /{pattern}/ in "
                f"lamp/Decoders.py, found {n}. The checkout differs from the released code "
                f"(commit {RELEASED_COMMIT[:7]}): already patched, or another version.")
    return source


class _ShimLoader(importlib.abc.Loader):
    def __init__(self, path: Path, source: str):
        self.path, self.source = path, source

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = str(self.path)
        exec(compile(self.source, str(self.path), "exec"), module.__dict__)


class _ShimFinder(importlib.abc.MetaPathFinder):
    """Serves ``lamp.Decoders`` from rewritten source; every other module imports normally."""

    def __init__(self, path: Path, source: str):
        self.loader = _ShimLoader(path, source)

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "lamp.Decoders":
            return None
        return importlib.util.spec_from_loader(fullname, self.loader, origin=str(self.loader.path))


class Released:
    """The released code's modules, imported from a checkout with the CPU shims."""

    def __init__(self, root: Path, models, decoders, config_args):
        self.root, self.models, self.decoders, self.config_args = root, models, decoders, config_args


def load_released(root) -> Released:
    """Imports ``lamp.Models`` (with the shimmed ``lamp.Decoders``) and ``config_args`` from
    the checkout ``root``; leaves ``sys.modules``, ``sys.path`` and the checkout as found."""
    root = Path(root).expanduser().resolve()
    dec = root / "lamp" / "Decoders.py"
    if not dec.is_file() or not (root / "config_args.py").is_file():
        raise FileNotFoundError(f"{root} is not a checkout of the released LaMP code "
                                "(lamp/Decoders.py and config_args.py expected)")
    source = shim_decoders_source(dec.read_text())
    names = ("lamp", "config_args")
    stash = {k: sys.modules.pop(k) for k in list(sys.modules)
             if k in names or k.startswith("lamp.")}
    finder = _ShimFinder(dec, source)
    old_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(root))
    sys.meta_path.insert(0, finder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import importlib
            models = importlib.import_module("lamp.Models")
            decoders = importlib.import_module("lamp.Decoders")
            cfg = importlib.import_module("config_args")
        if decoders.__loader__ is not finder.loader:
            raise ShimError("lamp.Decoders was not loaded through the shim")
    finally:
        sys.meta_path.remove(finder)
        sys.path.remove(str(root))
        sys.dont_write_bytecode = old_bytecode
        for k in [k for k in list(sys.modules) if k in names or k.startswith("lamp.")]:
            del sys.modules[k]
        sys.modules.update(stash)
    return Released(root, models, decoders, cfg)


def git_blob(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def checkout_info(root: Path) -> dict:
    """The checkout's commit (when it is a git work tree) and which files differ from c4152b9."""
    root = Path(root).expanduser().resolve()
    commit = None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=20)
        if out.returncode == 0:
            commit = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    differ = [f for f, blob in RELEASED_BLOBS.items()
              if not (root / f).is_file() or git_blob(root / f) != blob]
    return {"path": str(root), "commit": commit, "files_differing_from_c4152b9": differ}


# ---------------------------------------------------------------------- the released model
class _FixedArgs(argparse.ArgumentParser):
    """``get_args`` calls ``parser.parse_args()``: hand it the README's command, not ours."""

    def __init__(self, argv):
        super().__init__(prog="main.py")
        self._argv = list(argv)

    def parse_args(self, args=None, namespace=None):  # noqa: D102
        return super().parse_args(self._argv, namespace)


def released_options(rel: Released, num_labels: int, vocab_size: int, max_len: int):
    """``opt`` as ``main.py`` has it before building the model: ``config_args`` on the
    command, then what ``process_data`` sets from the data."""
    with contextlib.redirect_stdout(io.StringIO()):  # config_args prints the run name
        opt = rel.config_args.config_args(rel.config_args.get_args(_FixedArgs(RELEASED_ARGV)))
    opt.max_token_seq_len_e = max_len  # data['settings'].max_seq_len (position table only)
    opt.max_token_seq_len_d = opt.max_ar_length
    opt.src_vocab_size = vocab_size  # len(data['dict']['src']): PAD, UNK, BOS, EOS + features
    opt.tgt_vocab_size = num_labels  # binary relevance: the label dictionary minus 4 specials
    opt.max_ar_length = num_labels
    return opt


def released_prior_adjacency(train_labels, num_labels: int):
    """``process_data``'s ``label_mask == 'prior'`` loop, on the training label lists
    (label ``l`` is target id ``l + 4``; each target list is BOS, labels, EOS)."""
    import torch
    adj = torch.eye(num_labels)
    for labels in train_labels:
        sample = [2] + [int(l) + 4 for l in labels] + [3]
        sample2 = sample
        for i, idx1 in enumerate(sample[1:-1]):
            for idx2 in sample2[i + 1:-1]:
                if idx1 != idx2:
                    adj[idx1 - 4, idx2 - 4] = 1
                    adj[idx2 - 4, idx1 - 4] = 1
    return adj


def build_released(rel: Released, opt, label_adj_matrix):
    """``LAMP(...)`` with ``main.py``'s arguments."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # init.xavier_normal is deprecated
        return rel.models.LAMP(
            opt.src_vocab_size, opt.tgt_vocab_size, opt.max_token_seq_len_e,
            opt.max_token_seq_len_d, proj_share_weight=opt.proj_share_weight,
            embs_share_weight=opt.embs_share_weight, d_k=opt.d_k, d_v=opt.d_v,
            d_model=opt.d_model, d_word_vec=opt.d_word_vec, d_inner_hid=opt.d_inner_hid,
            n_layers_enc=opt.n_layers_enc, n_layers_dec=opt.n_layers_dec, n_head=opt.n_head,
            n_head2=opt.n_head2, dropout=opt.dropout, dec_dropout=opt.dec_dropout,
            dec_dropout2=opt.dec_dropout2, encoder=opt.encoder, decoder=opt.decoder,
            enc_transform=opt.enc_transform, onehot=opt.onehot,
            no_enc_pos_embedding=opt.no_enc_pos_embedding, no_dec_self_att=opt.no_dec_self_att,
            loss=opt.loss, label_adj_matrix=label_adj_matrix, attn_type=opt.attn_type,
            label_mask=opt.label_mask, matching_mlp=opt.matching_mlp,
            graph_conv=opt.graph_conv, int_preds=opt.int_preds)


def released_adam(model, opt):
    import torch
    return torch.optim.Adam(model.get_trainable_parameters(), betas=(0.9, 0.98), lr=opt.lr)


def check_same_settings(opt, mc) -> None:
    """The released model and lamp-pyg's config must be the same network size."""
    want = {"d_model": mc.d_model, "d_inner_hid": mc.d_ff, "n_head": mc.heads,
            "n_layers_enc": mc.n_layers_enc, "n_layers_dec": mc.n_layers_dec,
            "dropout": mc.dropout, "dec_dropout": mc.dropout}
    got = {k: getattr(opt, k) for k in want}
    bad = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    if bad or not opt.no_enc_pos_embedding or opt.int_preds:
        raise RuntimeError(f"released settings differ from configs/bibtex.yaml: {bad}, "
                           f"no_enc_pos_embedding={opt.no_enc_pos_embedding}, "
                           f"int_preds={opt.int_preds}")


_NAME_MAP = (  # lamp-pyg parameter name -> released parameter name
    (r"^readout$", "tgt_word_proj.linear.weight"),
    (r"^token_embedding\.", "encoder.src_word_emb."),
    (r"^label_embedding\.", "decoder.tgt_word_emb."),
    (r"^encoder\.(\d+)\.lin([12])\.", r"encoder.layer_stack.\1.pos_ffn.w_\2."),
    (r"^encoder\.(\d+)\.norm\.", r"encoder.layer_stack.\1.pos_ffn.layer_norm."),
)
_BLOCK = {"feature_to_label": ("enc_attn", "pos_ffn1"), "label_to_label": ("slf_attn", "pos_ffn2")}
_ATTN = {"lin_query": "w_qs", "lin_key": "w_ks", "lin_value": "w_vs", "lin_out": "fc"}


def released_name(name: str) -> str:
    for pattern, repl in _NAME_MAP:
        if re.search(pattern, name):
            return re.sub(pattern, repl, name)
    m = re.match(r"^decoder\.(\d+)\.(feature_to_label|label_to_label)\.(.*)$", name)
    if m:
        i, block, rest = m.groups()
        attn, ffn = _BLOCK[block]
        pre = f"decoder.layer_stack.{i}."
        a = re.match(r"^attn\.(lin_query|lin_key|lin_value|lin_out)\.weight$", rest)
        if a:
            return f"{pre}{attn}.{_ATTN[a.group(1)]}.weight"
        if rest.startswith("norm."):
            return f"{pre}{attn}.layer_norm.{rest[5:]}"
        f = re.match(r"^ffn\.lin([12])\.(weight|bias)$", rest)
        if f:
            return f"{pre}{ffn}.w_{f.group(1)}.{f.group(2)}"
        if rest.startswith("ffn.norm."):
            return f"{pre}{ffn}.layer_norm.{rest[9:]}"
    raise KeyError(f"no released counterpart for lamp-pyg parameter {name!r}")


def copy_lamp_into_released(released, lamp) -> int:
    """Copies every lamp-pyg parameter into the released model (Conv1d weights get their
    kernel dimension). Raises unless every released parameter that reaches the output is
    covered; the encoder self-attention (computed and discarded) keeps its own weights.
    Returns the number of tensors copied."""
    import torch
    dst = dict(released.named_parameters())
    done = set()
    with torch.no_grad():
        for name, p in lamp.named_parameters():
            target = released_name(name)
            if target not in dst:
                raise KeyError(f"{name} -> {target}: no such released parameter")
            d = dst[target]
            src = p.reshape(d.shape) if p.numel() == d.numel() else p
            if src.shape != d.shape:
                raise ValueError(f"{name} {tuple(p.shape)} -> {target} {tuple(d.shape)}")
            d.copy_(src)
            done.add(target)
    unused = {n for n in dst if n not in done
              and not re.match(r"^encoder\.layer_stack\.\d+\.slf_attn\.", n)}
    if unused:
        raise ValueError(f"released parameters without a lamp-pyg counterpart: {sorted(unused)}")
    return len(done)


def released_inputs(batch):
    """``(src_seq, src_pos)`` as the released data loader makes them: token ids padded with 0
    to the batch's longest, positions 1..n (0 on padding)."""
    import torch
    from torch_geometric.utils import to_dense_batch
    tok = batch["token"]
    seq, mask = to_dense_batch(tok.x, tok.batch, fill_value=0, batch_size=batch.num_graphs)
    pos = torch.arange(1, seq.size(1) + 1).expand_as(seq) * mask
    return seq, pos.long()


# ---------------------------------------------------------------------- the run
def load_lamp(data_root: str):
    """Config, datasets and label graph for bibtex (``configs/bibtex.yaml``)."""
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.setup import build_label_graph, load_datasets
    cfg = load_config(REPO / "configs" / "bibtex.yaml", [f"data.root={data_root}"])
    ds = load_datasets(cfg)
    return cfg, ds, build_label_graph(cfg, ds["train"])


def draw_batches(train, n: int, size: int = BATCH, seed: int = 1):
    """``n`` batches of ``size`` random training samples:
    ``[(pyg_batch, (src_seq, src_pos), y)]``."""
    import torch
    from torch_geometric.loader import DataLoader
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist()
    if n * size > len(order):
        raise ValueError(f"{n} batches of {size} need {n * size} samples, the split has {len(order)}")
    out = []
    for i in range(n):
        idx = torch.tensor(order[i * size:(i + 1) * size])
        batch = next(iter(DataLoader(train[idx], batch_size=size)))
        out.append((batch, released_inputs(batch), batch["label"].y.float()))
    return out


class Arms:
    """The models, optimisers and step functions of the arms."""

    def __init__(self, names, cfg, ds, graph, rel: Optional[Released], seed: int = 0,
                 copy_weights: bool = True):
        import torch
        from lamp_pyg.models import LaMP
        from lamp_pyg.training.setup import make_optimizer, model_config
        self.names = list(names)
        self.models, self.fwd, self.opts, self.info = {}, {}, {}, {}
        train = ds["train"]
        mc = model_config(cfg, train)
        lamp = None
        torch.manual_seed(seed)
        if any(a != "released" for a in self.names) or (copy_weights and "released" in self.names):
            lamp = LaMP(mc, graph.edge_index)
        for a in self.names:
            if a == "released":
                continue
            m = lamp if a == "lamp-pyg fp32" or "lamp-pyg fp32" not in self.names else copy.deepcopy(lamp)
            self.models[a] = m
            self.fwd[a] = torch.compile(m, dynamic=True) if a in COMPILED else m
            self.opts[a] = make_optimizer(m, cfg.train, torch.device("cpu"))
        if "released" in self.names:
            opt = released_options(rel, mc.num_labels, mc.vocab_size, mc.max_positions)
            check_same_settings(opt, mc)
            adj = released_prior_adjacency(train.train_labels, mc.num_labels)
            allowed = torch.zeros(mc.num_labels, mc.num_labels, dtype=torch.bool)
            allowed[graph.edge_index[1], graph.edge_index[0]] = True
            self.info["prior_mask_entries"] = int(adj.sum())
            self.info["prior_mask_density"] = float(adj.mean())
            self.info["prior_mask_equals_lamp_pyg_graph"] = bool(torch.equal(adj.bool(), allowed))
            m = build_released(rel, opt, adj)
            if copy_weights:
                self.info["tensors_copied"] = copy_lamp_into_released(m, lamp)
            self.models["released"] = m
            self.opts["released"] = released_adam(m, opt)
            self.info["released_parameters"] = sum(p.numel() for p in m.get_trainable_parameters())
        if lamp is not None:
            self.info["lamp_pyg_parameters"] = sum(p.numel() for p in lamp.parameters())
        self.train()

    def train(self):
        for m in self.models.values():
            m.train()

    def eval(self):
        for m in self.models.values():
            m.eval()

    def logits(self, arm: str, item, eager: bool = False):
        """Forward pass (the caller picks grad / no-grad and train / eval mode); ``eager``:
        the plain module of a compiled arm (FLOP counting)."""
        import torch
        from lamp_pyg.training.setup import autocast
        batch, src, _ = item
        if arm == "released":
            return self.models[arm](src, None, None, None)[0]
        with autocast(PRECISION[arm], torch.device("cpu")):
            return (self.models if eager else self.fwd)[arm](batch)

    def step(self, arm: str, item) -> float:
        import torch.nn.functional as F
        m, opt = self.models[arm], self.opts[arm]
        batch, _, y = item
        opt.zero_grad(set_to_none=True)
        out = self.logits(arm, item)
        if arm == "released":
            loss = F.binary_cross_entropy_with_logits(out, y, reduction="mean")
        else:
            loss = m.loss(out, y)  # fp32 (outside autocast, as the training loop)
        loss.backward()
        opt.step()
        return float(loss.detach())

    def evaluate(self, arm: str, item):
        import torch
        with torch.no_grad():
            out = self.logits(arm, item)
            z = out if arm == "released" else out.logits
            return torch.sigmoid(z.float())


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def correctness(arms: Arms, item) -> dict:
    """Same weights, dropout off, one batch: logits of each lamp-pyg arm against the
    released code's. Run before any training step."""
    import torch
    arms.eval()
    with torch.no_grad():
        z = {a: (arms.logits(a, item) if a == "released" else arms.logits(a, item).logits).float()
             for a in arms.names}
    arms.train()
    out = {"max_abs_logit_released": float(z["released"].abs().max())}
    for a in arms.names:
        if a != "released":
            out[f"max_abs_logit_diff[{a}]"] = float((z[a] - z["released"]).abs().max())
    y = item[2]
    import torch.nn.functional as F
    out["eval_loss"] = {a: float(F.binary_cross_entropy_with_logits(z[a], y)) for a in arms.names}
    return out


def measure(arms: Arms, batches, warmup: int, log) -> dict:
    """Interleaved training steps, then interleaved evaluation passes, on the same batches."""
    res = {"train": {a: [] for a in arms.names}, "train_cpu": {a: [] for a in arms.names},
           "loss": {a: [] for a in arms.names}, "eval": {a: [] for a in arms.names},
           "eval_cpu": {a: [] for a in arms.names}}
    res["loadavg_train"] = [loadavg()]
    for i, item in enumerate(batches):
        walls = {}
        for a in arms.names:
            w, c, loss = timed(lambda: arms.step(a, item))
            walls[a] = w
            res["loss"][a].append(loss)
            if i >= warmup:
                res["train"][a].append(w)
                res["train_cpu"][a].append(c)
        log(f"  train round {i + 1}/{len(batches)}" + (" (warm-up)" if i < warmup else "") + ": "
            + ", ".join(f"{a} {w:.2f} s" for a, w in walls.items()))
    res["loadavg_train"].append(loadavg())
    arms.eval()
    res["loadavg_eval"] = [loadavg()]
    for i, item in enumerate(batches):
        for a in arms.names:
            w, c, _ = timed(lambda: arms.evaluate(a, item))
            if i >= warmup:
                res["eval"][a].append(w)
                res["eval_cpu"][a].append(c)
    res["loadavg_eval"].append(loadavg())
    arms.train()
    return res


def count_flops(arms: Arms, batches, warmup: int) -> dict:
    """FLOPs of one training step's forward + backward per arm (``FlopCounterMode``: matrix
    products and attention kernels; elementwise work, LayerNorm and Adam are not counted), as
    the mean over the timed batches. Gradients are cleared afterwards; no weight changes."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    out = {}
    for a in arms.names:
        m, flops = arms.models[a], []
        for item in batches[warmup:]:
            with FlopCounterMode(display=False) as fc:
                z = arms.logits(a, item, eager=True)  # a compiled arm does the same products
                z = z if a == "released" else z.logits
                torch.nn.functional.binary_cross_entropy_with_logits(z.float(), item[2]).backward()
            flops.append(fc.get_total_flops())
            m.zero_grad(set_to_none=True)
        out[a] = sum(flops) / len(flops)
    return out


def cpu_flags() -> dict:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "").split()
    except OSError:
        flags = []
    return {k: k in flags for k in ("avx512_bf16", "amx_bf16", "amx_tile", "avx512f")}


# ---------------------------------------------------------------------- peak RSS (child)
def child(a) -> dict:
    """One arm alone in this (fresh) process: peak RSS over a few training steps."""
    import torch
    torch.set_num_threads(a.threads)
    import torch_geometric.loader  # noqa: F401  (imports before the baseline RSS)
    import lamp_pyg.models  # noqa: F401
    import lamp_pyg.training.setup  # noqa: F401
    arm = CHILD_ARM[a.arm]
    rel = load_released(a.original) if arm == "released" else None
    rss0 = proc_status()["VmRSS"]
    cfg, ds, graph = load_lamp(a.data_root)
    batches = draw_batches(ds["train"], a.steps, a.batch_size)
    # each arm with its own initial weights (no lamp-pyg model inside the released arm's process)
    arms = Arms([arm], cfg, ds, graph, rel, copy_weights=False)
    rss_built = proc_status()["VmRSS"]
    times = [timed(lambda: arms.step(arm, item))[0] for item in batches]
    st = proc_status()
    return {"arm": arm, "rss_start": rss0, "rss_built": rss_built, "peak": st["VmHWM"],
            "times": times, "threads": torch.get_num_threads()}


def run_child(argv: List[str], timeout: float = 1800) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve())] + argv
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-2000:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- main
def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--original", required=True, type=Path,
                   help="a checkout of the released code (QData/LaMP); nothing in it is changed")
    p.add_argument("--data-root", default=os.environ.get("LAMP_PYG_DATA"),
                   help="folder holding mulan/bibtex/ (default: $LAMP_PYG_DATA)")
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    p.add_argument("--steps", type=int, default=None,
                   help="timed training steps (and eval batches) per arm (default 20, quick 1)")
    p.add_argument("--warmup", type=int, default=None,
                   help="untimed warm-up rounds (default 2, quick 0)")
    p.add_argument("--mem-steps", type=int, default=None,
                   help="training steps in each peak-RSS process (default 3, quick 1)")
    p.add_argument("--batch-size", type=int, default=None,
                   help=f"samples per batch (default {BATCH}, the paper's; quick 8: a smoke run "
                        "checks the plumbing, not the speed)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 round of batches of 8, no warm-up, 1 step per peak-RSS "
                        "process: checks that everything runs, its numbers mean nothing")
    p.add_argument("--bf16", action="store_true",
                   help="run the bf16 arm even where the CPU has no fast bf16")
    p.add_argument("--compile", action="store_true",
                   help="add the arm 'lamp-pyg bf16 compiled' (train.compile: true; its first "
                        "steps compile, so give --warmup 3 or more)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-RSS processes")
    p.add_argument("--out", type=Path, help="markdown report (a .json twin is written too)")
    p.add_argument("--arm", choices=sorted(CHILD_ARM), help=argparse.SUPPRESS)  # child mode
    a = p.parse_args(argv)
    if not a.data_root:
        p.error("--data-root (or $LAMP_PYG_DATA) is required: the folder with mulan/bibtex/")
    if a.threads < 1:
        p.error("--threads must be >= 1")
    a.steps = a.steps if a.steps is not None else (1 if a.quick else 20)
    a.warmup = a.warmup if a.warmup is not None else 0 if a.quick else 2
    a.mem_steps = a.mem_steps if a.mem_steps is not None else (1 if a.quick else 3)
    a.batch_size = a.batch_size if a.batch_size is not None else (8 if a.quick else BATCH)
    if a.steps < 1 or a.warmup < 0 or a.mem_steps < 1 or a.batch_size < 1:
        p.error("--steps, --mem-steps and --batch-size must be >= 1, --warmup >= 0")
    return a


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    a = parse(argv)
    if a.arm:
        a.steps = a.mem_steps
        print(json.dumps(child(a)))
        return 0
    import torch
    torch.set_num_threads(a.threads)
    from lamp_pyg.training.setup import bf16_warning, fast_bf16
    log = lambda *x: print(*x, file=sys.stderr, flush=True)  # noqa: E731
    started = time.time()
    report = {"command": "python bench/bench_original.py " + shlex.join(argv),
              "date": datetime.now().isoformat(timespec="seconds"), "loadavg_start": loadavg(),
              "machine": machine_info(), "cpu_flags": cpu_flags(),
              "fast_bf16": fast_bf16(torch.device("cpu")), "threads": a.threads,
              "steps": a.steps, "warmup": a.warmup, "mem_steps": a.mem_steps, "quick": a.quick,
              "batch_size": a.batch_size,
              "original": checkout_info(a.original)}
    try:
        rel = load_released(a.original)
    except (ShimError, FileNotFoundError) as e:
        print(f"bench_original.py: error: {e}", file=sys.stderr)
        return 2
    log("matmul GFLOP/s ...")
    report["matmul_gflops"] = matmul_rates(max_seconds=0.5 if a.quick else 2.0)
    bf16 = report["fast_bf16"] or a.bf16
    warning = bf16 and bf16_warning(torch.device("cpu"), report["matmul_gflops"]["probe"])
    if warning:
        log(f"warning: {warning}")
    names = [x for x in ARMS if (PRECISION.get(x) != "bf16" or bf16)
             and (x not in COMPILED or a.compile)]
    report["arms"] = names
    log("data and models ...")
    cfg, ds, graph = load_lamp(a.data_root)
    batches = draw_batches(ds["train"], a.warmup + a.steps, a.batch_size)
    arms = Arms(names, cfg, ds, graph, rel)
    report["setup"] = dict(arms.info, train_samples=len(ds["train"]),
                           num_labels=graph.num_labels, label_graph_entries=int(graph.edge_index.size(1)),
                           longest=[int(b[1][0].size(1)) for b in batches],
                           tokens=[int(b[0]["token"].num_nodes) for b in batches])
    report["check"] = correctness(arms, batches[0])
    log("correctness: " + json.dumps(report["check"]))
    report["results"] = measure(arms, batches, a.warmup, log)
    log("FLOP count ...")
    report["flops_per_step"] = count_flops(arms, batches, a.warmup)
    del arms
    if not a.no_memory:
        report["memory"] = {}
        for short, arm in CHILD_ARM.items():
            if arm not in names:
                continue
            log(f"peak RSS: {arm} (fresh process, {a.mem_steps} steps) ...")
            report["memory"][arm] = run_child(
                ["--arm", short, "--original", str(a.original), "--data-root", a.data_root,
                 "--threads", str(a.threads), "--mem-steps", str(a.mem_steps),
                 "--batch-size", str(a.batch_size)])
    report["loadavg_end"] = loadavg()
    report["elapsed_s"] = time.time() - started
    text = render(report)
    print(text)
    if a.out:
        write_report(a.out, text, report)
    return 0


# ---------------------------------------------------------------------- report
def _mb(b) -> str:
    return f"{b / 2 ** 20:,.0f} MB"


def flops_lines(r) -> List[str]:
    """The FLOP table: work per step, the rate reached, and the time the 2048x2048 matmul
    rate would need for that work (a floor: no code runs its products faster than that)."""
    fl, res = r.get("flops_per_step"), r["results"]
    if not fl:
        return []
    lines = ["| arm | GFLOP per training step | reached GFLOP/s | floor s/step at the 2048x2048 "
             "rate | floor vs released |", "|---|---|---|---|---|"]
    t_rel = median(res["train"]["released"])
    for a in r["arms"]:
        rate = r["matmul_gflops"]["bfloat16" if PRECISION.get(a) == "bf16" else "float32"]
        floor = fl[a] / 1e9 / rate
        lines.append(f"| {a} | {fl[a] / 1e9:.1f} | {fl[a] / 1e9 / median(res['train'][a]):.0f} | "
                     f"{floor:.3f} | {t_rel / floor:.2f}x |")
    return ["", "Work per training step (forward + backward, `torch.utils.flop_counter."
            "FlopCounterMode`: matrix products and attention kernels only; mean over the timed "
            "batches) and the fastest a step could be at this machine's 2048x2048 matmul rate:",
            "", *lines, ""]


def machine_lines(r) -> List[str]:
    """The report's opening lines: command, date, machine, CPU flags, load."""
    m, g, f, res = r["machine"], r["matmul_gflops"], r["cpu_flags"], r["results"]
    yes = lambda v: "present" if v else "absent"  # noqa: E731
    return [
        "# Training speed: the released LaMP code against lamp-pyg (bibtex, paper settings)",
        "",
        f"- command: `{r['command']}`" + (" (**quick smoke run: too few steps to quote**)"
                                          if r["quick"] else ""),
        *([f"- **batches of {r['batch_size']}, not the paper's {BATCH}: not comparable with "
           "the reference numbers**"] if r["batch_size"] != BATCH else []),
        f"- date: {r['date']} (elapsed {r['elapsed_s']:.0f} s)",
        f"- machine: {m['cpu']}, {m['logical_cores']} logical cores ({m['usable_cores']} usable), "
        f"torch threads {r['threads']}; Python {m['python']}, torch {m['torch']}, "
        f"PyG {m['torch_geometric']}, torch_scatter {m['torch_scatter']}",
        f"- CPU flags: avx512_bf16 {yes(f['avx512_bf16'])}, amx_bf16 {yes(f['amx_bf16'])}; "
        f"fast bf16 (`lamp_pyg.training.setup.fast_bf16`): {r['fast_bf16']}",
        f"- {matmul_line(g)}, at {r['threads']} threads",
        f"- load average (1 min): start {r['loadavg_start']:.2f}, training loop "
        f"{res['loadavg_train'][0]:.2f} -> {res['loadavg_train'][1]:.2f}, evaluation loop "
        f"{res['loadavg_eval'][0]:.2f} -> {res['loadavg_eval'][1]:.2f}, end {r['loadavg_end']:.2f}",
    ]


def setup_lines(r) -> List[str]:
    """What was compared: the released code, the data, the label graph, the arms, the timing."""
    o, s, res = r["original"], r["setup"], r["results"]
    differ = o["files_differing_from_c4152b9"]
    n_timed = len(res["train"]["released"])
    return [
        f"- released code: `{o['path']}` (git commit {o['commit'] or 'unknown: not a git work tree'}); "
        + ("its model files are those of commit c4152b9" if not differ else
           f"files that differ from commit c4152b9: {', '.join(differ)}")
        + "; run unedited, with the two CPU shims of `lamp/Decoders.py` `GraphDecoder.forward` "
          "applied in memory at import time (label-index input and label mask moved to the "
          "encoder output's device, the mask as `.bool()` instead of `.cuda().byte()`)",
        f"- data: the prepared bibtex training split ({s['train_samples']} samples); "
        f"{r['warmup'] + r['steps']} batches of {r['batch_size']} drawn at random (seed 1), the same for "
        f"every arm; tokens per batch median {median(s['tokens']):.0f}, longest input per batch "
        f"median {median(s['longest']):.0f} (the released code pads to it)",
        f"- label graph: prior, {s['num_labels']} labels, {s['label_graph_entries']} entries "
        f"with self-loops ({s['label_graph_entries'] / s['num_labels'] ** 2:.1%}); the released "
        f"prior mask built by its own loop from the same training labels: "
        + ("identical" if s.get("prior_mask_equals_lamp_pyg_graph") else "DIFFERENT")
        + f" ({s.get('prior_mask_entries', '-')} entries)",
        "- arms: **released** = the released `LAMP` built as its `main.py` does (`config_args` on "
        "the README command: `-dataset bibtext -d_model 512 -d_inner_hid 512 -n_head 4 "
        "-n_layers_enc 2 -n_layers_dec 2 -dropout 0.2 -dec_dropout 0.2 -encoder graph -decoder "
        "graph -label_mask prior -no_cuda`), `Adam(betas=(0.9, 0.98), lr=2e-4)`, mean "
        "BCE-with-logits; **lamp-pyg fp32** = `configs/bibtex.yaml`'s model "
        "(`lamp_pyg.training.setup`), its `make_optimizer` (Adam, same settings, fused); "
        "**lamp-pyg bf16** = the same under `autocast('bf16')` (loss, weights, Adam in fp32)"
        + ("" if "lamp-pyg bf16" in r["arms"] else
           " - not run: no fast bf16 on this CPU (`--bf16` forces it)")
        + ("; **lamp-pyg bf16 compiled** = that arm with its forward pass under "
           "`torch.compile(model, dynamic=True)` (`train.compile: true`; FLOPs counted on the "
           "plain module)" if "lamp-pyg bf16 compiled" in r["arms"] else ""),
        f"- one training step = `zero_grad` + forward + loss + `backward` + Adam step; rounds "
        f"interleaved (released, fp32, bf16, ...) in one process; {r['warmup']} warm-up "
        f"round(s) excluded, median of {n_timed}. Evaluation = forward only under "
        "`torch.no_grad()`, eval mode, on the same batches, interleaved, same warm-up. "
        + (f"Peak RSS = `VmHWM` of a fresh process per arm (imports + data + model + Adam + "
           f"{r['mem_steps']} training step(s); each arm with its own initial weights)"
           if r.get("memory") else "Peak RSS not measured (`--no-memory`)."),
        "- every arm starts from the same weights: lamp-pyg's initial weights copied into the "
        f"released model ({s.get('tensors_copied', '-')} tensors; its encoder self-attention, "
        "computed and discarded by that code, has no counterpart); parameters: released "
        f"{s.get('released_parameters', 0):,} trainable (with that unused attention), lamp-pyg "
        f"{s.get('lamp_pyg_parameters', 0):,}",
    ]


def speed_lines(r) -> List[str]:
    """The speed table (train and eval seconds, peak RSS), FLOPs and CPU seconds."""
    res = r["results"]
    lines = [
        "| arm | train s/step (median) | vs released | eval s/batch | vs released | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    t_rel, e_rel = median(res["train"]["released"]), median(res["eval"]["released"])
    for a in r["arms"]:
        t, e = median(res["train"][a]), median(res["eval"][a])
        mem = (r.get("memory") or {}).get(a)
        peak = "-" if mem is None else (f"error ({mem['error'][-200:]})" if "error" in mem
                                        else _mb(mem["peak"]))
        lines.append(f"| {a} | {t:.3f} | {t_rel / t:.2f}x | {e:.3f} | {e_rel / e:.2f}x | {peak} |")
    lines += [
        "",
        "vs released = released seconds / arm seconds (above 1: faster than the released code). "
        "The released code's own scoring (`test.py`) runs without `torch.no_grad()`, so it pays "
        "for an autograd graph it never uses; the eval column times every arm under "
        "`no_grad`, which is a lower bound for the released code.",
        "",
        *flops_lines(r),
        "CPU seconds per training step (median, both threads): " + ", ".join(
            f"{a} {median(res['train_cpu'][a]):.3f}" for a in r["arms"]) + "; per eval batch: "
        + ", ".join(f"{a} {median(res['eval_cpu'][a]):.3f}" for a in r["arms"]) + ".",
        "",
    ]
    return lines


def correctness_lines(r) -> List[str]:
    """The correctness check: logit differences, losses on the first batch and steps."""
    res, chk = r["results"], r["check"]
    lines = [
        "## Correctness check",
        "",
        "Same initial weights, dropout off (eval mode), the first batch, before any step:",
        "",
    ]
    for a in r["arms"]:
        if a != "released":
            lines.append(f"- max |logit difference| {a} vs released: "
                         f"{chk[f'max_abs_logit_diff[{a}]']:.2e} (largest |logit| of the "
                         f"released code: {chk['max_abs_logit_released']:.2f})")
    lines.append("- mean BCE on that batch: " + ", ".join(
        f"{a} {v:.4f}" for a, v in chk["eval_loss"].items()))
    lines += [
        "",
        "First training step (dropout on, each arm with its own dropout masks, same weights): "
        "loss " + ", ".join(f"{a} {res['loss'][a][0]:.4f}" for a in r["arms"])
        + "; last step: " + ", ".join(f"{a} {res['loss'][a][-1]:.4f}" for a in r["arms"])
        + " (ln 2 = 0.6931, the loss of all-zero logits).",
        "",
        "Raw numbers: the JSON twin of this file.",
    ]
    return lines


def render(r) -> str:
    """The Markdown report of one record."""
    lines = [*machine_lines(r), *setup_lines(r), "", *speed_lines(r), *correctness_lines(r)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
