import filecmp
import time

import pytest
from torch_geometric.loader import DataLoader

from lamp_pyg.data import dataset as dsmod
from lamp_pyg.data.dataset import LaMPDataset, resolve_source
from lamp_pyg.data.prepare import PrepareOptions

from .test_prepare import toy_raw


@pytest.fixture
def toy_registry(monkeypatch):
    monkeypatch.setitem(dsmod.REGISTRY, "toy", (None, lambda path: toy_raw()))


def test_toy_dataset_samples_and_meta(tmp_path, toy_registry):
    train = LaMPDataset(str(tmp_path), "toy", "train")
    test = LaMPDataset(str(tmp_path), "toy", "test")
    assert len(train) == 4 and len(test) == 2
    assert train.num_labels == 3 and train.label_names == ["l0", "l1", "l3"]
    assert train.train_labels == [[0], [0, 1], [1, 2], [0]]
    b = next(iter(DataLoader(test, batch_size=2)))
    assert b["label"].y.shape == (2, 3)
    assert b["token"].x.tolist() == [2, 1, 4, 3, 2, 3]  # BOS UNK a EOS | BOS EOS
    assert b["token"].pos.tolist() == [1, 2, 3, 4, 1, 2]
    kw = train.model_kwargs()
    assert kw["vocab_size"] == len(train.vocab) and kw["positional"] is True
    assert train.meta["skipped"]["train samples with empty input (dropped, LaMP rule)"] == 1


def test_cache_is_byte_identical_and_keyed_by_options(tmp_path, toy_registry):
    a = LaMPDataset(str(tmp_path / "a"), "toy", "train")
    b = LaMPDataset(str(tmp_path / "b"), "toy", "train")
    for f in ("train.pt", "valid.pt", "test.pt", "meta.json"):
        assert filecmp.cmp(f"{a.processed_dir}/{f}", f"{b.processed_dir}/{f}", shallow=False), f
    c = LaMPDataset(str(tmp_path / "a"), "toy", "train", options=PrepareOptions(max_len=1))
    assert c.processed_dir != a.processed_dir


def test_reload_uses_cache(tmp_path, toy_registry, monkeypatch):
    LaMPDataset(str(tmp_path), "toy", "train")
    monkeypatch.setitem(dsmod.REGISTRY, "toy", (None, lambda path: pytest.fail("reprocessed")))
    assert len(LaMPDataset(str(tmp_path), "toy", "valid")) == 1


def test_single_file_source(tmp_path, monkeypatch):
    # a dataset read from one file (SIDER's CSV): PyG must not try to create a folder there
    monkeypatch.setitem(dsmod.REGISTRY, "toy", ("toy/toy.csv", lambda path: toy_raw()))
    f = tmp_path / "toy.csv"
    f.write_text("unused by the toy reader\n")
    train = LaMPDataset(str(tmp_path / "cache"), "toy", "train", path=str(f))
    assert len(train) == 4 and train.raw_dir == str(tmp_path) and f.is_file()


def test_resolve_source_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("LAMP_PYG_DATA", raising=False)
    with pytest.raises(ValueError, match="did you mean 'bibtex'"):
        resolve_source("bibtx")
    with pytest.raises(FileNotFoundError, match="set data.path"):
        resolve_source("bibtex")
    with pytest.raises(FileNotFoundError, match=r"folder that contains sider/sider\.csv$"):
        resolve_source("sider")  # a file, not a folder: no trailing slash
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_source("bibtex", data_root=str(tmp_path))
    monkeypatch.setenv("LAMP_PYG_DATA", str(tmp_path))
    (tmp_path / "mulan" / "bibtex").mkdir(parents=True)
    assert resolve_source("bibtex") == tmp_path / "mulan" / "bibtex"
    assert resolve_source("synthetic") is None


def test_bibtex_prepared(tmp_path, data_root):
    t0 = time.perf_counter()
    train = LaMPDataset(str(tmp_path), "bibtex", "train", data_root=str(data_root))
    valid = LaMPDataset(str(tmp_path), "bibtex", "valid", data_root=str(data_root))
    test = LaMPDataset(str(tmp_path), "bibtex", "test", data_root=str(data_root))
    assert len(train) + len(valid) == 4880 and len(test) == 2515
    assert train.num_labels == 159
    assert train.meta["skipped"] == {}
    # every label keeps at least one training example (protected split)
    assert {l for ls in train.train_labels for l in ls} == set(range(159))
    t1 = time.perf_counter()
    LaMPDataset(str(tmp_path), "bibtex", "train", data_root=str(data_root))
    print(f"prepare {t1 - t0:.1f}s, reload {time.perf_counter() - t1:.2f}s")


def test_reuters_prepared_keeps_all_topics(tmp_path, data_root):
    train = LaMPDataset(str(tmp_path), "reuters", "train", data_root=str(data_root),
                        options=PrepareOptions(max_len=300))
    test = LaMPDataset(str(tmp_path), "reuters", "test", data_root=str(data_root),
                       options=PrepareOptions(max_len=300))
    assert train.num_labels == 90 and len(test) == 3019
    assert {l for ls in train.train_labels for l in ls} == set(range(90))
    assert train.meta["stats"]["train"]["max_tokens"] <= 302  # 300 + BOS + EOS
    assert train.model_kwargs()["max_positions"] <= 302


def test_sider_prepared(tmp_path, data_root):
    pytest.importorskip("rdkit", reason="RDKit not installed (pip install rdkit)")
    if not (data_root / "sider" / "sider.csv").is_file():
        pytest.skip(f"SIDER not found under {data_root}")
    splits = {s: LaMPDataset(str(tmp_path), "sider", s, data_root=str(data_root),
                             options=PrepareOptions(split_seed=1)) for s in ("train", "valid", "test")}
    assert splits["train"].num_labels == 27
    assert sum(len(d) for d in splits.values()) == 1427 - sum(splits["train"].meta["skipped"].values())
