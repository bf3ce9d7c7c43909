"""Training loop: start or resume, train an epoch, score it, save it; then the report.

:func:`train` reads top to bottom. :class:`Run` holds what one run works on (datasets,
label graph, model, optimiser, weight average, :class:`RunState`); its checkpoints are
written at every epoch end and every ``train.checkpoint_minutes`` inside an epoch.
:func:`final_report` scores the best checkpoint with thresholds tuned on validation
(headline protocol) and the paper's protocol from the kept per-epoch tables.

Reproducibility: the shuffling order and the dropout RNG of epoch ``e`` depend only on
``(seed, e)`` (:func:`~lamp_pyg.training.setup.epoch_seed`), and mid-epoch checkpoints
store the RNG state and the position in the epoch, so a resumed run computes exactly
what an uninterrupted one does.
"""
from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.data.dataset import format_stats
from lamp_pyg.evaluation import epoch_record, format_table, headline_report, paper_protocol
from lamp_pyg.evaluation.thresholds import tune_global
from lamp_pyg.training.batches import (bucketed_order, epoch_order, length_sorted_loader,
                                       predict_scores)
from lamp_pyg.training.checkpoint import (CheckpointError, check_resumable, load_checkpoint,
                                          model_from_checkpoint, save_checkpoint)
from lamp_pyg.training.config import Config
from lamp_pyg.training.ema import WeightAverage
from lamp_pyg.training.run_dir import (RunLock, append_metrics, check_run_dir,
                                       rewrite_metrics)
from lamp_pyg.training.setup import (autocast, build, build_label_graph, epoch_seed,
                                     fast_bf16, learning_rate, load_datasets, machine_info,
                                     make_optimizer, model_config, pick_device, seed_everything)
from lamp_pyg.typed_yaml import dump_yaml, to_dict

__all__ = ["train", "final_report", "Run", "RunState", "TrainingError", "build",
           "build_label_graph", "load_datasets", "model_config", "predict_scores",
           "bucketed_order", "epoch_order", "length_sorted_loader", "learning_rate",
           "make_optimizer", "autocast", "fast_bf16"]

