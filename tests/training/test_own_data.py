"""Your own data, no code: every format trains end to end from a config, on small files
written here, and the model it gives predicts from raw inputs of that format."""
from __future__ import annotations

import json

import pytest

from lamp_pyg.training.predict import Predictor
from tests.training.own_data import LABELS, raw_line, train_own

FORMATS = {
    "csv": {"name": "movies", "format": "text_table", "train": "movies-train.csv",
            "test": "movies-test.csv"},
    "csv-fields": {"format": "text_table", "train": "t/train.csv", "test": "t/test.csv",
                   "valid": "t/valid.csv", "text_field": ["title", "body"],
                   "label_field": "tags", "id_field": "id", "label_sep": ";"},
    "libmultilabel-tsv": {"format": "text_table", "train": "train.txt", "test": "test.txt",
                          "columns": ["id", "labels", "text"], "id_field": "id"},
    "csv-words": {"format": "text_table", "train": "w-train.csv", "test": "w-test.csv",
                  "tokenizer": "words"},
    "jsonl": {"format": "jsonl", "train": "train.jsonl", "test": "test.jsonl",
              "text_field": "abstract", "label_field": "topics"},
    "arff-xml": {"format": "arff", "train": "own-train.arff", "test": "own-test.arff",
                 "labels": "own.xml"},
    "arff-count": {"format": "arff", "train": "own-train.arff", "test": "own-test.arff",
                   "num_labels": 4},
    "arff-meka-first": {"format": "arff", "train": "m-train.arff", "test": "m-test.arff",
                        "num_labels": 4, "labels_first": True},
    "libsvm": {"format": "libsvm", "train": "train.svm", "test": "test.svm",
               "labels": "labels.txt"},
    "libsvm-zero-based": {"format": "libsvm", "train": "train.svm", "test": "test.svm",
                          "labels": "labels.txt", "zero_based": True},
}


@pytest.mark.parametrize("data", FORMATS.values(), ids=FORMATS.keys())
def test_each_format_trains_from_a_config_and_predicts(tmp_path, data):
    run = train_own(data, tmp_path)
    rep = run["report"]
    assert rep["epochs"] == 6
    # the labels were read as labels and the words as inputs: far above chance
    assert rep["headline"]["mAP"]["test"] > 0.75, rep["headline"]["mAP"]
    pred = Predictor.from_checkpoint(run["run_dir"] / "best.pt")
    assert sorted(pred.label_names) == sorted(LABELS)
    line = raw_line(data["format"], data.get("zero_based"))
    P = pred.predict_proba([line])
    assert pred.label_names[int(P[0].argmax())] == "science"
    known, total = pred.known([line])[0]
    assert known == total == 4


def test_a_numeric_table_trains_from_a_config_and_predicts(tmp_path):
    """format: numeric_table: numeric feature columns and one 0/1 column per label."""
    from tests.training.own_data import LABELS as names
    data = {"name": "counts", "format": "numeric_table", "train": "train.csv",
            "test": "test.csv", "label_columns": list(names)}
    run = train_own(data, tmp_path)
    assert run["report"]["headline"]["mAP"]["test"] > 0.75, run["report"]["headline"]["mAP"]
    pred = Predictor.from_checkpoint(run["run_dir"] / "best.pt")
    assert pred.label_names == list(names)  # the columns' order
    line = raw_line("numeric_table")
    assert pred.label_names[int(pred.predict_proba([line])[0].argmax())] == "science"
    assert pred.known([line]) == [(28, 28)]
    with pytest.raises(ValueError, match="expected 28 feature values, got 3"):
        pred.predict_proba(["1,2,3"])


def test_the_words_tokenizer_trains_and_predicts_pre_tokenised_text(tmp_path):
    """data.tokenizer: words keeps ``tag_x`` whole in the vocabulary, and prediction
    splits new text the same way (the default would read ``tag`` and ``x``)."""
    rows = ["text,labels"] + [f"tag_{'ab'[i % 2]}{i % 5} filler_{i % 3},{'ab'[i % 2]}"
                              for i in range(60)]
    for split in ("train", "test"):
        (tmp_path / f"{split}.csv").write_text("\n".join(rows) + "\n")
    data = {"format": "text_table", "train": "train.csv", "test": "test.csv",
            "tokenizer": "words"}
    import tests.training.own_data as own
    own_write = own.write_files
    try:
        own.write_files = lambda d, folder: None  # the files above, not the generator's
        run = train_own(data, tmp_path, epochs=1)
    finally:
        own.write_files = own_write
    pred = Predictor.from_checkpoint(run["run_dir"] / "best.pt")
    assert pred.known(["tag_a0 filler_1 tag_zz", "Tag_B1"]) == [(2, 3), (1, 1)]
    assert "tag_a0" in pred.tok2id and "tag" not in pred.tok2id


@pytest.mark.realdata
@pytest.mark.parametrize("name, stats", [
    ("birds", (645, 260, 19, 1.014, 133)),
    ("corel5k", (5000, 499, 374, 3.522, 3175)),
])
def test_shipped_own_data_configs_train_on_the_publishers_files(name, stats, data_root, tmp_path,
                                                                monkeypatch):
    """configs/birds.yaml and configs/corel5k.yaml read MULAN's files through data.format
    (no registered name): MULAN's statistics, and one epoch of training end to end."""
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.loop import train
    from tests.conftest import REPO
    monkeypatch.setenv("LAMP_PYG_DATA", str(data_root))
    monkeypatch.delenv("LAMP_PYG_CACHE", raising=False)
    cfg = load_config(REPO / "configs" / f"{name}.yaml",
                      [f"data.cache={tmp_path / 'cache'}", "train.epochs=1", "model.d_model=16",
                       "model.d_ff=16", "train.progress=false", "eval.plots=false",
                       "train.num_threads=1"])
    assert cfg.data.format == "arff" and cfg.data.name == name
    lines = []
    report = train(cfg, tmp_path / "run", log=lambda *a: lines.append(" ".join(map(str, a))))
    raw = json.loads(next((tmp_path / "cache" / name).glob("*/*/meta.json")).read_text())["raw_stats"]
    assert (raw["instances"], raw["attributes"], raw["labels"], round(raw["cardinality"], 3),
            raw["distinct_labelsets"]) == stats
    assert report["epochs"] == 1 and 0.0 <= report["headline"]["ebF1"]["test"] <= 1.0
    assert any(f"data {name}: arff: train" in l for l in lines)


