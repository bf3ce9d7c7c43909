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
import dataclasses
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch_geometric.loader import DataLoader

from lamp_pyg.data.dataset import format_stats
from lamp_pyg.evaluation import (epoch_record, format_table, headline_report, paper_protocol,
                                 tuned_on_valid)
from lamp_pyg.evaluation.thresholds import tune_global
from lamp_pyg.training import distributed
from lamp_pyg.training.batches import (bucketed_order, epoch_batches, epoch_order,
                                       length_sorted_loader, predict_scores)
from lamp_pyg.training.distributed import World
from lamp_pyg.training.checkpoint import (CheckpointError, check_resumable, load_checkpoint,
                                          model_from_checkpoint, save_checkpoint)
from lamp_pyg.training.config import DENSE_GRAPH_EDGES, Config
from lamp_pyg.training.ema import WeightAverage
from lamp_pyg.training.run_dir import (RunLock, append_metrics, check_run_dir,
                                       rewrite_metrics)
from lamp_pyg.training.setup import (autocast, bf16_warning, build, build_label_graph,
                                     epoch_seed, fast_bf16, graph_hint, learning_rate, load_datasets,
                                     machine_info, make_optimizer, model_config, pick_device,
                                     seed_everything)
from lamp_pyg.typed_yaml import dump_yaml, to_dict

__all__ = ["train", "final_report", "Run", "RunState", "TrainingError"]

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


