"""lamp-pyg's run schema (lamp_pyg.training.config): defaults, what every section accepts,
error messages, and the contracts with the dataset and model it is turned into.
(The generic YAML/override machinery has its own tests in test_configuration.py.)"""
from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import asdict

import pytest

from lamp_pyg.data.dataset import REGISTRY
from lamp_pyg.data.prepare import PrepareOptions
from lamp_pyg.evaluation import THRESHOLD_METRICS
from lamp_pyg.models import LaMP, LaMPConfig
from lamp_pyg.training.config import (METRICS, Config, DataConfig, ModelConfig,
                                      TrainConfig, load_config)
from lamp_pyg.training.configuration import ConfigError, dump_yaml, from_dict, to_dict


def write(tmp_path, text, name="run.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


# --------------------------------------------------------------------------- defaults

def test_empty_file_gives_the_defaults(tmp_path):
    cfg = load_config(write(tmp_path, ""))
    assert cfg == Config()
    assert cfg.data.name == "synthetic" and cfg.data.name in REGISTRY
    assert REGISTRY["synthetic"][0] is None  # the default data set needs no files
    assert cfg.run_dir is None


def test_default_model_section_is_the_papers_lamp():
    m = ModelConfig()
    assert (m.d_model, m.d_ff, m.heads, m.n_layers_enc, m.n_layers_dec) == (512, 512, 4, 2, 2)
    t = TrainConfig()
    assert (t.batch_size, t.lr, tuple(t.betas), t.eps) == (32, 2e-4, (0.9, 0.98), 1e-8)


def test_model_section_maps_onto_lamp_config():
    """loop.model_config does LaMPConfig(**dataset.model_kwargs(), **asdict(cfg.model)):
    every model key must be a LaMPConfig field, none may collide with the data's keys."""
    lamp_fields = {f.name for f in dataclasses.fields(LaMPConfig)}
    model_keys = set(asdict(ModelConfig()))
    data_keys = {"num_labels", "vocab_size", "input_dim", "positional", "feature_values",
                 "max_positions"}
    assert model_keys <= lamp_fields
    assert not model_keys & data_keys
    assert model_keys | data_keys == lamp_fields
    # ... and the defaults agree, so a YAML without a model section builds the paper's model
    defaults = LaMPConfig(num_labels=1, vocab_size=5)
    assert {k: getattr(defaults, k) for k in model_keys} == asdict(ModelConfig())


def test_data_section_maps_onto_prepare_options():
    opts_fields = {f.name for f in dataclasses.fields(PrepareOptions)}
    data_fields = {f.name for f in dataclasses.fields(DataConfig)}
    assert data_fields - opts_fields == {"name", "path", "root", "cache"}
    assert opts_fields <= data_fields
    d = DataConfig(max_len=7, min_count=2, dense_mode="nodes", window=3, valid_fraction=0.2,
                   split_seed=4, test_fraction=0.3, split_file="s.json", bos_eos=False)
    assert asdict(d.prepare_options()) == {k: getattr(d, k) for k in opts_fields}


def test_selectable_metrics_are_the_reported_ones():
    assert set(METRICS) == set(THRESHOLD_METRICS) | {"mAP"}


def test_round_trip_through_yaml(tmp_path):
    cfg = load_config(write(tmp_path, """
        data: {name: emotions, dense_mode: nodes, max_len: 20}
        graph: {kind: knn, k: 3}
        model: {d_model: 64, heads: 8, attention_path: dense}
        train: {lr: 1e-3, betas: [0.8, 0.9], select_metric: miF1}
        eval: {per_label_thresholds: true}
        run_dir: runs/x
    """))
    dump_yaml(cfg, tmp_path / "again.yaml")
    assert load_config(tmp_path / "again.yaml") == cfg
    assert from_dict(Config, to_dict(cfg)) == cfg


# --------------------------------------------------------------------------- values

def test_yaml_pitfalls_and_types(tmp_path):
    cfg = load_config(write(tmp_path, """
        train: {lr: 1e-4, eps: 1.0e-8, betas: [0.9, 0.999], epochs: 3}
        model: {dropout: 0}
    """))
    assert cfg.train.lr == 1e-4 and isinstance(cfg.train.lr, float)  # not the string '1e-4'
    assert cfg.train.betas == (0.9, 0.999) and isinstance(cfg.train.betas, tuple)
    assert cfg.model.dropout == 0.0 and isinstance(cfg.model.dropout, float)


def test_overrides_are_typed_like_the_file(tmp_path):
    cfg = load_config(write(tmp_path, "train: {epochs: 3}\n"),
                      ["train.epochs=5", "train.lr=3e-4", "graph.kind=full", "data.max_len=null",
                       "train.betas=[0.5, 0.6]", "eval.plots=false", "run_dir=elsewhere"])
    assert cfg.train.epochs == 5 and cfg.train.lr == 3e-4 and cfg.graph.kind == "full"
    assert cfg.data.max_len is None and cfg.train.betas == (0.5, 0.6)
    assert cfg.eval.plots is False and cfg.run_dir == "elsewhere"


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("text, key, suggestion", [
    ("model: {d_modle: 3}", "model.d_modle", "d_model"),
    ("train: {epoch: 3}", "train.epoch", "epochs"),
    ("data: {nmae: yeast}", "data.nmae", "name"),
    ("graph: {knid: full}", "graph.knid", "kind"),
    ("eval: {plot: false}", "eval.plot", "plots"),
    ("modle: {d_model: 3}", "modle", "model"),
    ("train: {checkpoint_minute: 5}", "train.checkpoint_minute", "checkpoint_minutes"),
])
def test_unknown_key_suggests_the_closest(tmp_path, text, key, suggestion):
    path = write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert e.value.key == key
    msg = str(e.value)
    assert msg.startswith(str(path)) and repr(key) in msg and f"did you mean {suggestion!r}" in msg


def test_unknown_key_in_an_override_says_it_came_from_the_override(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, ""), ["model.d_modle=3"])
    assert e.value.key == "model.d_modle"
    assert "d_model" in str(e.value) and "model.d_modle=3" in str(e.value)


