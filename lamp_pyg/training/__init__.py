"""Training: the run schema, setup, the training loop, ensembles and prediction.

The names a user needs: :func:`load_config` (a YAML file and ``key=value`` overrides into
a :class:`Config`), :func:`train` (one run, or :func:`train_ensemble`), the pieces a
run is built from (:func:`load_datasets`, :func:`build_label_graph`, :func:`build`,
:func:`predict_scores`), :class:`Predictor` (a trained run on new inputs) and
:class:`SparseDenseAdam` (the shortlist model's optimiser, for the lean API).
"""
from lamp_pyg.training.config import Config, load_config
from lamp_pyg.training.setup import (SparseDenseAdam, build, build_label_graph, load_datasets,
                                     model_config)
from lamp_pyg.training.batches import predict_scores
from lamp_pyg.training.loop import Run, RunState, TrainingError, final_report, train
from lamp_pyg.training.ensemble import train_ensemble
from lamp_pyg.training.predict import Predictor

__all__ = ["Config", "load_config", "train", "train_ensemble", "final_report", "Run",
           "RunState", "TrainingError", "load_datasets", "build_label_graph", "build",
           "model_config", "predict_scores", "Predictor", "SparseDenseAdam"]
