"""Evaluation: multi-label metrics, threshold tuning, and the headline and paper protocols.

Pure numpy (accepts numpy arrays or torch tensors); imports nothing else from lamp_pyg.
Conventions (exclusions, nan results, tie rules) are documented in
:mod:`lamp_pyg.evaluation.metrics` and :mod:`lamp_pyg.evaluation.thresholds`.
"""
from .metrics import (
    DEFAULT_KS,
    THRESHOLD_METRICS,
    average_precision_per_label,
    binarize,
    compute_metrics,
    example_f1,
    hamming_accuracy,
    macro_f1,
    mean_average_precision,
    micro_f1,
    precision_at_k,
    ranking_metrics,
    subset_accuracy,
    threshold_metrics,
    to_numpy,
)
from .protocols import epoch_record, format_table, headline_report, paper_protocol, tuned_on_valid
from .thresholds import PAPER_GRID, as_grid, best_index, metric_vs_threshold, tune_global, tune_per_label

__all__ = [
    "DEFAULT_KS",
    "PAPER_GRID",
    "THRESHOLD_METRICS",
    "as_grid",
    "average_precision_per_label",
    "best_index",
    "binarize",
    "compute_metrics",
    "epoch_record",
    "example_f1",
    "format_table",
    "hamming_accuracy",
    "headline_report",
    "macro_f1",
    "mean_average_precision",
    "metric_vs_threshold",
    "micro_f1",
    "paper_protocol",
    "precision_at_k",
    "ranking_metrics",
    "subset_accuracy",
    "threshold_metrics",
    "to_numpy",
    "tune_global",
    "tune_per_label",
    "tuned_on_valid",
]
