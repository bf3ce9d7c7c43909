"""The shipped configs (configs/*.yaml): each loads, says how to run it, and builds its model.

Without the benchmark data the model is built with plausible input sizes of the data
set the config is named after; with the data (``data_root``) the small dense data
sets are prepared for real and the model comes from the training loop's ``build``.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from torch_geometric.loader import DataLoader

from lamp_pyg.io.sources import DATASETS
from lamp_pyg.data.sample import make_sample
from lamp_pyg.models import LaMP, LaMPConfig
from lamp_pyg.training.config import load_config
from lamp_pyg.typed_yaml import ConfigError

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
NAMES = [p.stem for p in CONFIGS]

# plausible input sizes of each benchmark (labels; feature count or vocabulary)
PLAUSIBLE = {
    "bibtex": {"num_labels": 159, "kind": "sparse", "features": 1836},
    "delicious": {"num_labels": 983, "kind": "sparse", "features": 500},
    "reuters": {"num_labels": 90, "kind": "text", "features": 20000},
    "sider": {"num_labels": 27, "kind": "molecule", "features": 40},
    "emotions": {"num_labels": 6, "kind": "dense", "features": 72},
    "yeast": {"num_labels": 14, "kind": "dense", "features": 103},
    "scene": {"num_labels": 6, "kind": "dense", "features": 294},
}
SMALL_REAL = ("emotions", "yeast", "scene")
SPECIALS = 4  # PAD, UNK, BOS, EOS


def test_there_are_configs():
    assert len(CONFIGS) >= 7, NAMES
    assert set(PLAUSIBLE) <= set(NAMES)


def test_configs_named_in_the_docs_exist():
    import re
    docs = [REPO / "README.md", REPO / "train.py", REPO / "ARCHITECTURE.md"]
    named = {m for p in docs if p.exists()
             for m in re.findall(r"configs/([\w.-]+\.yaml)", p.read_text())}
    missing = sorted(n for n in named if not (REPO / "configs" / n).exists())
    assert not missing, f"documented but not shipped: {missing}"


@pytest.mark.parametrize("path", CONFIGS, ids=NAMES)
def test_config_loads_and_starts_with_its_command(path):
    first = path.read_text().splitlines()[0]
    assert first == f"# python train.py --config configs/{path.name}"
    cfg = load_config(path)
    text = path.read_text()
    if cfg.data.format is not None:  # your own files: the config names each of them
        for f in (cfg.data.train, cfg.data.test):
            assert f and Path(f).name in text
        return
    assert cfg.data.name in DATASETS
    if path.stem in DATASETS:  # a config named after a data set is for that data set
        assert cfg.data.name == path.stem
    location = DATASETS[cfg.data.name].location
    if location:  # the comments say where the raw files go
        assert location in text


@pytest.mark.parametrize("path", CONFIGS, ids=NAMES)
@pytest.mark.parametrize("kind", ["prior", "full", "edgeless"])
def test_documented_graph_switch_works(path, kind):
    assert load_config(path, [f"graph.kind={kind}"]).graph.kind == kind


@pytest.mark.parametrize("path", CONFIGS, ids=NAMES)
def test_misspelt_key_in_a_copy_of_the_config_is_caught(path, tmp_path):
    bad = tmp_path / path.name
    text = path.read_text()
    typo = "  d_modle: 64\n"  # under model:, which every config may set
    bad.write_text(text.replace("\nmodel:\n", "\nmodel:\n" + typo) if "\nmodel:\n" in text
                   else text + "model:\n" + typo)
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert e.value.key == "model.d_modle" and "did you mean 'd_model'" in str(e.value)


def plausible_model(cfg, name):
    """LaMPConfig + a 2-sample batch shaped like the data set ``name``, without its files."""
    size = PLAUSIBLE.get(name)
    if size is None:  # a config for a data set this test does not know yet
        size = {"num_labels": 5, "kind": "sparse", "features": 6}
    L, kind, F = size["num_labels"], size["kind"], size["features"]
    data_kw = {"num_labels": L}
    S = 12  # tokens per sample
    if kind == "dense" and cfg.data.dense_mode == "linear":
        data_kw["input_dim"] = F
        samples = [make_sample([0], L, vec=torch.randn(F)) for _ in range(2)]
    elif kind == "dense":
        data_kw.update(vocab_size=F + SPECIALS, feature_values=True)
        ids = torch.arange(F) + SPECIALS
        samples = [make_sample([0], L, tokens=ids, values=torch.randn(F)) for _ in range(2)]
    else:
        data_kw["vocab_size"] = F + (SPECIALS if kind != "text" else 0)
        if kind == "text":
            data_kw.update(positional=True, max_positions=(cfg.data.max_len or 500) + 2)
        ids = torch.randint(SPECIALS, data_kw["vocab_size"], (S,))
        edges = None
        if kind == "molecule" or cfg.model.encoder_graph == "stored":
            chain = torch.stack([torch.arange(S - 1), torch.arange(1, S)])
            edges = torch.cat([chain, chain.flip(0)], 1)
        samples = [make_sample([0, L - 1], L, tokens=ids, positions=kind == "text",
                               token_edge_index=edges) for _ in range(2)]
    return LaMPConfig(**data_kw, **asdict(cfg.model)), next(iter(DataLoader(samples, batch_size=2)))


@pytest.mark.parametrize("path", CONFIGS, ids=NAMES)
def test_config_builds_its_model_without_the_data(path):
    torch.manual_seed(0)
    cfg = load_config(path)
    # the minimal check: the model section is a valid LaMP
    LaMPConfig(num_labels=5, vocab_size=10, **asdict(cfg.model)).validate()
    # and with plausible sizes of the data set, on an edgeless label graph
    lamp_cfg, batch = plausible_model(cfg, cfg.data.name)
    L = lamp_cfg.num_labels
    model = LaMP(lamp_cfg, torch.arange(L).repeat(2, 1))
    assert model.config.d_model == cfg.model.d_model
    assert len(model.decoder) == cfg.model.n_layers_dec
    model.eval()
    with torch.no_grad():
        out = model(batch)
    assert out.logits.shape == (2, L) and torch.isfinite(out.logits).all()
    assert torch.isfinite(model.loss(out, batch["label"].y))


@pytest.mark.parametrize("name", SMALL_REAL)
def test_config_builds_its_model_on_the_real_data(name, data_root, tmp_path, monkeypatch):
    from lamp_pyg.training import build

    if not (data_root / DATASETS[name].location).exists():
        pytest.skip(f"{name} not in {data_root}")
    monkeypatch.delenv("LAMP_PYG_CACHE", raising=False)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = load_config(REPO / "configs" / f"{name}.yaml",
                      [f"data.root={data_root}", f"data.cache={tmp_path / 'cache'}"])
    ds, graph, model = build(cfg)
    assert model.config.num_labels == ds["train"].num_labels == PLAUSIBLE[name]["num_labels"]
    assert {k: getattr(model.config, k) for k in asdict(cfg.model)} == asdict(cfg.model)
    assert model.config.feature_values == (cfg.data.dense_mode == "nodes")
    assert graph.num_nodes == model.config.num_labels
    assert min(len(ds[s]) for s in ("train", "valid", "test")) > 0
    batch = next(iter(DataLoader(ds["train"][:4], batch_size=4)))
    model.eval()
    with torch.no_grad():
        out = model(batch)
    assert out.logits.shape == (4, model.config.num_labels)
    assert torch.isfinite(model.loss(out, batch["label"].y))


def _schema_defaults():
    import dataclasses
    from lamp_pyg.training.config import Config
    out = {}
    for sec in dataclasses.fields(Config):
        if sec.default_factory is dataclasses.MISSING:
            continue
        out[sec.name] = {f.name: f.default for f in dataclasses.fields(sec.default_factory())
                         if f.default is not dataclasses.MISSING}
    return out


@pytest.mark.parametrize("path", CONFIGS, ids=NAMES)
def test_config_sets_a_default_only_with_a_reason(path):
    """A key equal to the schema's default is set only with a comment saying why (on its
    line or the line above): each setting is defined once, in the schema."""
    import re
    from lamp_pyg.typed_yaml import yaml_load
    defaults, section, restated = _schema_defaults(), None, []
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[a-z_]+:", line):
            section = line.split(":")[0]
        m = re.match(r"^  ([a-z_]+):\s*([^#]*?)\s*(#.*)?$", line)
        if not m or m.group(3) or lines[i - 1].lstrip().startswith("#"):
            continue
        key, value = m.group(1), yaml_load(m.group(2))
        default = defaults.get(section, {}).get(key, object())
        if (list(value) if isinstance(value, (list, tuple)) else value) == (
                list(default) if isinstance(default, tuple) else default):
            restated.append(f"{section}.{key}: {m.group(2)}")
    assert not restated, f"{path.name} restates schema defaults without a comment: {restated}"
