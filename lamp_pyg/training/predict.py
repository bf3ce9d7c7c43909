"""Predict label names for new raw inputs with a trained checkpoint.

    pred = Predictor.from_checkpoint("runs/default-prior-seed0/best.pt")
    pred.predict(["w12 w40 w7"])   # -> [[('y3', 0.97), ('y11', 0.81)], ...]

Inputs are parsed as the dataset's format reads them (:func:`lamp_pyg.io.sources.parse_input`:
the same tokeniser for texts) and encoded by the same code as the training data
(:func:`lamp_pyg.data.prepare.encode_input`) with the stored vocabulary, feature
standardisation and options. Labels are those whose probability clears the threshold
tuned on validation (stored in the checkpoint). Runs trained with
``eval.at_least_one: true`` also chose on validation whether an input with no label
above the threshold gets its most likely label; that choice is used unless
``at_least_one`` forces it.

An input that is empty, or of which no token / feature is known from training (for
example numbers given to a text model), is refused with a message naming it:
the model would only return its prior. So is an input that does not have the dataset's
form (a ``ValueError``: e.g. the wrong number of values for a dense model, also when
given already parsed). ``inputs`` is a list: a single string is a ``TypeError``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.data.prepare import UNK, Encoded, PrepareOptions, encode_input
from lamp_pyg.data.sample import make_sample
from lamp_pyg.evaluation.metrics import binarize
from lamp_pyg.io.sources import parse_input
from lamp_pyg.models import LaMP, sinusoid_table
from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint


def _decoding(tuned: dict, metric: str, at_least_one: Optional[bool], where) -> Tuple[float, bool]:
    """``(threshold, at_least_one)`` for ``metric`` from what a run stored (a checkpoint or
    ``ensemble.json``). mAP and P@k are threshold-free: they use ebF1's, then 0.5."""
    if at_least_one is None:
        rules = tuned.get("rule_chosen", {})
        at_least_one = rules.get(metric, rules.get("ebF1")) == "at_least_one"
    key = "thresholds_at_least_one" if at_least_one else "thresholds"
    if at_least_one and key not in tuned:
        raise ValueError(f"{where}: no thresholds tuned for at_least_one; train with "
                         "--set eval.at_least_one=true")
    thresholds = tuned.get(key, {})
    return thresholds.get(metric, thresholds.get("ebF1", 0.5)), at_least_one


