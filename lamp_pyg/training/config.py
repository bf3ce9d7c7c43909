"""The schema of ``configs/*.yaml`` (read by :func:`load_config`).

Every key below can be set in a YAML file or overridden on the command line with
``--set section.key=value``; unknown keys and wrong types are errors that name the
key (see :mod:`lamp_pyg.training.configuration`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Optional, Tuple

from lamp_pyg.data.prepare import PrepareOptions
from lamp_pyg.training.configuration import load_yaml

METRICS = ("ebF1", "miF1", "maF1", "ACC", "HA", "mAP")


@dataclass
class DataConfig:
    """Which dataset and how to prepare it (see :class:`~lamp_pyg.data.PrepareOptions`)."""

    name: str = "synthetic"
    path: Optional[str] = None  # raw files of this dataset
    root: Optional[str] = None  # folder holding mulan/, reuters21578/, sider/ (else $LAMP_PYG_DATA)
    cache: Optional[str] = None  # processed datasets; else $LAMP_PYG_CACHE, else ~/.cache/lamp-pyg
    max_len: Optional[int] = None
    bos_eos: bool = True
    min_count: int = 1
    dense_mode: Literal["linear", "nodes"] = "linear"
    window: int = 0
    valid_fraction: float = 0.1
    split_seed: int = 0
    test_fraction: float = 0.1
    split_file: Optional[str] = None

    def prepare_options(self) -> PrepareOptions:
        return PrepareOptions(max_len=self.max_len, bos_eos=self.bos_eos,
                              min_count=self.min_count, dense_mode=self.dense_mode,
                              window=self.window, valid_fraction=self.valid_fraction,
                              split_seed=self.split_seed, test_fraction=self.test_fraction,
                              split_file=self.split_file)

    def validate(self):
        self.prepare_options().validate()


@dataclass
class GraphConfig:
    """The label graph (label -> label edges), built from training labels only."""

    kind: Literal["prior", "full", "edgeless", "conditional", "knn", "given"] = "prior"
    min_count: int = 1  # prior: co-occurrences needed for an edge
    tau: float = 0.4  # conditional: P(j | i) threshold
    k: int = 16  # knn: neighbours per label
    edge_file: Optional[str] = None  # given: one "label_a label_b" pair per line

    def validate(self):
        if self.kind == "given" and not self.edge_file:
            raise ValueError("kind 'given' needs edge_file")


@dataclass
class ModelConfig:
    """LaMP hyper-parameters (input-side sizes come from the dataset)."""

    d_model: int = 512
    d_ff: int = 512
    heads: int = 4
    n_layers_enc: int = 2
    n_layers_dec: int = 2
    dropout: float = 0.1
    encoder_graph: Literal["none", "full", "stored"] = "none"
    int_preds: bool = False
    int_preds_weight: float = 0.2
    attention_path: Literal["auto", "edge", "dense", "fused"] = "auto"
    checkpoint_activations: bool = False  # recompute decoder blocks in backward: less memory


@dataclass
class TrainConfig:
    """Optimisation and bookkeeping."""

    epochs: int = 50
    batch_size: int = 32
    eval_batch_size: int = 128
    lr: float = 2e-4
    betas: Tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-8
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    num_threads: int = 0  # torch threads on CPU; 0 = torch's default
    select_metric: Literal["ebF1", "miF1", "maF1", "ACC", "HA", "mAP"] = "ebF1"
    precision: Literal["auto", "fp32", "bf16"] = "fp32"  # auto: bf16 where the hardware is fast at it
    checkpoint_minutes: float = 10.0  # also checkpoint mid-epoch this often (0 = only per epoch)
    bucket_by_length: bool = False  # batches of similar input length (less padding; not in LaMP)
    patience: int = 0  # stop after this many epochs without a better valid score (0 = never)
    warmup_steps: int = 0  # linear learning-rate warm-up over this many steps (not in LaMP)
    lr_schedule: Literal["constant", "cosine"] = "constant"  # after warm-up (LaMP: constant)
    ema_decay: float = 0.0  # score and save an EMA of the weights, e.g. 0.999 (0 = off; not in LaMP)
    progress: bool = True

    def validate(self):
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0, got {self.patience}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {self.warmup_steps}")


@dataclass
class EvalConfig:
    """Threshold tuning and outputs."""

    per_label_thresholds: bool = False  # also tune one threshold per label on validation
    at_least_one: bool = False  # also report "predict the top label when none clears the threshold"
    plots: bool = True


@dataclass
class Config:
    """A whole run."""

    data: DataConfig = field(default_factory=DataConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    run_dir: Optional[str] = None  # default: runs/<config name>-<graph>-seed<seed>


def load_config(path, overrides: Iterable[str] = ()) -> Config:
    """Reads and validates a YAML config plus ``key=value`` overrides."""
    return load_yaml(Config, Path(path), overrides)
