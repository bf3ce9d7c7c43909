"""Fixtures of the training tests: tiny data sets, a shared cache, tiny trained runs.

Session-scoped runs are read-only for the tests: a test that changes a run works on
a copy (:func:`copy_run`). Caches always live in pytest's temporary folders.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.training.helpers import config_dict, write_config, write_dense_data, write_text_data


@pytest.fixture(autouse=True)
def _one_thread_no_user_cache(monkeypatch):
    # $LAMP_PYG_CACHE would take precedence over data.cache: keep the user's cache out
    monkeypatch.delenv("LAMP_PYG_CACHE", raising=False)
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> Path:
    """One processed-data cache for the whole session (each data set is prepared once)."""
    return tmp_path_factory.mktemp("lamp-cache")


@pytest.fixture(scope="session")
def text_data(tmp_path_factory) -> Path:
    return write_text_data(tmp_path_factory.mktemp("data") / "tinysyn")


@pytest.fixture(scope="session")
def dense_data(tmp_path_factory):
    """``(folder, X_test, Y_test)`` of the tiny MULAN-format ``emotions``."""
    return write_dense_data(tmp_path_factory.mktemp("data") / "emotions")


@pytest.fixture(scope="session")
def text_cfg(text_data, cache):
    """``text_cfg(**sections) -> dict``: a tiny config on the synthetic text data
    (300 train rows -> 270 train / 30 valid, 100 test; 68 steps per epoch)."""
    def make(**sections):
        return config_dict({"name": "tinysyn", "format": "lamp_text", "path": str(text_data)},
                           cache, **sections)
    return make


@pytest.fixture(scope="session")
def dense_cfg(dense_data, cache):
    """``dense_cfg(**sections) -> dict``: a tiny config on the dense data
    (72 train / 8 valid / 30 test, 3 labels, features as nodes, 9 steps per epoch)."""
    def make(**sections):
        base = config_dict({"name": "emotions", "path": str(dense_data[0]),
                            "dense_mode": "nodes"}, cache, train={"batch_size": 8})
        for section, values in sections.items():
            base.setdefault(section, {}).update(values)
        return base
    return make


def _train_run(tmp_path_factory, cfg_dict, name):
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.loop import train

    folder = tmp_path_factory.mktemp(name)
    cfg_path = write_config(folder / f"{name}.yaml", cfg_dict)
    lines = []
    report = train(load_config(cfg_path), folder / "run", log=lambda *a: lines.append(" ".join(map(str, a))))
    return {"config": cfg_path, "run_dir": folder / "run", "report": report, "log": lines,
            "dict": cfg_dict}


@pytest.fixture(scope="session")
def text_run(tmp_path_factory, text_cfg):
    """A finished 2-epoch run on the text data (checkpoints only at epoch ends)."""
    return _train_run(tmp_path_factory, text_cfg(), "text")


@pytest.fixture(scope="session")
def dense_run(tmp_path_factory, dense_cfg):
    """A finished 2-epoch run on the dense data."""
    return _train_run(tmp_path_factory, dense_cfg(), "dense")