class Predictor:
    """Label predictions of one trained model, or the mean probability of several (a seed
    ensemble: :meth:`from_ensemble`)."""

    def __init__(self, model: Union[LaMP, Sequence[LaMP]], meta: dict,
                 threshold: Union[float, np.ndarray], at_least_one: bool = False):
        self.models = [m.eval() for m in (model if isinstance(model, (list, tuple)) else [model])]
        self.model = self.models[0]
        self.meta = meta
        self.kind = meta["kind"]
        self.opts = PrepareOptions(**meta["options"])
        self.tok2id = {t: i for i, t in enumerate(meta["vocab"])}
        self.label_names = meta["label_names"]
        self.threshold = threshold
        self.at_least_one = at_least_one
        self.mean = None if meta["feature_mean"] is None else np.asarray(meta["feature_mean"])
        self.std = None if meta["feature_std"] is None else np.asarray(meta["feature_std"])

    @classmethod
    def from_checkpoint(cls, path, metric: Optional[str] = None,
                        at_least_one: Optional[bool] = None,
                        trusted: bool = False) -> "Predictor":
        """Loads ``best.pt``; uses the threshold tuned on validation for ``metric``
        (default: the run's selection metric; 0.5 if the run never finished).

        ``at_least_one``: None (default) decodes with the rule chosen on validation (the
        "at least one label" rule if the run was trained with ``eval.at_least_one: true``
        and it scored higher there, else the plain threshold); True or False forces it
        (True needs a run trained with ``eval.at_least_one: true``).

        ``trusted``: a checkpoint holding anything but plain data (tensors, numbers,
        strings, lists, dicts) is refused unless True (see
        :func:`~lamp_pyg.training.checkpoint.load_checkpoint`).
        """
        ck = load_checkpoint(path, trusted=trusted)
        model = model_from_checkpoint(ck, path)
        metric = metric or ck["config"]["train"]["select_metric"]
        thr, one = _decoding(ck, metric, at_least_one, path)
        return cls(model, ck["meta"], thr, one)

    @classmethod
    def from_ensemble(cls, run_dir, metric: Optional[str] = None,
                      at_least_one: Optional[bool] = None,
                      trusted: bool = False) -> "Predictor":
        """An ensemble trained with ``train.ensemble: N``: its members' best checkpoints,
        averaged, with the thresholds (and rule, as in :meth:`from_checkpoint`) tuned on
        validation for the ensemble."""
        from pathlib import Path
        run_dir = Path(run_dir)
        info = _ensemble_info(run_dir / "ensemble.json")
        cks = [load_checkpoint(run_dir / m / "best.pt", trusted=trusted)
               for m in info["members"]]
        metric = metric or info["select_metric"]
        thr, one = _decoding(info, metric, at_least_one, run_dir)
        return cls([model_from_checkpoint(ck, run_dir / m / "best.pt")
                    for ck, m in zip(cks, info["members"])], cks[0]["meta"], thr, one)

    @classmethod
    def load(cls, path, at_least_one: Optional[bool] = None,
             trusted: bool = False) -> "Predictor":
        """A checkpoint file, or a run directory: an ensemble's (``ensemble.json``) or a
        single run's (its ``best.pt``)."""
        from pathlib import Path
        path = Path(path)
        if path.is_dir() and (path / "ensemble.json").is_file():
            return cls.from_ensemble(path, at_least_one=at_least_one, trusted=trusted)
        if path.is_dir() and not (path / "best.pt").is_file():
            seeds = sorted(p.name for p in path.glob("seed*/best.pt"))
            raise FileNotFoundError(
                f"{path} holds no best.pt and no ensemble.json"
                + (f" (an unfinished ensemble? members so far: {', '.join(seeds)})" if seeds
                   else " (an unfinished run?)"))
        return cls.from_checkpoint(path / "best.pt" if path.is_dir() else path,
                                   at_least_one=at_least_one, trusted=trusted)

    def parse(self, text: str):
        """A raw input line -> the reader's input form for this dataset."""
        return parse_input(self.kind, text, self.meta.get("tokenizer"),
                           self.meta.get("num_features"), self.meta.get("index_base", 0))

    def encode(self, x, where: str = "input", strict: bool = True) -> Tuple[Encoded, int, int]:
        """One input (a raw line or an already-parsed input) -> ``(encoded, known, total)``:
        how many of its tokens / features the training data knew. Refuses an empty input
        and one with nothing known, naming it (``where``), unless not ``strict`` (then
        such an input gets the model's answer to nothing known, as in training)."""
        try:
            parsed = self.parse(x) if isinstance(x, str) else _check_parsed(
                self.kind, x, self.meta.get("num_features") or
                (None if self.mean is None else len(self.mean)))
        except ValueError as e:
            raise ValueError(f"{where} ({_show(x)}): {e}") from None
        e = encode_input(self.kind, parsed, self.tok2id, self.opts, self.mean, self.std)
        if self.kind == "dense":  # every feature is given (parse checked the count)
            return e, len(self.mean), len(self.mean)
        real = e.ids[1:-1] if self.opts.bos_eos and self.kind != "molecule" else e.ids
        known, total = int((real != UNK).sum()), len(real)
        if not strict:
            return e, known, total
        if total == 0:
            raise ValueError(f"{where} ({_show(x)}) is empty: expected "
                             f"{'some text' if self.kind == 'text' else 'some features'}")
        if known == 0:
            raise ValueError(f"{where} ({_show(x)}): none of its {total} "
                             f"{'tokens' if self.kind == 'text' else 'features'} is known from "
                             f"training; is it the right kind of input for this {self.kind} model?")
        return e, known, total

    def known(self, inputs: Sequence) -> List[Tuple[int, int]]:
        """Per input: ``(known, total)`` tokens / features."""
        _check_list(inputs)
        return [self.encode(x, f"input {i + 1}")[1:] for i, x in enumerate(inputs)]

    @torch.no_grad()
    def predict_proba(self, inputs: Sequence, strict: bool = True) -> np.ndarray:
        """``[N, L]`` probabilities for raw input lines (or already-parsed inputs);
        ``strict``: as for :meth:`encode`."""
        _check_list(inputs)
        L = len(self.label_names)
        samples, longest = [], 0
        for i, x in enumerate(inputs):
            e = self.encode(x, f"input {i + 1}", strict)[0]
            longest = max(longest, len(e.ids))
            if e.vec is not None:
                samples.append(make_sample([], L, vec=torch.from_numpy(e.vec)))
            else:
                samples.append(make_sample(
                    [], L, tokens=torch.from_numpy(e.ids),
                    values=None if e.values is None else torch.from_numpy(e.values),
                    positions=self.model.config.positional,
                    token_edge_index=None if e.edges is None else torch.from_numpy(e.edges)))
        self._fit_positions(longest)
        out = [torch.stack([torch.sigmoid(m(b).logits) for m in self.models]).mean(0)
               for b in DataLoader(samples, batch_size=64)]
        return torch.cat(out).numpy() if out else np.zeros((0, L), np.float32)

    def _fit_positions(self, length: int) -> None:
        """An input longer than every sample of the data (no ``data.max_len``): extend the
        frozen sinusoidal position table. It is no trained parameter, so this gives exactly
        the encodings of a model built with a larger ``max_positions``."""
        for model in self.models:
            c = model.config
            if c.positional and length > c.max_positions:
                c.max_positions = length
                model.position_table = sinusoid_table(length, c.d_model).to(model.readout.device)

    def predict(self, inputs: Sequence) -> List[List[Tuple[str, float]]]:
        """Per input: ``(label name, probability)`` above the threshold, most likely first
        (with ``at_least_one``, the most likely label when none is above it)."""
        P = self.predict_proba(inputs)
        keep = binarize(P, self.threshold, self.at_least_one) if len(P) else P.astype(bool)
        return [[(self.label_names[j], float(P[i, j])) for j in np.argsort(-P[i]) if keep[i, j]]
                for i in range(len(P))]


