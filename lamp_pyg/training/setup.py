"""From a config to the objects of a run: datasets, label graph, model, optimiser, schedule.

Also the run's device, precision and seeds. The training loop (:mod:`.loop`) and
prediction use these; nothing here trains.
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import time
from dataclasses import asdict
from typing import Dict, List, Optional

import numpy as np
import torch

from lamp_pyg.data.dataset import LaMPDataset
from lamp_pyg.graphs import LabelGraph
from lamp_pyg.models import LaMPConfig, build_model
from lamp_pyg.models.shortlist import ShortlistLaMP
from lamp_pyg.training.config import DENSE_GRAPH_EDGES, Config, DataConfig, TrainConfig

ENV_CACHE = "LAMP_PYG_CACHE"
DEFAULT_CACHE = "~/.cache/lamp-pyg"


# ---------------------------------------------------------------------- hardware, seeds
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


def matmul_gflops(dtype: torch.dtype, device: torch.device = torch.device("cpu"),
                  size: int = 256, reps: int = 8, max_seconds: float = 0.5) -> float:
    """GFLOP/s of a ``size x size`` matmul in ``dtype`` at the current thread count: one
    warm-up product, then up to ``reps`` timed products, stopping once ``max_seconds`` have
    passed (the time is bounded by about ``max_seconds`` plus two products; a 256 x 256
    bf16 product takes ~40 ms on a CPU without bf16 instructions, a 2048 x 2048 one ~15 s)."""
    a = torch.randn(size, size, device=device).to(dtype)
    b = torch.randn(size, size, device=device).to(dtype)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    a @ b
    sync()
    t0, n = time.perf_counter(), 0
    while n < reps and (n == 0 or time.perf_counter() - t0 < max_seconds):
        a @ b
        sync()
        n += 1
    return 2 * size ** 3 * n / max(time.perf_counter() - t0, 1e-9) / 1e9


def bf16_warning(device: torch.device, rates=None) -> Optional[str]:
    """The warning for ``train.precision: bf16`` where bf16 matmuls are slow, or None.

    Slow means: no fast-bf16 hardware (:func:`fast_bf16`) and a small bf16 matmul
    (:func:`matmul_gflops`, 256 x 256, under a second) measured slower than fp32.
    ``rates``: ``{'float32': GFLOP/s, 'bfloat16': GFLOP/s}`` already measured (benchmarks)."""
    if fast_bf16(device):
        return None
    if rates is None:
        try:
            rates = {str(dt).replace("torch.", ""): matmul_gflops(dt, device)
                     for dt in (torch.float32, torch.bfloat16)}
        except RuntimeError as e:  # a device without bf16 kernels at all
            return f"train.precision=bf16: bf16 matmuls fail on {device} ({e}); use fp32"
    fp32, bf16 = rates["float32"], rates["bfloat16"]
    if bf16 >= fp32:
        return None
    where = (f"GPU {torch.cuda.get_device_name(device)} (no native bf16)" if device.type == "cuda"
             else f"CPU without AMX / AVX512-BF16 (capability {cpu_capability()})")
    return (f"train.precision=bf16 on a {where}: a bf16 matmul runs at {bf16:.1f} GFLOP/s "
            f"against {fp32:.1f} in fp32 here ({fp32 / max(bf16, 1e-9):.0f}x slower): training "
            "will be several times slower than in fp32 (less than that ratio: not all of a step "
            "is matmuls); train.precision=fp32, or auto (which picks fp32 here), avoids it")


def cpu_capability() -> str:
    """torch's CPU kernel level ('AVX2', 'AVX512', ...), or '?' where torch does not say."""
    try:
        return torch.backends.cpu.get_cpu_capability()
    except (AttributeError, RuntimeError):
        return "?"


def autocast(precision: str, device: torch.device):
    """Context for forward passes: bf16 autocast (fp32 master weights; softmax statistics
    and the loss stay fp32) for ``bf16``, or ``auto`` on hardware where it is fast."""
    if precision == "bf16" or (precision == "auto" and fast_bf16(device)):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def machine_info(device: torch.device) -> Dict[str, object]:
    """What a run's seconds depend on, for its results.json: CPU model and bf16 support,
    cores, torch threads, torch and PyG versions, the device."""
    import platform

    import torch_geometric
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "fast_bf16": fast_bf16(device),
            "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__, "device": str(device),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None}


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of epoch ``epoch``'s shuffling order and dropout masks: each epoch's
    randomness depends only on ``(seed, epoch)``, which is what makes resume exact."""
    return seed * 100003 + epoch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


# ---------------------------------------------------------------------- data, graph, model
def cache_dir(data: DataConfig) -> str:
    """The processed-dataset cache of a ``data`` section: ``data.cache``, else
    ``$LAMP_PYG_CACHE``, else ``~/.cache/lamp-pyg``."""
    return os.path.expanduser(data.cache or os.environ.get(ENV_CACHE) or DEFAULT_CACHE)


def load_datasets(cfg: Config) -> Dict[str, LaMPDataset]:
    d = cfg.data
    return {s: LaMPDataset(cache_dir(d), d.name, s, path=d.path, data_root=d.root,
                           options=d.prepare_options, source=d.source)
            for s in ("train", "valid", "test")}


def build_label_graph(cfg: Config, train: LaMPDataset) -> LabelGraph:
    """The label graph of ``cfg.graph`` from the training labels; ``kind: auto`` builds the
    prior graph and keeps it unless :meth:`GraphConfig.kind_for` asks for knn (the returned
    graph's ``kind`` says which)."""
    g = cfg.graph
    if g.kind == "given":
        path = os.path.expanduser(g.edge_file)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"graph.edge_file: {path} does not exist (expected a file "
                                    "of label pairs 'a b', one per line)")
        return LabelGraph.from_edge_list(path, train.label_names, Y=train.train_labels)
    params = {"prior": {"min_count": g.min_count}, "conditional": {"tau": g.tau},
              "knn": {"k": g.k}}

    def of_kind(kind: str) -> LabelGraph:
        return LabelGraph.from_labels(train.train_labels, kind, label_names=train.label_names,
                                      num_labels=train.num_labels, **params.get(kind, {}))

    if g.kind != "auto":
        return of_kind(g.kind)
    prior = of_kind("prior")
    kind = g.kind_for(prior.num_edges)
    return prior if kind == "prior" else of_kind(kind)


