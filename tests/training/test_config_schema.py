"""lamp-pyg's run schema (lamp_pyg.training.config): defaults, what every section accepts,
error messages, and the contracts with the dataset and model it is turned into.
(The generic YAML/override machinery has its own tests in test_configuration.py.)"""
from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import asdict

import pytest

from lamp_pyg.data.prepare import PrepareOptions
from lamp_pyg.evaluation import THRESHOLD_METRICS
from lamp_pyg.io.sources import DATASETS, SourceSpec
from lamp_pyg.models import LaMP, LaMPConfig
from lamp_pyg.models.lamp import LaMPOptions
from lamp_pyg.training.config import (METRICS, Config, DataConfig, TrainConfig, load_config,
                                      project)
from lamp_pyg.typed_yaml import ConfigError, domain_of, dump_yaml, from_dict, to_dict


def write(tmp_path, text, name="run.yaml"):
    """A config file; one without a data section trains the built-in synthetic data."""
    text = textwrap.dedent(text)
    if "data" not in text and text.strip():
        text = "data: {name: synthetic}\n" + text
    p = tmp_path / name
    p.write_text(text)
    return p


# --------------------------------------------------------------------------- defaults

def test_a_config_must_name_its_data(tmp_path):
    with pytest.raises(ConfigError, match="set data.name .* or data.format"):
        load_config(write(tmp_path, ""))
    cfg = load_config(write(tmp_path, "data: {name: synthetic}\n"))
    assert cfg == Config(data=DataConfig(name="synthetic"))
    assert DATASETS["synthetic"].location is None  # the default data set needs no files
    assert cfg.run_dir is None


def test_default_model_section_is_the_papers_lamp():
    m = LaMPOptions()
    assert (m.d_model, m.d_ff, m.heads, m.n_layers_enc, m.n_layers_dec) == (512, 512, 4, 2, 2)
    t = TrainConfig()
    assert (t.batch_size, t.lr, tuple(t.betas), t.eps) == (32, 2e-4, (0.9, 0.98), 1e-8)


def test_each_setting_is_defined_once():
    """The model section is the model's own options class, the data section is the
    source spec plus the prepare options: no field is spelled twice."""
    assert Config.__dataclass_fields__["model"].type in ("LaMPOptions", LaMPOptions)
    assert issubclass(LaMPConfig, LaMPOptions) and issubclass(DataConfig, SourceSpec)
    assert issubclass(DataConfig, PrepareOptions)
    own = {f.name for f in dataclasses.fields(DataConfig)} - {
        f.name for f in dataclasses.fields(SourceSpec)} - {
        f.name for f in dataclasses.fields(PrepareOptions)}
    assert own == {"name", "root", "cache"}
    d = DataConfig(name="x", max_len=7, min_count=2, dense_mode="nodes", window=3,
                   valid_fraction=0.2, split_seed=4, test_fraction=0.3, split_file="s.json",
                   bos_eos=False, drop_unlabeled=True)
    assert asdict(d.prepare_options) == {f.name: getattr(d, f.name)
                                         for f in dataclasses.fields(PrepareOptions)}
    assert project(SourceSpec, d) == SourceSpec()


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
        load_config(write(tmp_path, "data: {name: synthetic}\n"), ["model.d_modle=3"])
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
    ("train: {warmup_steps: 5, warmup_fraction: 0.1}", "train", ["warmup"]),
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
    with pytest.raises(ConfigError, match="line 3"):  # line 1 is the data section write() adds
        load_config(write(tmp_path, "train:\n  epochs: [3\n"))


def test_a_valid_config_builds_a_valid_model(tmp_path):
    import torch
    from torch_geometric.loader import DataLoader

    from lamp_pyg.data import make_sample
    cfg = load_config(write(tmp_path, "data: {name: synthetic}\n"
                                      "model: {d_model: 16, d_ff: 8, heads: 2}\n"))
    model = LaMP(LaMPConfig(num_labels=3, vocab_size=10, **asdict(cfg.model)),
                 torch.arange(3).repeat(2, 1))
    assert model.config.d_model == 16 and model.config.heads == 2 and len(model.decoder) == 2
    batch = next(iter(DataLoader([make_sample([0], 3, tokens=torch.tensor([2, 5, 3]))] * 2,
                                 batch_size=2)))
    assert model(batch).logits.shape == (2, 3)


# --------------------------------------------------------------------------- domains
def _sections():
    c = Config(data=DataConfig(name="synthetic"))
    return {f.name: getattr(c, f.name) for f in dataclasses.fields(Config)
            if dataclasses.is_dataclass(getattr(c, f.name))}


def _outside(domain):
    """Values outside a declared domain: a wrong choice, or just past each bound."""
    if "choices" in domain:
        return ["not-a-choice"]
    out = []
    for k, b in domain.items():
        step = 1 if isinstance(b, int) and not isinstance(b, bool) else 1e-9
        out.append({"ge": b - step, "gt": b, "le": b + step, "lt": b}[k])
    return out


def _every_bounded_key():
    for section, obj in _sections().items():
        for f in dataclasses.fields(obj):
            dom = domain_of(f)
            for bad in _outside(dom) if dom else []:
                if isinstance(getattr(obj, f.name), tuple):
                    bad = [bad] * len(getattr(obj, f.name))
                yield f"{section}.{f.name}", bad


def test_every_numeric_and_choice_key_has_a_domain():
    """A number or a choice without a domain would accept anything: each such key says
    what it accepts (bools, paths and free strings are exempt)."""
    free = {"data.path", "data.train", "data.valid", "data.test", "data.labels",
            "data.text_field", "data.label_field", "data.label_columns", "data.id_field",
            "data.columns",
            "data.delimiter", "data.label_sep", "data.encoding", "data.split_file",
            "data.name", "data.root", "data.cache", "graph.edge_file", "train.device"}
    for section, obj in _sections().items():
        for f in dataclasses.fields(obj):
            key, value = f"{section}.{f.name}", getattr(obj, f.name)
            if isinstance(value, bool) or "bool" in str(f.type) or key in free:
                continue
            assert domain_of(f), f"{key} has no declared domain"


@pytest.mark.parametrize("key, bad", list(_every_bounded_key()))
def test_out_of_domain_values_are_refused_naming_the_key(tmp_path, key, bad):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "data: {name: synthetic}\n"), [f"{key}={bad!r}"
                                                                   if isinstance(bad, str)
                                                                   else f"{key}={bad}"])
    assert e.value.key == key and repr(key) in str(e.value), str(e.value)


def test_domains_hold_for_objects_built_in_python():
    with pytest.raises(ValueError, match="n_layers_dec"):
        LaMPOptions(n_layers_dec=0)
    with pytest.raises(ValueError, match="max_len"):
        PrepareOptions(max_len=0)
    with pytest.raises(ValueError, match="format"):
        SourceSpec(format="csv")

