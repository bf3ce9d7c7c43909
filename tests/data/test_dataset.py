import filecmp
import time

import numpy as np
import pytest
from torch_geometric.loader import DataLoader

from lamp_pyg.data.dataset import LaMPDataset
from lamp_pyg.data.prepare import PrepareOptions
from lamp_pyg.io.sources import SourceSpec, resolve_source

from .test_prepare import toy_raw


def toy(root, split="train", **kw):
    return LaMPDataset(str(root), "toy", split, raw=toy_raw(), **kw)


def test_toy_dataset_samples_and_meta(tmp_path):
    train, test = toy(tmp_path), toy(tmp_path, "test")
    assert len(train) == 5 and len(test) == 2
    assert train.num_labels == 3 and train.label_names == ["l0", "l1", "l3"]
    assert train.train_labels == [[0], [0, 1], [], [1, 2], [0]]  # the unlabeled row is kept
    b = next(iter(DataLoader(test, batch_size=2)))
    assert b["label"].y.shape == (2, 3)
    assert b["token"].x.tolist() == [2, 1, 4, 3, 2, 3]  # BOS UNK a EOS | BOS EOS
    assert b["token"].pos.tolist() == [1, 2, 3, 4, 1, 2]
    kw = train.model_kwargs()
    assert kw["vocab_size"] == len(train.vocab) and kw["positional"] is True
    assert train.meta["skipped"]["train samples with empty input (dropped, LaMP rule)"] == 1
    assert toy(tmp_path, options=PrepareOptions(drop_unlabeled=True)).train_labels == [
        [0], [0, 1], [1, 2], [0]]


def test_cache_is_byte_identical_and_keyed_by_options(tmp_path):
    a, b = toy(tmp_path / "a"), toy(tmp_path / "b")
    for f in ("train.pt", "valid.pt", "test.pt", "meta.json"):
        assert filecmp.cmp(f"{a.processed_dir}/{f}", f"{b.processed_dir}/{f}", shallow=False), f
    c = toy(tmp_path / "a", options=PrepareOptions(max_len=1))
    assert c.processed_dir != a.processed_dir and c.source_dir == a.source_dir


def test_reload_uses_cache(tmp_path):
    assert toy(tmp_path).cache_status.startswith("built")
    again = toy(tmp_path, "valid")
    assert again.cache_status == "reused" and len(again) == 2


def test_pyg_transforms_are_applied(tmp_path):
    def mark(d):
        d["label"].marked = 1
        return d
    def tag(d):
        d.tagged = True
        return d
    ds = toy(tmp_path, pre_transform=mark, transform=tag)
    assert len(ds) == 5 and ds[0]["label"].marked == 1 and ds[0].tagged
    assert len(toy(tmp_path / "f", "test", pre_filter=lambda d: d["token"].x.numel() > 2)) == 1


# ---------------------------------------------------------------------- own files, cache identity
def write_tables(folder, rows=(("w1 w2", "a b"), ("w2 w3", "b"), ("w3", "c"), ("w1", "a"))):
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        (folder / f"{split}.csv").write_text(
            "text,labels\n" + "".join(f"{t},{l}\n" for t, l in rows * 5))
    return SourceSpec(format="text_table", train=str(folder / "train.csv"),
                      test=str(folder / "test.csv"))


def own(cache, spec, split="train"):
    return LaMPDataset(str(cache), "mine", split, source=spec,
                       options=PrepareOptions(valid_fraction=0.2))


def test_own_files_train_end_to_end_shapes(tmp_path):
    ds = own(tmp_path / "cache", write_tables(tmp_path / "d"))
    assert ds.label_names == ["a", "b", "c"] and len(ds) == 16
    assert ds.meta["source"]["format"] == "text_table"
    assert sorted(ds.meta["source"]["files"]) == sorted(
        str(tmp_path / "d" / f) for f in ("train.csv", "test.csv"))
    assert "text_table: train" in ds.describe() and "built" in ds.describe()


def test_cache_reused_when_nothing_changed(tmp_path):
    spec = write_tables(tmp_path / "d")
    first = own(tmp_path / "cache", spec)
    again = own(tmp_path / "cache", spec)
    assert again.cache_status == "reused" and again.processed_dir == first.processed_dir


def test_cache_rebuilt_when_a_source_file_changes(tmp_path):
    spec = write_tables(tmp_path / "d")
    first = own(tmp_path / "cache", spec)
    with open(spec.train, "a") as f:
        f.write("w9 w9,z\n")
    changed = own(tmp_path / "cache", spec)
    assert changed.cache_status.startswith("built")
    assert changed.processed_dir != first.processed_dir and "z" in changed.label_names