def graph_hint(cfg: Config, graph: LabelGraph) -> Optional[str]:
    """A line suggesting ``graph.kind: knn`` when the label graph is large and dense."""
    if graph.num_edges <= DENSE_GRAPH_EDGES or graph.kind == "knn":
        return None
    return (f"note: the {graph.kind} label graph has {graph.num_edges:,} edges "
            f"({graph.num_edges / graph.num_labels:.0f} per label); every sample attends over "
            f"all of them. --set graph.kind=knn (graph.k={cfg.graph.k} neighbours per label) "
            "trained delicious (983 labels) about 5x faster per step (README, Which config)")


def model_config(cfg: Config, train: LaMPDataset) -> LaMPConfig:
    """The model's options from the config, its input sizes from the data."""
    return LaMPConfig(**asdict(cfg.model), **train.model_kwargs())


def build(cfg: Config, datasets: Optional[Dict[str, LaMPDataset]] = None):
    """Datasets (``datasets`` if given, else the config's), label graph and model."""
    ds = datasets if datasets is not None else load_datasets(cfg)
    graph = build_label_graph(cfg, ds["train"])
    model = build_model(model_config(cfg, ds["train"]), graph.edge_index)
    return ds, graph, model


# ---------------------------------------------------------------------- optimisation
def adam_settings(t: TrainConfig) -> Dict[str, object]:
    """``torch.optim.Adam``'s keyword arguments from a ``train`` section (the schema's
    defaults: the paper's lr 2e-4, betas (0.9, 0.98), eps 1e-8)."""
    return dict(lr=t.lr, betas=tuple(t.betas), eps=t.eps, weight_decay=t.weight_decay)


def _adam(params, **kw) -> torch.optim.Adam:
    """``torch.optim.Adam``, fused (single kernel) where this torch has it for the device."""
    try:
        return torch.optim.Adam(params, fused=True, **kw)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, **kw)


class SparseDenseAdam:
    """``torch.optim.SparseAdam`` for a shortlist model's per-label and per-feature rows
    (:meth:`~lamp_pyg.models.shortlist.ShortlistLaMP.sparse_parameters`, switched to sparse
    gradients here), ``torch.optim.Adam`` for the rest: a step's update of those rows
    costs the rows it touched, not :math:`L`. Untouched rows keep their value and moments
    (SparseAdam's lazy update, unlike dense Adam's decaying moments).

    The optimiser interface the training loop uses: ``param_groups`` (both optimisers'
    groups, so the LR schedule drives both), ``zero_grad``, ``step``, ``state_dict``,
    ``load_state_dict``."""

    def __init__(self, model: torch.nn.Module, lr: float, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        if weight_decay:
            raise ValueError(f"train.weight_decay={weight_decay}: the shortlist model's "
                             "SparseAdam rows have no weight decay; set train.weight_decay: 0")
        sparse = model.sparse_parameters()
        ids = {id(p) for p in sparse}
        model.sparse_grad = True
        self.dense = _adam([p for p in model.parameters() if id(p) not in ids],
                           lr=lr, betas=betas, eps=eps)
        self.sparse = torch.optim.SparseAdam(sparse, lr=lr, betas=betas, eps=eps)

    @property
    def param_groups(self) -> List[dict]:
        return self.dense.param_groups + self.sparse.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.dense.zero_grad(set_to_none=set_to_none)
        self.sparse.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.dense.step()
        self.sparse.step()

    def state_dict(self) -> Dict[str, object]:
        return {"dense": self.dense.state_dict(), "sparse": self.sparse.state_dict()}

    def load_state_dict(self, state: Dict[str, object]) -> None:
        if set(state) != {"dense", "sparse"}:
            raise ValueError("the checkpoint's optimizer state is not a shortlist model's "
                             f"(keys {sorted(state)}, expected 'dense' and 'sparse')")
        self.dense.load_state_dict(state["dense"])
        self.sparse.load_state_dict(state["sparse"])


def make_optimizer(model: torch.nn.Module, t: TrainConfig, device: torch.device):
    """Adam with the config's settings (fused where available); for a shortlist model
    (``model.shortlist > 0``) a :class:`SparseDenseAdam` with the same settings."""
    kw = adam_settings(t)
    if isinstance(model, ShortlistLaMP):
        return SparseDenseAdam(model, **kw)
    return _adam(model.parameters(), **kw)


def learning_rate(t: TrainConfig, step: int, total_steps: int) -> float:
    """The learning rate for optimiser step ``step`` (0-based, counted over all epochs):
    ``t.lr`` scaled by a linear warm-up (``warmup_steps``, or ``warmup_fraction`` of
    ``total_steps``), then constant (LaMP's schedule) or a cosine decay to 0 at
    ``total_steps``."""
    warmup = t.warmup(total_steps)
    warm = min(1.0, (step + 1) / warmup) if warmup else 1.0
    if t.lr_schedule == "cosine":
        span = max(total_steps - warmup, 1)
        progress = min(max(step - warmup, 0) / span, 1.0)
        return t.lr * warm * 0.5 * (1.0 + math.cos(math.pi * progress))
    return t.lr * warm