def _check_list(inputs) -> None:
    if isinstance(inputs, (str, bytes)):
        raise TypeError(f"inputs must be a list of inputs, got one {type(inputs).__name__} "
                        f"({_show(inputs)}): pass [input]")


def _check_parsed(kind: str, x, num_features: Optional[int]):
    """An already-parsed input (not a raw line), checked to have the reader's form."""
    if kind == "text":
        if isinstance(x, (list, tuple)) and all(isinstance(t, str) for t in x):
            return x
        raise ValueError("expected a line of text or a list of token strings")
    if kind == "dense":
        try:
            a = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            a = None
        if a is None or a.shape != (num_features,) or not np.isfinite(a).all():
            raise ValueError(f"expected a line of {num_features} numbers or a sequence of "
                             f"{num_features} finite numbers")
        return a
    return x


def _show(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _ensemble_info(path) -> dict:
    """``ensemble.json``, checked: members are folder names inside the run directory."""
    import json
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: cannot be read as JSON ({e})") from None
    members = info.get("members") if isinstance(info, dict) else None
    if (not isinstance(members, list) or not members
            or not all(isinstance(m, str) and m and "/" not in m and "\\" not in m
                       and m not in (".", "..") for m in members)):
        raise ValueError(f"{path}: 'members' must be a non-empty list of the member "
                         f"folders' names (e.g. seed0), got {str(members)[:100]}")
    return info
