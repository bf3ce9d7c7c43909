"""Training loop: data -> label graph -> model -> epochs -> checkpoints -> reports.

Read top to bottom: :func:`build` makes datasets, label graph and model from a
config; :func:`train` runs the epochs (checkpointing at every epoch end and every
``train.checkpoint_minutes`` inside an epoch); :func:`final_report` scores the best
checkpoint with thresholds tuned on validation (headline protocol) and the paper's
protocol from the kept per-epoch tables.

Reproducibility: the shuffling order and the dropout RNG of epoch ``e`` depend only
on ``(seed, e)``, and mid-epoch checkpoints store the RNG state and the position in
the epoch, so a resumed run computes exactly what an uninterrupted one does.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.data.dataset import LaMPDataset
from lamp_pyg.evaluation import epoch_record, format_table, headline_report, paper_protocol
from lamp_pyg.evaluation.thresholds import tune_global
from lamp_pyg.graphs import LabelGraph
from lamp_pyg.models import LaMP, LaMPConfig
from lamp_pyg.training.checkpoint import (CheckpointError, check_compatible, load_checkpoint,
                                          model_from_checkpoint, save_checkpoint)
from lamp_pyg.training.config import Config
from lamp_pyg.training.configuration import to_dict
from lamp_pyg.training.ema import WeightAverage

ENV_CACHE = "LAMP_PYG_CACHE"


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. the loss became NaN); the last good checkpoint is kept."""


# ---------------------------------------------------------------------- setup
def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"train.device={name!r} but CUDA is not available here")
    return dev