META_KEYS = ("name", "kind", "vocab", "label_names", "options", "feature_mean", "feature_std",
             "model_kwargs", "tokenizer", "source", "num_features", "index_base")


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. the loss became NaN); the last good checkpoint is kept."""


@dataclass
class RunState:
    """Where a run is; saved in every checkpoint (as a plain dict)."""

    epoch: int = 0  # epochs finished
    step: int = 0  # optimiser steps into the current epoch
    history: List[Dict[str, Any]] = field(default_factory=list)  # one summary per epoch
    best: Optional[Dict[str, Any]] = None  # {'epoch', 'value', 'threshold'}
    loss_sum: float = 0.0  # this epoch, so far
    seen: int = 0  # samples this epoch, so far


def train(cfg: Config, run_dir: Path, resume: bool = False, log=print) -> Dict[str, Any]:
    """Trains (or resumes) a run; returns the final report (also written to ``run_dir``)."""
    run_dir = Path(run_dir)
    check_run_dir(run_dir)
    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    device = pick_device(cfg.train.device)
    seed_everything(cfg.train.seed)
    ds, graph, model = build(cfg)  # before the run directory exists: bad data leaves none
    log(ds["train"].describe())
    log(format_stats(ds["train"].meta))
    with RunLock(run_dir):
        run = Run(cfg, run_dir, ds, graph, model.to(device), device, log)
        run.start(resume)
        while run.state.epoch < cfg.train.epochs:
            run.train_epoch()
            run.end_epoch()
            if run.patience_ran_out():
                break
        return final_report(cfg, run_dir, ds, device, log=log)


class Run:
    """The objects of one training run and the steps :func:`train` takes with them."""

    def __init__(self, cfg: Config, run_dir: Path, ds, graph, model, device, log):
        self.cfg, self.t, self.run_dir, self.log = cfg, cfg.train, run_dir, log
        self.ds, self.graph, self.model, self.device = ds, graph, model, device
        self.opt = make_optimizer(model, self.t, device)
        # EMA of the weights (train.ema_decay, not in LaMP): scored and saved as best.pt's model
        self.ema = WeightAverage(model, self.t.ema_decay) if self.t.ema_decay else None
        self.cfg_dict = to_dict(cfg)
        self.meta = {k: ds["train"].meta.get(k) for k in META_KEYS}
        self.last_path, self.best_path = run_dir / "last.pt", run_dir / "best.pt"
        self.state = RunState()
        self.resume_rng = None
        self.steps_per_epoch = math.ceil(len(ds["train"]) / self.t.batch_size)
        self.total_steps = self.t.epochs * self.steps_per_epoch
        self.lengths = ds["train"].input_sizes() if self.t.bucket_by_length else None
        self.last_ck_time = time.monotonic()

    def averaged(self):
        """The weight average in place of the live weights (no-op without EMA)."""
        return self.ema.swapped() if self.ema is not None else contextlib.nullcontext()

    # ------------------------------------------------------------------ start
    def start(self, resume: bool) -> None:
        """Continue from ``last.pt`` (``resume``), or start a run in an unused directory."""
        if resume and self.last_path.exists():
            self._resume(load_checkpoint(self.last_path))
        elif resume:
            self.log(f"--resume: no checkpoint at {self.last_path}, starting from scratch")
        elif self.last_path.exists():
            raise CheckpointError(f"{self.run_dir} already holds a run (last.pt): pass "
                                  "--resume to continue it, or choose another run_dir")
        dump_yaml(self.cfg_dict, self.run_dir / "config.yaml")
        rewrite_metrics(self.run_dir, self.state.history)
        (self.run_dir / "label_graph.txt").write_text(self.graph.summary() + "\n")
        n = sum(p.numel() for p in self.model.parameters())
        self.log(f"model: {n:,} parameters; {self.graph}")

    def _resume(self, ck: Dict[str, Any]) -> None:
        check_resumable(ck, self.cfg_dict, list(self.meta["source"]["files"].values()),
                        self.last_path)
        old_epochs = ck["config"]["train"]["epochs"]
        if old_epochs != self.t.epochs and self.t.lr_schedule != "constant":
            self.log(f"train.epochs changed from {old_epochs} to {self.t.epochs}: the "
                     f"{self.t.lr_schedule} schedule now ends at epoch {self.t.epochs}")
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["optimizer"])
        if self.ema is not None:
            self.ema.load_state_dict(ck["ema"])
        self.state = RunState(**ck["train_state"])
        self.resume_rng = (ck["rng"], ck.get("cuda_rng")) if self.state.step else None
        self.log(f"resumed from {self.last_path}: epoch {self.state.epoch + 1}, "
                 f"step {self.state.step}")

    def checkpoint(self, path: Path, extra: Optional[Dict[str, Any]] = None) -> None:
        ck = {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
              "model_config": asdict(self.model.config), "config": self.cfg_dict,
              "meta": self.meta, "label_graph": self.graph.state_dict(),
              "train_state": asdict(self.state), "rng": torch.get_rng_state(),
              "cuda_rng": (torch.cuda.get_rng_state_all() if self.device.type == "cuda"
                           else None)}
        if self.ema is not None:
            ck["ema"] = self.ema.state_dict()
        ck.update(extra or {})
        save_checkpoint(ck, path)

    # ------------------------------------------------------------------ train an epoch
    def _batches(self):
        """The rest of this epoch's batches; seeds (or, mid-epoch, restores) the dropout RNG."""
        t, s = self.t, self.state
        order = (bucketed_order(self.lengths, t.batch_size, t.seed, s.epoch)
                 if t.bucket_by_length else epoch_order(len(self.ds["train"]), t.seed, s.epoch))
        # creating the loader's iterator draws a seed from the global RNG: do it before
        # seeding / restoring the dropout RNG, so that a resumed epoch continues from
        # exactly the RNG state stored with the mid-epoch checkpoint
        batches = iter(DataLoader(self.ds["train"][order[s.step * t.batch_size:]],
                                  batch_size=t.batch_size))
        if s.step == 0:
            torch.manual_seed(epoch_seed(t.seed, s.epoch))  # dropout RNG of this epoch
            s.loss_sum, s.seen = 0.0, 0
        else:
            torch.set_rng_state(self.resume_rng[0])  # mid-epoch resume: exact RNG position
            if self.resume_rng[1] is not None and self.device.type == "cuda":
                torch.cuda.set_rng_state_all(self.resume_rng[1])
        return batches

    def train_epoch(self) -> None:
        t, s = self.t, self.state
        batches = self._batches()
        self.model.train()
        bar = _progress(t.progress, self.steps_per_epoch, s.step,
                        f"epoch {s.epoch + 1}/{t.epochs}")
        t0, seen0 = time.perf_counter(), s.seen
        for batch in batches:
            self._step(batch.to(self.device))
            sps = (s.seen - seen0) / max(time.perf_counter() - t0, 1e-9)
            bar.update(1)
            bar.set_postfix(loss=f"{s.loss_sum / s.seen:.4f}", samples_s=f"{sps:.0f}")
            if t.checkpoint_minutes and time.monotonic() - self.last_ck_time > 60 * t.checkpoint_minutes:
                self.checkpoint(self.last_path)
                self.last_ck_time = time.monotonic()
        bar.close()
        self.train_seconds = time.perf_counter() - t0

    def _step(self, batch) -> None:
        t, s = self.t, self.state
        with autocast(t.precision, self.device):
            out = self.model(batch)
        loss = self.model.loss(out, batch["label"].y)  # fp32
        if not torch.isfinite(loss):
            kept = (f"the last good checkpoint is {self.last_path}" if self.last_path.exists()
                    else "no checkpoint was written yet")
            raise TrainingError(f"loss is {loss.item()} at epoch {s.epoch + 1}, step "
                                f"{s.step + 1}: stopping; {kept} (try a lower train.lr)")
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if t.warmup(self.total_steps) or t.lr_schedule != "constant":
            lr = learning_rate(t, s.epoch * self.steps_per_epoch + s.step, self.total_steps)
            for group in self.opt.param_groups:
                group["lr"] = lr
        self.opt.step()
        if self.ema is not None:
            self.ema.update()
        s.loss_sum += loss.item() * batch.num_graphs
        s.seen += batch.num_graphs
        s.step += 1

    # ------------------------------------------------------------------ score, save
    def end_epoch(self) -> None:
        """Scores valid and test (the paper protocol needs both per epoch), logs the epoch,
        and writes best.pt (when validation improved) and last.pt."""
        t, s = self.t, self.state
        te = time.perf_counter()
        with self.averaged():  # the weight average when train.ema_decay is set
            Sv, Yv = predict_scores(self.model, self.ds["valid"], self.device, t.precision,
                                    t.eval_batch_size)
            tv = time.perf_counter()
            St, Yt = predict_scores(self.model, self.ds["test"], self.device, t.precision,
                                    t.eval_batch_size)
            test_time = time.perf_counter() - tv
        record = epoch_record(s.epoch + 1, Yv, Sv, Yt, St)
        thr, val, _ = tune_global(Yv, Sv, t.select_metric) if t.select_metric != "mAP" else (
            None, record["valid"]["mAP"], None)
        summary = {"epoch": s.epoch + 1, "train_loss": s.loss_sum / max(s.seen, 1),
                   f"valid_{t.select_metric}": val, "threshold": thr,
                   "train_seconds": round(self.train_seconds, 2),
                   "eval_seconds": round(time.perf_counter() - te, 2),
                   "test_seconds": round(test_time, 2),  # of eval_seconds: scoring test
                   "samples_per_second": round(s.seen / max(self.train_seconds, 1e-9), 1)}
        s.history.append({**summary, "record": record})
        self.log(f"epoch {s.epoch + 1}: train loss {summary['train_loss']:.4f}, valid "
                 f"{t.select_metric} {val:.4f} (t={thr}), {summary['train_seconds']:.1f}s "
                 f"train, {summary['eval_seconds']:.1f}s eval, "
                 f"{summary['samples_per_second']:.0f} samples/s")
        is_best = s.best is None or val > s.best["value"]
        if is_best:
            s.best = {"epoch": s.epoch + 1, "value": val, "threshold": thr}
        s.epoch, s.step = s.epoch + 1, 0
        if is_best:
            with self.averaged():  # best.pt's model = the weights that were scored
                self.checkpoint(self.best_path)
        self.checkpoint(self.last_path)
        append_metrics(self.run_dir, summary)
        self.last_ck_time = time.monotonic()

    def patience_ran_out(self) -> bool:
        t, s = self.t, self.state
        if t.patience and s.epoch - s.best["epoch"] >= t.patience:
            self.log(f"early stop: no better valid {t.select_metric} for {t.patience} epochs "
                     f"(best epoch {s.best['epoch']})")
            return True
        return False