def test_cache_rebuilt_for_another_path_under_the_same_name(tmp_path):
    a = own(tmp_path / "cache", write_tables(tmp_path / "a"))
    b = own(tmp_path / "cache", write_tables(tmp_path / "b", rows=(("x y", "p"), ("y", "q"))))
    assert b.cache_status.startswith("built") and b.source_dir != a.source_dir
    assert b.label_names == ["p", "q"] and a.label_names == ["a", "b", "c"]


def test_seeded_split_is_stored_with_the_source(tmp_path):
    spec = write_tables(tmp_path / "d")
    v1 = own(tmp_path / "cache", spec, "valid")
    assert list((tmp_path / "cache" / "mine").glob("*/splits/*.json"))
    assert own(tmp_path / "cache", spec, "valid").meta["split_rows"] == v1.meta["split_rows"]


def test_from_arrays_dense_sparse_and_text(tmp_path):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 5)), (rng.random((40, 3)) < 0.4).astype(int)
    ds = LaMPDataset.from_arrays(str(tmp_path), (X[:30], Y[:30]), (X[30:], Y[30:]),
                                 label_names=["x", "y", "z"])
    assert ds.meta["kind"] == "dense" and ds.label_names == ["x", "y", "z"]
    assert ds.model_kwargs()["input_dim"] == 5 and len(ds) == 27  # 10% held out
    sp = pytest.importorskip("scipy.sparse")
    S = sp.random(40, 50, density=0.1, format="csr", random_state=0)
    ds = LaMPDataset.from_arrays(str(tmp_path), (S[:30], Y[:30]), (S[30:], Y[30:]), name="sp")
    assert ds.meta["kind"] == "sparse"
    texts = ["good movie", "bad plot", "good cast"] * 10
    ds = LaMPDataset.from_arrays(str(tmp_path), (texts, [["pos"], ["neg"], ["pos"]] * 10),
                                 (texts[:3], [["pos"], ["neg"], []]), name="txt")
    assert ds.label_names == ["neg", "pos"] and "good" in ds.vocab
    with pytest.raises(ValueError, match="row 3 holds a NaN"):
        X2 = X.copy()
        X2[3, 1] = np.nan
        LaMPDataset.from_arrays(str(tmp_path), (X2, Y), (X, Y), name="nan")


def test_resolve_source_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("LAMP_PYG_DATA", raising=False)
    with pytest.raises(ValueError, match="did you mean 'bibtex'"):
        resolve_source("bibtx")
    with pytest.raises(ValueError, match="data.format"):
        resolve_source("corel5k")
    with pytest.raises(FileNotFoundError, match="set data.root .* or data.path"):
        resolve_source("bibtex")
    with pytest.raises(FileNotFoundError, match=r"folder that contains sider/sider\.csv, or"):
        resolve_source("sider")  # a file, not a folder: no trailing slash
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_source("bibtex", data_root=str(tmp_path))
    monkeypatch.setenv("LAMP_PYG_DATA", str(tmp_path))
    folder = tmp_path / "mulan" / "bibtex"
    folder.mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="data.train: .*bibtex-train.arff does not exist"):
        resolve_source("bibtex")
    for f in ("bibtex-train.arff", "bibtex-test.arff", "bibtex.xml"):
        (folder / f).write_text("")
    assert resolve_source("bibtex").train == str(folder / "bibtex-train.arff")
    assert resolve_source("synthetic").format == "synthetic"


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


def test_concurrent_opens_build_the_cache_once(tmp_path):
    """Two openers of one empty cache at once (seeds launched side by side): the second
    waits on the cache lock and reuses what the first built, instead of building again
    (or reading half-written files)."""
    import threading
    calls, started = [], threading.Event()

    def slow(d):  # keeps the first build busy while the second opener arrives
        started.set()
        calls.append(1)
        time.sleep(0.05)
        return d

    out = {}

    def open_(key):
        out[key] = toy(tmp_path, pre_transform=slow)

    first = threading.Thread(target=open_, args=("first",))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=open_, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert out["first"].cache_status.startswith("built")
    assert out["second"].cache_status == "reused"
    assert len(calls) == 5 + 2 + 2  # every sample of train, valid, test pre-transformed once
    assert len(out["second"]) == 5