def fast_bf16(device: torch.device) -> bool:
    """Whether bf16 matmuls are fast here: tensor cores (CUDA), AMX or AVX512-BF16 (CPU)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def autocast(precision: str, device: torch.device):
    """Context for forward passes: bf16 autocast (fp32 master weights; softmax statistics
    and the loss stay fp32) for ``bf16``, or ``auto`` on hardware where it is fast."""
    if precision == "bf16" or (precision == "auto" and fast_bf16(device)):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def cache_dir(cfg: Config) -> str:
    return os.path.expanduser(cfg.data.cache or os.environ.get(ENV_CACHE) or "~/.cache/lamp-pyg")


def load_datasets(cfg: Config) -> Dict[str, LaMPDataset]:
    d = cfg.data
    return {s: LaMPDataset(cache_dir(cfg), d.name, s, path=d.path, data_root=d.root,
                           options=d.prepare_options()) for s in ("train", "valid", "test")}


def build_label_graph(cfg: Config, train: LaMPDataset) -> LabelGraph:
    g = cfg.graph
    params = {"prior": {"min_count": g.min_count}, "conditional": {"tau": g.tau},
              "knn": {"k": g.k}}.get(g.kind, {})
    if g.kind == "given":
        return LabelGraph.from_edge_list(g.edge_file, train.label_names, Y=train.train_labels)
    return LabelGraph.from_labels(train.train_labels, g.kind, label_names=train.label_names,
                                  num_labels=train.num_labels, **params)


def model_config(cfg: Config, train: LaMPDataset) -> LaMPConfig:
    return LaMPConfig(**train.model_kwargs(), **asdict(cfg.model))


def build(cfg: Config):
    """Datasets, label graph and model for a config."""
    ds = load_datasets(cfg)
    graph = build_label_graph(cfg, ds["train"])
    model = LaMP(model_config(cfg, ds["train"]), graph.edge_index)
    return ds, graph, model


# ---------------------------------------------------------------------- scoring
def token_counts(ds: LaMPDataset) -> np.ndarray:
    """Input nodes per sample (1 per sample in the linear-token mode)."""
    slices = getattr(ds, "slices", None) or {}
    ptr = slices.get("token", {}).get("x")
    if ptr is None:
        return np.ones(len(ds), dtype=np.int64)
    counts = (ptr[1:] - ptr[:-1]).numpy()
    idx = ds._indices if getattr(ds, "_indices", None) is not None else range(len(counts))
    return counts[np.asarray(list(idx), dtype=np.int64)]


def length_sorted_loader(ds: LaMPDataset, batch_size: int) -> Tuple[DataLoader, np.ndarray]:
    """A loader over ``ds`` sorted by input length (batches then pad little on the
    dense feature -> label path) and the permutation that restores dataset order."""
    order = np.argsort(token_counts(ds), kind="stable")
    return DataLoader(ds[torch.from_numpy(order)], batch_size=batch_size), np.argsort(order)


def bucketed_order(lengths: np.ndarray, batch_size: int, seed: int, epoch: int,
                   chunk_batches: int = 50) -> List[int]:
    """A training order whose batches hold inputs of similar length: shuffle, sort each
    chunk of ``chunk_batches`` batches by length, cut it into batches, shuffle the
    batches. Every sample appears exactly once; seeded like the plain order."""
    g = torch.Generator().manual_seed(seed * 100003 + epoch)
    perm = torch.randperm(len(lengths), generator=g).numpy()
    batches: List[np.ndarray] = []
    span = batch_size * chunk_batches
    for s in range(0, len(perm), span):
        chunk = perm[s:s + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    shuffle = torch.randperm(len(batches), generator=g).tolist()
    return [int(i) for b in shuffle for i in batches[b]]


@torch.no_grad()
def predict_scores(model: LaMP, data, device, precision: str = "fp32",
                   batch_size: int = 128) -> Tuple[np.ndarray, np.ndarray]:
    """Sigmoid probabilities and targets, both ``[N, L]``, in dataset order.

    ``data`` is a dataset (scored in batches sorted by input length, then put back in
    order) or any loader of batches."""
    model.eval()
    restore = None
    loader = data
    if isinstance(data, LaMPDataset) or hasattr(data, "slices"):
        loader, restore = length_sorted_loader(data, batch_size)
    scores, targets = [], []
    for batch in loader:
        batch = batch.to(device)
        with autocast(precision, device):
            logits = model(batch).logits
        scores.append(torch.sigmoid(logits.float()).cpu())
        targets.append(batch["label"].y.cpu())
    L = model.config.num_labels
    S = torch.cat(scores).numpy() if scores else np.zeros((0, L), np.float32)
    Y = torch.cat(targets).numpy().astype(np.uint8) if targets else np.zeros((0, L), np.uint8)
    if restore is not None and len(restore):
        S, Y = S[restore], Y[restore]
    return S, Y


# ---------------------------------------------------------------------- training
def _epoch_order(n: int, seed: int, epoch: int) -> List[int]:
    g = torch.Generator().manual_seed(seed * 100003 + epoch)
    return torch.randperm(n, generator=g).tolist()


def _log(run_dir: Path, record: Dict[str, Any]) -> None:
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    writer = _tensorboard(run_dir)
    if writer is not None:
        for k, v in record.items():
            if k != "epoch" and isinstance(v, (int, float)):
                writer.add_scalar(k, v, record["epoch"])
        writer.flush()


_WRITERS: Dict[str, Any] = {}


def _tensorboard(run_dir: Path):
    """A TensorBoard writer in ``run_dir/tensorboard`` when tensorboard is installed."""
    key = str(run_dir)
    if key not in _WRITERS:
        try:
            from torch.utils.tensorboard import SummaryWriter
            _WRITERS[key] = SummaryWriter(str(run_dir / "tensorboard"))
        except ImportError:  # tensorboard not installed: the JSONL log is the record
            _WRITERS[key] = None
    return _WRITERS[key]


def _write_log(run_dir: Path, history: List[Dict[str, Any]]) -> None:
    """Rewrites ``metrics.jsonl`` from a checkpoint's per-epoch history."""
    tmp = run_dir / "metrics.jsonl.tmp"
    tmp.write_text("".join(json.dumps({k: v for k, v in h.items() if k != "record"}) + "\n"
                           for h in history))
    os.replace(tmp, run_dir / "metrics.jsonl")


def _json_default(o):
    """numpy arrays (per-label thresholds) and scalars in results.json."""
    return o.tolist() if isinstance(o, (np.ndarray, np.generic)) else float(o)