def train(cfg: Config, run_dir: Path, resume: bool = False, log=print,
          datasets: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Trains (or resumes) a run; returns the final report (also written to ``run_dir``).

    ``datasets``: the ``train`` / ``valid`` / ``test`` :class:`LaMPDataset` to use instead
    of the config's ``data`` section (e.g. :meth:`LaMPDataset.from_arrays`; the section's
    preparation options should be the ones they were built with).

    Under ``torchrun`` every process calls this; they train one model together
    (:mod:`~lamp_pyg.training.distributed`) and only rank 0 writes and logs."""
    run_dir = Path(run_dir)
    if cfg.train.ensemble != 1:
        raise ValueError(f"train.ensemble={cfg.train.ensemble!r}: train() trains one run; "
                         "ensembles: lamp_pyg.training.ensemble.train_ensemble (train.py)")
    check_run_dir(run_dir)
    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    world = distributed.init(cfg.train.device, cfg.train.dist_timeout_minutes)
    if cfg.train.batch_size % world.size:
        raise ValueError(f"train.batch_size ({cfg.train.batch_size}) is the global batch: it "
                         f"must be divisible by the number of processes ({world.size})")
    log = log if world.main else (lambda *a: None)
    device = distributed.device_for(world, pick_device(cfg.train.device))
    if cfg.train.precision == "bf16":  # a bounded probe (< 1 s): warns where bf16 is slow
        warning = bf16_warning(device)
        if warning:
            log(f"warning: {warning}")
    seed_everything(cfg.train.seed)
    if not world.main:
        distributed.barrier(world)  # rank 0 prepares (and caches) the data first
    ds, graph, model = build(cfg, datasets)  # before the run directory exists: bad data leaves none
    if world.main:
        distributed.barrier(world)
    if cfg.graph.kind == "auto":  # resolved by build_label_graph; config.yaml records it
        cfg = dataclasses.replace(cfg, graph=dataclasses.replace(cfg.graph, kind=graph.kind))
        log(f"graph.kind: auto -> {graph.kind} ({graph.num_labels:,} labels; knn when the "
            f"prior graph has more than {DENSE_GRAPH_EDGES:,} edges)")
    meta = ds["train"].meta
    if cfg.data.dense_mode == "auto" and meta["kind"] == "dense":  # resolved by prepare
        mode = meta["options"]["dense_mode"]
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, dense_mode=mode))
        log(f"data.dense_mode: auto -> {mode} ({meta.get('dense_mode_reason')})")
    if cfg.train.epochs == "auto":  # resolved once; config.yaml records the number
        n = len(ds["train"])
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(
            cfg.train, epochs=cfg.train.epochs_for(n)))
        log(f"train.epochs: auto -> {cfg.train.epochs} ({n:,} training samples)")
    log(ds["train"].describe())
    log(format_stats(ds["train"].meta))
    with RunLock(run_dir) if world.main else contextlib.nullcontext():
        run = Run(cfg, run_dir, ds, graph, model.to(device), device, log, world)
        run.start(resume)
        while run.state.epoch < cfg.train.epochs:
            run.train_epoch()
            run.end_epoch()
            if run.patience_ran_out():
                break
        distributed.barrier(world)  # best.pt and last.pt are written
        return final_report(cfg, run_dir, ds, device, log=log, world=world)


class Run:
    """The objects of one training run and the steps :func:`train` takes with them."""

    def __init__(self, cfg: Config, run_dir: Path, ds, graph, model, device, log,
                 world: World = World()):
        self.cfg, self.t, self.run_dir, self.log = cfg, cfg.train, run_dir, log
        self.ds, self.graph, self.model, self.device = ds, graph, model, device
        self.world = world
        # the module that trains: DDP averages the gradients of all processes
        self.net = (DistributedDataParallel(model, device_ids=[device.index]
                                            if device.type == "cuda" else None)
                    if world.active else model)
        if self.t.compile:  # train.compile: the forward pass of training steps only
            self.net = torch.compile(self.net, dynamic=True)
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
        if not self.world.main:
            return
        dump_yaml(self.cfg_dict, self.run_dir / "config.yaml")
        rewrite_metrics(self.run_dir, self.state.history)
        (self.run_dir / "label_graph.txt").write_text(self.graph.summary() + "\n")
        n = sum(p.numel() for p in self.model.parameters())
        self.log(f"model: {n:,} parameters; {self.graph}")
        hint = graph_hint(self.cfg, self.graph)
        if hint:
            self.log(hint)

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
        if self.state.step and ck.get("world_size", 1) != self.world.size:
            raise CheckpointError(
                f"cannot resume {self.last_path}: it stopped mid-epoch in a run of "
                f"{ck.get('world_size', 1)} processes, this one has {self.world.size} (its "
                "position in the epoch means other samples here); resume with as many")
        if self.state.step:  # mid-epoch: this process's exact RNG position
            self.resume_rng = (ck["rng_per_rank"][self.world.rank] if self.world.active
                               else (ck["rng"], ck.get("cuda_rng")))
        if self.state.step and not self.world.main:  # rank 0 carries the epoch's sums so far
            self.state.loss_sum, self.state.seen = 0.0, 0
        self.log(f"resumed from {self.last_path}: epoch {self.state.epoch + 1}, "
                 f"step {self.state.step}")

    def _rng(self):
        return (torch.get_rng_state(),
                torch.cuda.get_rng_state_all() if self.device.type == "cuda" else None)

    def checkpoint(self, path: Path, state: Optional[RunState] = None,
                   rng_per_rank: Optional[list] = None) -> None:
        """Writes a checkpoint (rank 0 only; the others return)."""
        if not self.world.main:
            return
        rng, cuda_rng = self._rng()
        ck = {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
              "model_config": asdict(self.model.config), "config": self.cfg_dict,
              "meta": self.meta, "label_graph": self.graph.state_dict(),
              "train_state": asdict(state or self.state), "rng": rng, "cuda_rng": cuda_rng,
              "world_size": self.world.size, "rng_per_rank": rng_per_rank}
        if self.ema is not None:
            ck["ema"] = self.ema.state_dict()
        save_checkpoint(ck, path)

    def mid_epoch_checkpoint(self) -> None:
        """last.pt inside an epoch: every rank's RNG state and the epoch's sums over ranks
        (a collective: all ranks call it at the same step)."""
        s = self.state
        rngs = distributed.gather(self._rng(), self.world) if self.world.active else None
        loss_sum, seen = distributed.sum_over_ranks([s.loss_sum, s.seen], self.world)
        self.checkpoint(self.last_path, dataclasses.replace(s, loss_sum=loss_sum, seen=int(seen)),
                        rngs)
        self.last_ck_time = time.monotonic()

    # ------------------------------------------------------------------ train an epoch
    def _batches(self):
        """The rest of this epoch's batches; seeds (or, mid-epoch, restores) the dropout RNG."""
        t, s = self.t, self.state
        order = (bucketed_order(self.lengths, t.batch_size, t.seed, s.epoch)
                 if t.bucket_by_length else epoch_order(len(self.ds["train"]), t.seed, s.epoch))
        plan = epoch_batches(order, t.batch_size, self.world)[s.step:]
        # creating the loader's iterator draws a seed from the global RNG: do it before
        # seeding / restoring the dropout RNG, so that a resumed epoch continues from
        # exactly the RNG state stored with the mid-epoch checkpoint
        loader = DataLoader(self.ds["train"], batch_sampler=[idx for idx, _ in plan],
                            pin_memory=self.device.type == "cuda")
        batches = zip(iter(loader), [w for _, w in plan])
        if s.step == 0:  # dropout RNG of this epoch (and of this process)
            torch.manual_seed(epoch_seed(t.seed, s.epoch) + 7919 * self.world.rank)
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
        for batch, weight in batches:
            checkpoint_due = self._step(batch.to(self.device, non_blocking=True), weight)
            sps = (s.seen - seen0) / max(time.perf_counter() - t0, 1e-9)
            bar.update(1)
            bar.set_postfix(loss=f"{s.loss_sum / max(s.seen, 1):.4f}", samples_s=f"{sps:.0f}")
            if checkpoint_due:
                self.mid_epoch_checkpoint()
        bar.close()
        self.train_seconds = time.perf_counter() - t0

    def _step(self, batch, weight: float = 1.0) -> bool:
        """One optimiser step on this process's share of a batch (``weight``: see
        :func:`~lamp_pyg.training.batches.epoch_batches`). Returns whether a mid-epoch
        checkpoint is due (rank 0's clock decides, every rank learns it)."""
        t, s = self.t, self.state
        with autocast(t.precision, self.device):
            out = self.net(batch)
        loss = self.model.loss(out, batch["label"].y)  # fp32
        due = (self.world.main and bool(t.checkpoint_minutes) and
               time.monotonic() - self.last_ck_time > 60 * t.checkpoint_minutes)
        bad, due = distributed.any_flags([not torch.isfinite(loss), due], self.world)
        if bad:
            kept = (f"the last good checkpoint is {self.last_path}" if self.last_path.exists()
                    else "no checkpoint was written yet")
            raise TrainingError(f"loss is {'not finite' if torch.isfinite(loss) else loss.item()}"
                                f"{' on another process' if torch.isfinite(loss) else ''} at "
                                f"epoch {s.epoch + 1}, step {s.step + 1}: stopping; {kept} "
                                "(try a lower train.lr)")
        self.opt.zero_grad(set_to_none=True)
        (loss if weight == 1.0 else loss * weight).backward()
        if t.warmup(self.total_steps) or t.lr_schedule != "constant":
            lr = learning_rate(t, s.epoch * self.steps_per_epoch + s.step, self.total_steps)
            for group in self.opt.param_groups:
                group["lr"] = lr
        self.opt.step()
        if self.ema is not None:
            self.ema.update()
        n = batch.num_graphs if weight else 0  # a weight-0 batch only keeps DDP in step
        s.loss_sum += loss.item() * n
        s.seen += n
        s.step += 1
        return due

    # ------------------------------------------------------------------ score, save
    def end_epoch(self) -> None:
        """Scores valid and test (the paper protocol needs both per epoch; test is skipped
        with ``eval.test_every_epoch: false``), logs the epoch, and writes best.pt (when
        validation improved) and last.pt."""
        t, s = self.t, self.state
        loss_sum, seen = distributed.sum_over_ranks([s.loss_sum, s.seen], self.world)
        s.loss_sum, s.seen = loss_sum, int(seen)
        te = time.perf_counter()
        with self.averaged():  # the weight average when train.ema_decay is set
            Sv, Yv = predict_scores(self.model, self.ds["valid"], self.device, t.precision,
                                    t.eval_batch_size, self.world)
            tv = time.perf_counter()
            St, Yt = (predict_scores(self.model, self.ds["test"], self.device, t.precision,
                                     t.eval_batch_size, self.world)
                      if self.cfg.eval.test_every_epoch else (None, None))
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
        if St is not None:  # the curve of bench/time_to_accuracy.py (ebF1, tuned on valid)
            summary["test_ebF1"] = tuned_on_valid(record, "ebF1")["test"]
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
        if self.world.main:
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