def _json_default(o):
    """numpy arrays (per-label thresholds) and scalars in results.json."""
    return o.tolist() if isinstance(o, (np.ndarray, np.generic)) else float(o)


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
    # store the tuned thresholds with the checkpoint they belong to
    ck["thresholds"] = {m: r["threshold"] for m, r in headline.items()
                        if isinstance(r, dict) and r.get("threshold") is not None}
    if cfg.eval.at_least_one:
        ck["thresholds_at_least_one"] = {m: r["at_least_one"]["threshold"]
                                         for m, r in headline.items()
                                         if isinstance(r, dict) and "at_least_one" in r}
    save_checkpoint(ck, run_dir / "best.pt")
    report = {"dataset": ds["train"].name, "graph": cfg.graph.kind, "seed": t.seed,
              "best_epoch": ck["train_state"]["best"]["epoch"], "epochs": len(history),
              "select_metric": t.select_metric, "headline": headline, "paper_protocol": paper,
              "seconds_per_epoch": float(np.mean([h["train_seconds"] for h in history])),
              "samples_per_second": float(np.mean([h["samples_per_second"] for h in history])),
              "machine": machine_info(device)}
    text = (format_table(headline, title=f"Headline protocol: best epoch "
                         f"{report['best_epoch']} on valid {t.select_metric}, thresholds "
                         f"tuned on valid, applied to test")
            + "\n\n" + format_table(paper, title="Paper protocol (LaMP): best (epoch, "
                                    "threshold) per metric on valid, test reported there"))
    (run_dir / "results.json").write_text(json.dumps(report, indent=2, default=_json_default))
    (run_dir / "results.txt").write_text(text + "\n")
    log(text)
    if cfg.eval.plots:
        from lamp_pyg.training.plots import plot_run
        plot_run(history, Yv, Sv, run_dir)
    return report


def _progress(enabled: bool, total: int, initial: int, desc: str):
    if enabled:
        from tqdm.auto import tqdm
        # disable=None: a bar on a terminal, quiet in logs (epoch lines still print)
        return tqdm(total=total, initial=initial, desc=desc, leave=False, disable=None,
                    mininterval=0.5, dynamic_ncols=True, file=sys.stderr)

    class _Null:
        def update(self, n): pass
        def set_postfix(self, **kw): pass
        def close(self): pass
    return _Null()