def make_optimizer(model: torch.nn.Module, t, device: torch.device) -> torch.optim.Adam:
    """Adam with the config's settings; the fused (single-kernel) implementation where
    this torch has it for the device (CPU and CUDA in torch >= 2.4), else the default."""
    kw = dict(lr=t.lr, betas=tuple(t.betas), eps=t.eps, weight_decay=t.weight_decay)
    try:
        return torch.optim.Adam(model.parameters(), fused=True, **kw)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(model.parameters(), **kw)


def learning_rate(t, step: int, total_steps: int) -> float:
    """The learning rate for optimiser step ``step`` (0-based, counted over all epochs):
    ``t.lr`` scaled by a linear warm-up over ``t.warmup_steps`` steps, then constant
    (LaMP's schedule) or a cosine decay to 0 at ``total_steps``."""
    warm = min(1.0, (step + 1) / t.warmup_steps) if t.warmup_steps else 1.0
    if t.lr_schedule == "cosine":
        span = max(total_steps - t.warmup_steps, 1)
        progress = min(max(step - t.warmup_steps, 0) / span, 1.0)
        return t.lr * warm * 0.5 * (1.0 + math.cos(math.pi * progress))
    return t.lr * warm


def train(cfg: Config, run_dir: Path, resume: bool = False, log=print) -> Dict[str, Any]:
    """Trains (or resumes) a run; returns the final report (also written to ``run_dir``)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    t = cfg.train
    if t.num_threads:
        torch.set_num_threads(t.num_threads)
    device = pick_device(t.device)
    seed_everything(t.seed)
    ds, graph, model = build(cfg)
    model.to(device)
    opt = make_optimizer(model, t, device)
    # EMA of the weights (train.ema_decay, not in LaMP): scored and saved as best.pt's model
    ema = WeightAverage(model, t.ema_decay) if t.ema_decay else None
    averaged = ema.swapped if ema is not None else contextlib.nullcontext
    cfg_dict = to_dict(cfg)
    meta = {k: ds["train"].meta[k] for k in ("name", "kind", "vocab", "label_names", "options",
                                              "feature_mean", "feature_std", "model_kwargs")}
    last_path, best_path = run_dir / "last.pt", run_dir / "best.pt"

    state = {"epoch": 0, "step": 0, "history": [], "best": None, "loss_sum": 0.0, "seen": 0}
    resume_rng = None
    if resume and last_path.exists():
        ck = load_checkpoint(last_path)
        check_compatible(ck, cfg_dict, last_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        if ema is not None and "ema" in ck:
            ema.load_state_dict(ck["ema"])
        elif ema is not None:
            log(f"{last_path} holds no weight average: train.ema_decay starts one from its weights")
        state = ck["train_state"]
        resume_rng = (ck["rng"], ck.get("cuda_rng")) if state["step"] else None
        log(f"resumed from {last_path}: epoch {state['epoch'] + 1}, step {state['step']}")
    elif resume:
        log(f"--resume: no checkpoint at {last_path}, starting from scratch")
    elif last_path.exists():
        raise CheckpointError(f"{run_dir} already holds a run (last.pt): pass --resume to "
                              f"continue it, or choose another run_dir")
    (run_dir / "config.yaml").write_text(_yaml(cfg_dict))
    # metrics.jsonl = the epochs of the checkpoint's history, each once (a kill between
    # writing last.pt and appending the epoch's line must not lose or repeat an epoch)
    _write_log(run_dir, state["history"])
    (run_dir / "label_graph.txt").write_text(graph.summary() + "\n")
    log(f"model: {sum(p.numel() for p in model.parameters()):,} parameters; {graph}")

    def checkpoint(path: Path, extra: Optional[Dict[str, Any]] = None):
        ck = {"model": model.state_dict(), "optimizer": opt.state_dict(), "config": cfg_dict,
              "meta": meta, "label_graph": graph.state_dict(), "train_state": state,
              "rng": torch.get_rng_state(),
              "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else None}
        if ema is not None:
            ck["ema"] = ema.state_dict()
        ck.update(extra or {})
        save_checkpoint(ck, path)

    n_train = len(ds["train"])
    steps_per_epoch = math.ceil(n_train / t.batch_size)
    train_lengths = token_counts(ds["train"]) if t.bucket_by_length else None
    last_ck_time = time.monotonic()
    scheduled = bool(t.warmup_steps) or t.lr_schedule != "constant"
    total_steps = t.epochs * steps_per_epoch

    while state["epoch"] < t.epochs:
        epoch = state["epoch"]
        order = (bucketed_order(train_lengths, t.batch_size, t.seed, epoch)
                 if t.bucket_by_length else _epoch_order(n_train, t.seed, epoch))
        # creating the loader's iterator draws a seed from the global RNG: do it before
        # seeding / restoring the dropout RNG, so that a resumed epoch continues from
        # exactly the RNG state stored with the mid-epoch checkpoint
        batches = iter(DataLoader(ds["train"][order[state["step"] * t.batch_size:]],
                                  batch_size=t.batch_size))
        if state["step"] == 0:
            torch.manual_seed(t.seed * 100003 + epoch)  # dropout RNG of this epoch
            state["loss_sum"], state["seen"] = 0.0, 0
        else:
            torch.set_rng_state(resume_rng[0])  # mid-epoch resume: exact RNG position
            if resume_rng[1] is not None and device.type == "cuda":
                torch.cuda.set_rng_state_all(resume_rng[1])
        model.train()
        bar = _progress(t.progress, steps_per_epoch, state["step"], f"epoch {epoch + 1}/{t.epochs}")
        t0, seen0 = time.perf_counter(), state["seen"]
        for batch in batches:
            batch = batch.to(device)
            with autocast(t.precision, device):
                out = model(batch)
            loss = model.loss(out, batch["label"].y)  # fp32
            if not torch.isfinite(loss):
                kept = (f"the last good checkpoint is {last_path}" if last_path.exists()
                        else "no checkpoint was written yet")
                raise TrainingError(
                    f"loss is {loss.item()} at epoch {epoch + 1}, step {state['step'] + 1}: "
                    f"stopping; {kept} (try a lower train.lr)")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if scheduled:
                lr = learning_rate(t, epoch * steps_per_epoch + state["step"], total_steps)
                for group in opt.param_groups:
                    group["lr"] = lr
            opt.step()
            if ema is not None:
                ema.update()
            B = batch.num_graphs
            state["loss_sum"] += loss.item() * B
            state["seen"] += B
            state["step"] += 1
            sps = (state["seen"] - seen0) / max(time.perf_counter() - t0, 1e-9)
            bar.update(1)
            bar.set_postfix(loss=f"{state['loss_sum'] / state['seen']:.4f}", samples_s=f"{sps:.0f}")
            if t.checkpoint_minutes and time.monotonic() - last_ck_time > 60 * t.checkpoint_minutes:
                checkpoint(last_path)
                last_ck_time = time.monotonic()
        bar.close()
        train_time = time.perf_counter() - t0

        # end of epoch: score valid and test (the paper protocol needs both per epoch)
        te = time.perf_counter()
        with averaged():  # the weight average when train.ema_decay is set, else a no-op
            Sv, Yv = predict_scores(model, ds["valid"], device, t.precision, t.eval_batch_size)
            tv = time.perf_counter()
            St, Yt = predict_scores(model, ds["test"], device, t.precision, t.eval_batch_size)
            test_time = time.perf_counter() - tv
        record = epoch_record(epoch + 1, Yv, Sv, Yt, St)
        thr, val, _ = tune_global(Yv, Sv, t.select_metric) if t.select_metric != "mAP" else (
            None, record["valid"]["mAP"], None)
        eval_time = time.perf_counter() - te
        summary = {"epoch": epoch + 1, "train_loss": state["loss_sum"] / max(state["seen"], 1),
                   f"valid_{t.select_metric}": val, "threshold": thr,
                   "train_seconds": round(train_time, 2), "eval_seconds": round(eval_time, 2),
                   # of eval_seconds: scoring test (needed only to report test per epoch)
                   "test_seconds": round(test_time, 2),
                   "samples_per_second": round(state["seen"] / max(train_time, 1e-9), 1)}
        state["history"].append({**summary, "record": record})
        log(f"epoch {epoch + 1}: train loss {summary['train_loss']:.4f}, valid "
            f"{t.select_metric} {val:.4f} (t={thr}), {train_time:.1f}s train, "
            f"{eval_time:.1f}s eval, {summary['samples_per_second']:.0f} samples/s")
        is_best = state["best"] is None or val > state["best"]["value"]
        if is_best:
            state["best"] = {"epoch": epoch + 1, "value": val, "threshold": thr}
        state["epoch"], state["step"] = epoch + 1, 0
        if is_best:
            with averaged():  # best.pt's model = the weights that were scored
                checkpoint(best_path)
        checkpoint(last_path)
        _log(run_dir, summary)
        last_ck_time = time.monotonic()
        if t.patience and state["epoch"] - state["best"]["epoch"] >= t.patience:
            log(f"early stop: no better valid {t.select_metric} for {t.patience} epochs "
                f"(best epoch {state['best']['epoch']})")
            break

    return final_report(cfg, run_dir, ds, device, log=log)


def final_report(cfg: Config, run_dir: Path, ds, device, log=print) -> Dict[str, Any]:
    """Headline protocol on the best checkpoint + paper protocol from the history."""
    ck = load_checkpoint(run_dir / "best.pt")
    model = model_from_checkpoint(ck).to(device)
    t = cfg.train
    Sv, Yv = predict_scores(model, ds["valid"], device, t.precision, t.eval_batch_size)
    St, Yt = predict_scores(model, ds["test"], device, t.precision, t.eval_batch_size)
    headline = headline_report(Yv, Sv, Yt, St, per_label=cfg.eval.per_label_thresholds,
                               at_least_one=cfg.eval.at_least_one)
    history = load_checkpoint(run_dir / "last.pt")["train_state"]["history"]
    paper = paper_protocol([h["record"] for h in history])
    thresholds = {m: r["threshold"] for m, r in headline.items()
                  if isinstance(r, dict) and r.get("threshold") is not None}
    # store the tuned thresholds with the checkpoint they belong to
    ck["thresholds"] = thresholds
    if cfg.eval.at_least_one:
        ck["thresholds_at_least_one"] = {m: r["at_least_one"]["threshold"] for m, r in headline.items()
                                         if isinstance(r, dict) and "at_least_one" in r}
    save_checkpoint(ck, run_dir / "best.pt")
    report = {"dataset": cfg.data.name, "graph": cfg.graph.kind, "seed": t.seed,
              "best_epoch": ck["train_state"]["best"]["epoch"], "epochs": len(history),
              "select_metric": t.select_metric, "headline": headline, "paper_protocol": paper,
              "seconds_per_epoch": float(np.mean([h["train_seconds"] for h in history])),
              "samples_per_second": float(np.mean([h["samples_per_second"] for h in history]))}
    text = (format_table(headline, title=f"Headline protocol: best epoch "
                         f"{report['best_epoch']} on valid {t.select_metric}, thresholds "
                         f"tuned on valid, applied to test")
            + "\n\n" + format_table(paper, title="Paper protocol (LaMP): best (epoch, "
                                    "threshold) per metric on valid, test reported there"))
    (run_dir / "results.json").write_text(json.dumps(report, indent=2, default=_json_default))
    (run_dir / "results.txt").write_text(text + "\n")
    log(text)
    if cfg.eval.plots:
        try:
            from lamp_pyg.training.plots import plot_run
            plot_run(history, Yv, Sv, run_dir)
        except ImportError as e:
            log(f"plots skipped: {e} (pip install matplotlib)")
    return report


def _progress(enabled: bool, total: int, initial: int, desc: str):
    if enabled:
        try:
            from tqdm.auto import tqdm
            # disable=None: a bar on a terminal, quiet in logs (epoch lines still print)
            return tqdm(total=total, initial=initial, desc=desc, leave=False, disable=None,
                        mininterval=0.5, dynamic_ncols=True, file=sys.stderr)
        except ImportError:
            pass

    class _Null:
        def update(self, n): pass
        def set_postfix(self, **kw): pass
        def close(self): pass
    return _Null()


def _yaml(d) -> str:
    import yaml
    return yaml.safe_dump(d, sort_keys=False)