def final_report(cfg: Config, run_dir: Path, ds, device, log=print,
                 world: World = World()) -> Dict[str, Any]:
    """Headline protocol on the best checkpoint + paper protocol from the history (scored
    by every process, written by rank 0)."""
    ck = load_checkpoint(run_dir / "best.pt")
    model = model_from_checkpoint(ck).to(device)
    t = cfg.train
    Sv, Yv = predict_scores(model, ds["valid"], device, t.precision, t.eval_batch_size, world)
    St, Yt = predict_scores(model, ds["test"], device, t.precision, t.eval_batch_size, world)
    headline = headline_report(Yv, Sv, Yt, St, per_label=cfg.eval.per_label_thresholds,
                               at_least_one=cfg.eval.at_least_one)
    history = load_checkpoint(run_dir / "last.pt")["train_state"]["history"]
    records = [h["record"] for h in history]
    paper = (paper_protocol(records) if all(r["test"] is not None for r in records)
             else None)  # eval.test_every_epoch: false
    # store the tuned thresholds with the checkpoint they belong to
    ck["thresholds"] = {m: r["threshold"] for m, r in headline.items()
                        if isinstance(r, dict) and r.get("threshold") is not None}
    if cfg.eval.at_least_one:
        ck["thresholds_at_least_one"] = {m: r["at_least_one"]["threshold"]
                                         for m, r in headline.items()
                                         if isinstance(r, dict) and "at_least_one" in r}
        ck["rule_chosen"] = {m: r["chosen"]["rule"] for m, r in headline.items()
                             if isinstance(r, dict) and "chosen" in r}
    report = {"dataset": ds["train"].name, "graph": cfg.graph.kind, "seed": t.seed,
              "best_epoch": ck["train_state"]["best"]["epoch"], "epochs": len(history),
              "select_metric": t.select_metric, "headline": headline, "paper_protocol": paper,
              "seconds_per_epoch": float(np.mean([h["train_seconds"] for h in history])),
              "samples_per_second": float(np.mean([h["samples_per_second"] for h in history])),
              "machine": {**machine_info(device), "processes": world.size}}
    text = (format_table(headline, title=f"Headline protocol: best epoch "
                         f"{report['best_epoch']} on valid {t.select_metric}, thresholds "
                         f"tuned on valid, applied to test")
            + ("\n\n" + format_table(paper, title="Paper protocol (LaMP): best (epoch, "
                                      "threshold) per metric on valid, test reported there")
               if paper is not None else ""))
    if world.main:
        save_checkpoint(ck, run_dir / "best.pt")
        (run_dir / "results.json").write_text(json.dumps(report, indent=2, default=_json_default))
        (run_dir / "results.txt").write_text(text + "\n")
        log(text)
        if cfg.eval.plots:
            from lamp_pyg.training.plots import plot_run
            plot_run(history, Yv, Sv, run_dir)
    distributed.barrier(world)  # nobody leaves before rank 0 has written the results
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