@pytest.mark.parametrize("text, key, words", [
    ("model: {d_model: big}", "model.d_model", ["int"]),
    ("model: {d_model: 3.0}", "model.d_model", ["int"]),
    ("train: {epochs: true}", "train.epochs", ["int"]),
    ("train: {betas: [0.9, 0.98, 0.999]}", "train.betas", []),
    ("graph: {kind: priors}", "graph.kind", ["'prior'", "'full'", "'edgeless'"]),
    ("train: {select_metric: F1}", "train.select_metric", ["'ebF1'", "'mAP'"]),
    ("data: {dense_mode: node}", "data.dense_mode", ["'nodes'"]),
    ("model: {encoder_graph: self}", "model.encoder_graph", ["'full'", "'stored'"]),
    ("model: {attention_path: sparse}", "model.attention_path", ["'edge'"]),
    ("data: [1, 2]", "data", []),
])
def test_wrong_values_name_the_key(tmp_path, text, key, words):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, text + "\n"))
    assert e.value.key == key, str(e.value)
    for w in words:
        assert w in str(e.value)


@pytest.mark.parametrize("text, section, words", [
    ("train: {epochs: 0}", "train", ["epochs"]),
    ("train: {batch_size: 0}", "train", ["batch_size"]),
    ("train: {lr: 0}", "train", ["lr"]),
    ("graph: {kind: given}", "graph", ["edge_file"]),
    ("data: {valid_fraction: 1.5}", "data", ["valid_fraction"]),
    ("data: {max_len: 0}", "data", ["max_len"]),
])
def test_checks_across_fields_name_the_section(tmp_path, text, section, words):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, text + "\n"))
    msg = str(e.value)
    assert section in msg
    for w in words:
        assert w in msg


def test_repeated_key_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="duplicate key"):
        load_config(write(tmp_path, "train:\n  epochs: 3\n  epochs: 4\n"))


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="line 2"):
        load_config(write(tmp_path, "train:\n  epochs: [3\n"))


def test_a_valid_config_builds_a_valid_model(tmp_path):
    cfg = load_config(write(tmp_path, "model: {d_model: 16, d_ff: 8, heads: 2}\n"))
    import torch
    LaMP(LaMPConfig(num_labels=3, vocab_size=10, **asdict(cfg.model)),
         torch.arange(3).repeat(2, 1))