# ---------------------------------------------------------------------- cache files read back safely
def _cache_payload(path, marker):
    """Replaces a cache file by one whose unpickling calls ``builtins.open``."""
    import torch

    from tests.io.test_safe_load import OpenPayload
    torch.save({"version": 3, "data": {"x": OpenPayload(marker)}, "slices": {}}, path)


def _same_samples(a, b):
    return len(a) == len(b) and all(
        x["token"].x.tolist() == y["token"].x.tolist()
        and x["label"].y.tolist() == y["label"].y.tolist() for x, y in zip(a, b))


@pytest.mark.parametrize("damage", ["payload", "truncated", "empty", "meta"])
def test_a_damaged_or_altered_cache_file_is_named_and_rebuilt(tmp_path, damage):
    good = toy(tmp_path, "test")
    target = f"{good.processed_dir}/{'meta.json' if damage == 'meta' else 'test.pt'}"
    marker = tmp_path / "marker"
    if damage == "payload":
        _cache_payload(target, marker)
    elif damage == "meta":
        with open(target, "w") as f:
            f.write('{"vocab": [')
    else:
        with open(target, "rb") as f:
            head = f.read()[:100]
        with open(target, "wb") as f:
            f.write(head if damage == "truncated" else b"")
    with pytest.warns(UserWarning, match=f"dataset cache file {target} .*rebuilding"):
        again = toy(tmp_path, "test")
    assert not marker.exists()
    assert "rebuilt" in again.cache_status and _same_samples(again, good)
    assert toy(tmp_path, "test").cache_status == "reused"  # the rebuilt cache is whole


def test_pyg_bookkeeping_files_in_the_cache_are_never_unpickled(tmp_path):
    """PyG's own InMemoryDataset reads pre_transform.pt / pre_filter.pt with unrestricted
    unpickling; lamp-pyg's cache does not use (or write) them."""
    good = toy(tmp_path)
    assert not any(f.startswith("pre_") for f in __import__("os").listdir(good.processed_dir))
    for name in ("pre_transform.pt", "pre_filter.pt"):
        _cache_payload(f"{good.processed_dir}/{name}", tmp_path / name)
    again = toy(tmp_path)
    assert again.cache_status == "reused" and _same_samples(again, good)
    assert not (tmp_path / "pre_transform.pt").exists()
    assert not (tmp_path / "pre_filter.pt").exists()


def test_a_cache_built_with_another_pre_transform_warns(tmp_path):
    toy(tmp_path)
    with pytest.warns(UserWarning, match="pre_transform"):
        toy(tmp_path, pre_transform=lambda d: d)


def test_a_damaged_saved_split_is_drawn_again_from_its_seed(tmp_path):
    spec = write_tables(tmp_path / "files")
    good = own(tmp_path / "cache", spec, "valid")
    split = next((tmp_path / "cache" / "mine").glob("*/splits/*.json"))
    split.write_text("[")
    with pytest.warns(UserWarning, match="saved split .* drawing it again"):
        again = LaMPDataset(str(tmp_path / "cache"), "mine", "valid", source=spec,
                            options=PrepareOptions(valid_fraction=0.2), force_reload=True)
    assert _same_samples(again, good) and len(good) > 0

def test_dense_mode_auto_is_recorded_and_keyed(tmp_path):
    """auto resolves on the training split; meta records the mode applied (what prediction
    encodes with) and why; auto and sparse are separate cache entries."""
    X = np.zeros((40, 30), np.float32)
    for i in range(40):
        X[i, [i % 30, (i * 7) % 30]] = 1.0
    Y = [[i % 3] for i in range(40)]
    auto = LaMPDataset.from_arrays(str(tmp_path), (X, Y), (X[:10], Y[:10]), name="bin",
                                   options=PrepareOptions(dense_mode="auto"))
    assert auto.meta["options"]["dense_mode"] == "sparse"
    assert "every training cell is 0 or 1" in auto.meta["dense_mode_reason"]
    assert auto.model_kwargs()["feature_values"] and auto.model_kwargs()["vocab_size"] == 34
    assert set(auto.input_sizes().tolist()) <= {1, 2}  # nodes: the non-zero features only
    assert auto[0]["token"].value.tolist() == [1.0] * auto[0]["token"].num_nodes
    sparse = LaMPDataset.from_arrays(str(tmp_path), (X, Y), (X[:10], Y[:10]), name="bin",
                                     options=PrepareOptions(dense_mode="sparse"))
    assert sparse.processed_dir != auto.processed_dir and sparse.meta["dense_mode_reason"] is None
    assert [d["token"].x.tolist() for d in sparse] == [d["token"].x.tolist() for d in auto]
