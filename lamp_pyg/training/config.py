"""The schema of ``configs/*.yaml`` (read by :func:`load_config`).

Each section reuses the definition of the room it configures, so every setting, its
default and its domain are written once:

- ``data``: :class:`~lamp_pyg.io.sources.SourceSpec` (which files, which format) and
  :class:`~lamp_pyg.data.prepare.PrepareOptions` (how they become samples), plus the
  dataset's name and where the data and cache live;
- ``graph``: the label graph's kind and its parameters;
- ``model``: :class:`~lamp_pyg.models.lamp.LaMPOptions`;
- ``train`` and ``eval``: defined here.

Every key can be set in a YAML file or with ``--set section.key=value``; unknown keys,
wrong types and out-of-domain values are errors that name the key, raised when the
config is loaded, before any work starts (the engine is :mod:`lamp_pyg.typed_yaml`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Optional, Tuple, Union

from lamp_pyg.data.prepare import PrepareOptions
from lamp_pyg.graphs import GRAPH_KINDS
from lamp_pyg.io.sources import DATASETS, FILE_KEYS, SourceSpec, unknown_dataset
from lamp_pyg.models.lamp import LaMPOptions
from lamp_pyg.typed_yaml import check_domains, load_yaml, setting

METRICS = ("ebF1", "miF1", "maF1", "ACC", "HA", "mAP")
SMALL_DATA = 2000  # training samples: below, ``auto`` trains longer and averages seeds
# Label-graph edges: above, ``graph.kind: auto`` reads the knn graph instead of the prior one
# (delicious' prior graph: 314,167 edges, 3.7 s per step against 0.72 s with knn; corel5k's
# 8,275 and bibtex's 6,657 stay prior)
DENSE_GRAPH_EDGES = 50_000


def project(cls, obj):
    """The ``cls`` dataclass made of the fields of ``obj`` it shares (e.g. the
    :class:`PrepareOptions` part of a :class:`DataConfig`)."""
    return cls(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(cls) if f.init})


@dataclass(frozen=True)
class DataConfig(SourceSpec, PrepareOptions):
    """Which dataset, where its files are, and how to prepare it.

    Besides the fields of :class:`SourceSpec` and :class:`PrepareOptions`:

    Attributes:
        name: a registered dataset (``bibtex``, ``reuters``, ``synthetic``, ...; see
            ``datasets/prepare.py --list``), or with ``format`` a name for your own files
            (default: the train file's name).
        root: folder holding the registered datasets' layout (else ``$LAMP_PYG_DATA``);
            with ``format``, the folder relative paths start from (else the current one).
        cache: processed datasets; else ``$LAMP_PYG_CACHE``, else ``~/.cache/lamp-pyg``.
    """

    name: Optional[str] = None
    root: Optional[str] = None
    cache: Optional[str] = None

    def __post_init__(self):
        check_domains(self)

    def validate(self):
        PrepareOptions.validate(self)
        if self.format is not None:
            SourceSpec.validate(self)
            return
        if self.name is None:
            raise ValueError("set data.name (a registered dataset) or data.format with "
                             "data.train and data.test (your own files)")
        if self.name not in DATASETS:
            raise unknown_dataset(self.name)
        given = [k for k in FILE_KEYS[1:] if getattr(self, k) is not None]
        if given:
            raise ValueError(f"data.{given[0]} names your own files: set data.format too "
                             f"(or leave it out to use the registered {self.name!r})")

    @property
    def source(self) -> SourceSpec:
        return project(SourceSpec, self)

    @property
    def prepare_options(self) -> PrepareOptions:
        return project(PrepareOptions, self)


@dataclass
class GraphConfig:
    """The label graph (label -> label edges), built from training labels only."""

    kind: str = setting("prior", choices=GRAPH_KINDS + ("auto",))  # auto: kind_for
    min_count: int = setting(1, ge=1)  # prior: co-occurrences needed for an edge
    tau: float = setting(0.4, ge=0.0, le=1.0)  # conditional: P(j | i) threshold
    k: int = setting(16, ge=1)  # knn: neighbours per label
    edge_file: Optional[str] = None  # given: one "label_a label_b" pair per line

    def validate(self):
        if self.kind == "given" and not self.edge_file:
            raise ValueError("kind 'given' needs edge_file")

    def kind_for(self, prior_edges: int) -> str:
        """``kind``, with ``auto`` resolved by the size of the prior graph: ``prior`` up to
        ``DENSE_GRAPH_EDGES`` edges, else ``knn`` (each label reads its ``k`` most
        co-occurring labels), whose per-sample attention grows as labels x k, not labels^2."""
        if self.kind != "auto":
            return self.kind
        return "prior" if prior_edges <= DENSE_GRAPH_EDGES else "knn"


@dataclass
class TrainConfig:
    """Optimisation and bookkeeping."""

    epochs: Union[int, Literal["auto"]] = setting(50, ge=1)  # auto: by data size (epochs_for)
    batch_size: int = setting(32, ge=1)
    eval_batch_size: int = setting(128, ge=1)
    lr: float = setting(2e-4, gt=0.0)
    betas: Tuple[float, float] = setting((0.9, 0.98), ge=0.0, lt=1.0)
    eps: float = setting(1e-8, gt=0.0)
    weight_decay: float = setting(0.0, ge=0.0)
    seed: int = setting(0, ge=0)
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    num_threads: int = setting(0, ge=0)  # torch threads on CPU; 0 = torch's default
    select_metric: str = setting("ebF1", choices=METRICS)
    precision: str = setting("fp32", choices=("auto", "fp32", "bf16"))  # auto: bf16 where fast
    compile: bool = False  # torch.compile the training forward pass (minutes of compiling first)
    checkpoint_minutes: float = setting(10.0, ge=0.0)  # also mid-epoch this often (0: per epoch)
    bucket_by_length: bool = False  # batches of similar input length (less padding; not in LaMP)
    patience: int = setting(0, ge=0)  # stop after this many epochs without a better valid score
    warmup_steps: int = setting(0, ge=0)  # linear learning-rate warm-up, in optimiser steps
    warmup_fraction: float = setting(0.0, ge=0.0, lt=1.0)  # ... or as a share of all steps
    lr_schedule: str = setting("constant", choices=("constant", "cosine"))  # after warm-up
    ema_decay: float = setting(0.0, ge=0.0, lt=1.0)  # score and save an EMA of the weights
    ensemble: Union[int, Literal["auto"]] = setting(1, ge=1)  # seeds averaged; auto: ensemble_for
    dist_timeout_minutes: float = setting(10.0, gt=0.0)  # torchrun: a stuck collective fails
    progress: bool = True

    def validate(self):
        if self.warmup_steps and self.warmup_fraction:
            raise ValueError("set warmup_steps or warmup_fraction, not both")
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")

    def epochs_for(self, num_train: int) -> int:
        """``epochs``, with ``auto`` resolved by the number of training samples: 40 below
        ``SMALL_DATA``, else 20 (the recipe's rule; ``RESULTS.md``, "One recipe")."""
        if self.epochs != "auto":
            return self.epochs
        return 40 if num_train < SMALL_DATA else 20

    def ensemble_for(self, num_train: int) -> int:
        """``ensemble``, with ``auto`` resolved by the number of training samples: 3 seeds
        below ``SMALL_DATA`` (cheap there, and a validation split of a few dozen samples
        makes single runs vary), else 1."""
        if self.ensemble != "auto":
            return self.ensemble
        return 3 if num_train < SMALL_DATA else 1

    def warmup(self, total_steps: int) -> int:
        """Warm-up length in optimiser steps for a run of ``total_steps``."""
        return self.warmup_steps or int(round(self.warmup_fraction * total_steps))


@dataclass
class EvalConfig:
    """Threshold tuning and outputs."""

    per_label_thresholds: bool = False  # also tune one threshold per label on validation
    at_least_one: bool = False  # also tune "the top label when none clears the threshold"; valid picks the rule
    plots: bool = True
    test_every_epoch: bool = True  # the paper protocol and test curves; false: test scored once, at the end


@dataclass
class Config:
    """A whole run."""

    data: DataConfig = field(default_factory=DataConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    model: LaMPOptions = field(default_factory=LaMPOptions)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    run_dir: Optional[str] = None  # default: runs/<config name>-<graph>-seed<seed>


def load_config(path, overrides: Iterable[str] = ()) -> Config:
    """Reads and validates a YAML config plus ``key=value`` overrides."""
    return load_yaml(Config, Path(path), overrides)