@pytest.mark.realdata
@pytest.mark.parametrize("by", ["label_columns", "num_labels"])
def test_emotions_as_a_numeric_table_gives_the_arff_samples(data_root, tmp_path, by):
    """MULAN's emotions written as a CSV of numbers (72 feature columns, then 6 label
    columns, named or counted) prepares into exactly the samples its ARFF gives: same
    splits, values and labels."""
    import numpy as np

    from lamp_pyg.io.arff import read_arff_dataset, read_mulan_labels
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training import load_datasets
    from tests.conftest import REPO
    root = data_root / "mulan" / "emotions"
    raw = read_arff_dataset("emotions", {s: root / f"emotions-{s}.arff" for s in ("train", "test")},
                            label_names=read_mulan_labels(root / "emotions.xml"))
    for split, s in raw.splits.items():
        rows = [",".join(raw.feature_names + raw.label_names)] + [
            ",".join([repr(float(v)) for v in x] +
                     ["1" if i in labs else "0" for i in range(len(raw.label_names))])
            for x, labs in zip(s.inputs, s.labels)]
        (tmp_path / f"{split}.csv").write_text("\n".join(rows) + "\n")
    common = [f"data.cache={tmp_path / 'cache'}", "data.format=numeric_table"]
    csv = load_datasets(load_config(REPO / "configs" / "own_data.yaml", common + [
        f"data.train={tmp_path / 'train.csv'}", f"data.test={tmp_path / 'test.csv'}",
        "data.label_columns=[" + ", ".join(raw.label_names) + "]" if by == "label_columns"
        else "data.num_labels=6"]))
    assert csv["train"].label_names == raw.label_names
    arff = load_datasets(load_config(REPO / "configs" / "own_data.yaml", [
        f"data.cache={tmp_path / 'cache'}", "data.name=emotions", "data.format=null",
        "data.train=null", "data.test=null", f"data.root={data_root}"]))
    for split in ("train", "valid", "test"):
        a, b = csv[split], arff[split]
        assert len(a) == len(b) > 0
        for k in range(0, len(a), 17):
            assert np.array_equal(a[k]["token"].value.numpy(), b[k]["token"].value.numpy())
            assert np.array_equal(a[k]["token"].x.numpy(), b[k]["token"].x.numpy())
            assert np.array_equal(a[k]["label"].y.numpy(), b[k]["label"].y.numpy())


def test_a_wide_binary_arff_trains_on_its_few_present_features(tmp_path):
    """The issue's protein-motif shape through configs/own_data.yaml: ~400 rows, 1,000
    {YES,NO} motifs of which 1-6 are YES per row, a protein id, 25 labels. The id is left
    out and counted, each motif is one 0/1 feature, and dense_mode auto feeds only the
    present motifs as nodes (a handful per sample, not 1,000)."""
    from lamp_pyg.io.motifs import write_motif_arff
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.loop import train
    from tests.conftest import REPO
    p = write_motif_arff(tmp_path / "data", num_train=300, num_test=100, num_motifs=1000)
    logs = []
    cfg = load_config(REPO / "configs" / "own_data.yaml", [
        "data.format=arff", f"data.train={p['train']}", f"data.test={p['test']}",
        f"data.labels={p['labels']}", f"data.cache={tmp_path / 'cache'}", "data.max_len=null",
        "train.epochs=3", "train.ensemble=1", "train.num_threads=1", "train.progress=false",
        "eval.plots=false", "train.lr=0.003"])
    rep = train(cfg, tmp_path / "run", log=logs.append)
    out = "\n".join(map(str, logs))
    assert "data.dense_mode: auto -> sparse (every training cell is 0 or 1" in out
    assert "identifier-like attribute 'protein' (400 distinct values in 400 rows" in out
    assert load_config(tmp_path / "run" / "config.yaml").data.dense_mode == "sparse"
    pred = Predictor.from_checkpoint(tmp_path / "run" / "best.pt")
    assert len(pred.meta["vocab"]) == 4 + 1000 and pred.opts.dense_mode == "sparse"
    from lamp_pyg.training.loop import load_datasets
    sizes = load_datasets(cfg)["train"].input_sizes()
    assert 1 <= sizes.min() and sizes.max() <= 6 and sizes.mean() < 4
    # labels are tied to motifs: far above chance (about 0.06 for 1.5 of 25 labels)
    assert rep["headline"]["mAP"]["test"] > 0.3, rep["headline"]["mAP"]
    line = ",".join("1" if k in (0, 1) else "0" for k in range(1000))  # y00's motifs m0000, m0001
    P = pred.predict_proba([line, ",".join(["0"] * 1000)])
    assert pred.known([line]) == [(1000, 1000)]
    y00 = pred.label_names.index("y00")
    assert P[0][y00] > 2 * P[1][y00]  # its motifs raise it above the no-motif input
