"""Bad inputs across the entry points, in one table: each must fail with the documented
error type and a message that names the key, the file or the line, and says what was
expected.

Entry points: ``train.py`` and ``datasets/prepare.py`` (in-process ``main(argv)``: exit
code 2 and a one-line ``error: ...``), config loading (:class:`ConfigError` with
``.key``), the readers (:class:`DataFormatError` with ``.path`` / ``.line``), prediction
(:class:`Predictor`) and the layers (:mod:`lamp_pyg.nn`, :class:`LaMP`).

A case is ``case(id, act, error, *words, **attrs)``: ``act(c)`` (``c`` a :class:`Ctx`)
must raise ``error``; its message must contain every word (``{tmp}`` stands for the
test's temporary folder) and the exception must have the attributes ``attrs``. The CLI
helpers raise :class:`Exit2` carrying the one-line message when the command exits 2.
"""
from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from lamp_pyg.io.base import DataFormatError
from lamp_pyg.typed_yaml import ConfigError
from tests.training.helpers import (REPO, cli, config_dict, write_config, write_dense_data,
                                    write_sparse_data, write_text_data)


class Exit2(Exception):
    """A command returned (or argparse exited with) code 2; the message is its error line."""


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Tiny trained runs (d_model 16, 1 epoch): text, dense (3 labels, 6 features), sparse
    (20 binary features), plus the dense config dict the CLI cases start from."""
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training.loop import train
    from lamp_pyg.training.predict import Predictor

    root = tmp_path_factory.mktemp("bad-inputs")
    cache = root / "cache"
    dense_folder = write_dense_data(root / "emotions", num_train=40, num_test=16)[0]
    data = {"text": {"name": "tinysyn", "format": "lamp_text",
                     "path": str(write_text_data(root / "tinysyn", 100, 40))},
            "dense": {"name": "emotions", "path": str(dense_folder), "dense_mode": "nodes"},
            "sparse": {"name": "bibtex", "path": str(write_sparse_data(root / "bibtex")[0])}}
    out = {"cache": cache}
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for kind, d in data.items():
            cfg = config_dict(d, cache, train={"epochs": 1, "batch_size": 8},
                              eval={"plots": False})
            if kind == "dense":
                out["dense_cfg"] = cfg
            train(load_config(write_config(root / f"{kind}.yaml", cfg)), root / kind,
                  log=lambda *a: None)
            out[kind] = Predictor.from_checkpoint(root / kind / "best.pt")
            out[f"{kind}_ckpt"] = root / kind / "best.pt"
    finally:
        torch.set_num_threads(n)
    return out


@pytest.fixture(autouse=True)
def _no_user_cache(monkeypatch):
    monkeypatch.delenv("LAMP_PYG_CACHE", raising=False)
    monkeypatch.delenv("LAMP_PYG_TEST_UNSET", raising=False)


_PREPARE = None


def prepare_cli():
    """``datasets/prepare.py`` imported as a module (its ``main(argv)`` returns the code)."""
    global _PREPARE
    if _PREPARE is None:
        spec = importlib.util.spec_from_file_location("lamp_pyg_prepare_cli",
                                                      REPO / "datasets" / "prepare.py")
        _PREPARE = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_PREPARE)
    return _PREPARE


@dataclass
class Ctx:
    tmp: Path
    capsys: object
    runs: dict

    # files
    def write(self, name: str, content) -> Path:
        p = self.tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        return p

    # commands
    def _command(self, main, argv) -> None:
        self.capsys.readouterr()
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as e:  # argparse
            rc = e.code
        err = self.capsys.readouterr().err
        lines = [l for l in err.splitlines() if l.strip()]
        assert "Traceback" not in err, err
        if rc == 2:  # argparse's line is "<prog>: error: ...", the commands' "error: ..."
            assert lines and (lines[-1].startswith("error: ") or
                              (lines[0].startswith("usage:") and ": error: " in lines[-1])), err
            raise Exit2(lines[-1])
        raise AssertionError(f"exit code {rc}, expected 2; stderr: {err!r}")

    def train(self, *argv) -> None:
        self._command(cli().main, argv)

    def prepare(self, *argv) -> None:
        self._command(prepare_cli().main, [*argv, "--cache", self.tmp / "cache"])

    def cfg(self, **data) -> Path:
        """The tiny dense config with ``data`` keys replaced (``None`` deletes a key)."""
        d = config_dict(dict(self.runs["dense_cfg"]["data"]), self.runs["cache"])
        d["data"].update(data)
        d["data"] = {k: v for k, v in d["data"].items() if v is not None}
        return write_config(self.tmp / "c.yaml", d)

    def train_with(self, *sets, cfg=None) -> None:
        """``train.py --config CFG --run-dir TMP/run --set S ...``"""
        argv = ["--config", cfg or self.cfg(), "--run-dir", self.tmp / "run"]
        for s in sets:
            argv += ["--set", s]
        self.train(*argv)

    def own_csv(self, **data) -> Path:
        """A config of own text_table files (tr.csv / te.csv in tmp) with ``data`` keys."""
        tr = self.write("tr.csv", "text,labels\na heist in space,scifi crime\nlove,drama\n")
        te = self.write("te.csv", "text,labels\nspace,scifi\n")
        d = {"name": "movies", "format": "text_table", "train": str(tr), "test": str(te),
             **data}
        return self.cfg(**{k: None for k in ("path", "dense_mode")}, **d)

    # config
    def load(self, text: str, *overrides) -> None:
        """``load_config`` of ``text`` after a valid ``data`` section (lines 1-2)."""
        from lamp_pyg.training.config import load_config
        load_config(self.write("cfg.yaml", "data:\n  name: synthetic\n" + text), overrides)

    # readers
    def read(self, fmt: str, train, test=None, **spec):
        """``SourceSpec(format=fmt, train=..., test=...).resolved(None).read('x')``;
        ``train`` / ``test`` are ``(file name, content)`` pairs or paths."""
        from lamp_pyg.io.sources import SourceSpec
        files = {k: (self.write(*v) if isinstance(v, tuple) else v)
                 for k, v in (("train", train), ("test", test or train))}
        return SourceSpec(format=fmt, train=str(files["train"]), test=str(files["test"]),
                          **spec).resolved(None).read("x")

    def edges(self, content) -> None:
        from lamp_pyg.graphs import LabelGraph
        LabelGraph.from_edge_list(self.write("edges.txt", content), ["a", "b", "c"],
                                  Y=np.array([[1, 0, 1], [0, 1, 1]]))


@pytest.fixture
def c(tmp_path, capsys, runs) -> Ctx:
    return Ctx(tmp_path, capsys, runs)


def case(id_, act, error, *words, **attrs):
    return pytest.param(act, error, words, attrs, id=id_)


# --------------------------------------------------------------------------- small inputs

ARFF_HEAD = ("@relation x\n@attribute f0 numeric\n@attribute f1 numeric\n"
             "@attribute y0 {0,1}\n@attribute y1 {0,1}\n@data\n")  # rows start on line 7
ARFF_OK = ("ok.arff", ARFF_HEAD + "1,2,0,1\n3,4,1,0\n")
SVM_OK = ("ok.svm", "0,1 1:1 2:0.5\n1 3:2\n")
CSV_OK = ("ok.csv", "text,labels\nhello world,a b\n")
JSONL_OK = ("ok.jsonl", '{"text": "hello", "labels": ["a"]}\n')
MULAN_XML = '<labels xmlns="http://mulan.sourceforge.net/labels">{}</labels>\n'


def _x(*shape):
    return torch.randn(*shape)


def _att(*a, **k):
    from lamp_pyg.nn import LaMPAttention
    return LaMPAttention(*a, **k)


def _block(*a, **k):
    from lamp_pyg.nn import LaMPBlock
    return LaMPBlock(*a, **k)


def _sg(ei, n_src, n_dst, b):
    from lamp_pyg.nn import SharedGraph
    return SharedGraph(torch.tensor(ei), n_src, n_dst, b)


def _cb(src, dst, b):
    from lamp_pyg.nn import CompleteBipartite
    return CompleteBipartite.from_batch(torch.tensor(src), torch.tensor(dst), b)


def _lamp(edge_index):
    from lamp_pyg.models import LaMP, LaMPConfig
    cfg = LaMPConfig(num_labels=3, vocab_size=10, d_model=16, d_ff=16, heads=2)
    return LaMP(cfg, torch.tensor(edge_index))


EI = torch.tensor([[0, 1], [1, 2]])

# --------------------------------------------------------------------------- the table

CASES = [
    # ------------------------------------------------------------------ train.py
    case("train.py-missing-config", lambda c: c.train("--config", c.tmp / "nope.yaml"),
         Exit2, "{tmp}/nope.yaml", "cannot read config file"),
    case("train.py-unknown-key", lambda c: c.train_with("train.epoch=3"),
         Exit2, "train.epoch", "did you mean 'epochs'", "from override"),
    case("train.py-unknown-key-in-file",
         lambda c: c.train("--config", c.write("typo.yaml", "data:\n  name: synthetic\n"
                                                             "model:\n  d_modle: 8\n")),
         Exit2, "{tmp}/typo.yaml", "model.d_modle", "did you mean 'd_model'"),
    case("train.py-wrong-type", lambda c: c.train_with("train.batch_size=big"),
         Exit2, "train.batch_size", "expected int", "'big'"),
    case("train.py-override-without-equals", lambda c: c.train_with("model.dropout"),
         Exit2, "model.dropout", "dotted.key=value"),
    case("train.py-eval_batch_size-0", lambda c: c.train_with("train.eval_batch_size=0"),
         Exit2, "train.eval_batch_size", "expected >= 1, got 0"),
    case("train.py-checkpoint_minutes-negative",
         lambda c: c.train_with("train.checkpoint_minutes=-1"),
         Exit2, "train.checkpoint_minutes", "expected >= 0", "-1"),
    case("train.py-num_threads-negative", lambda c: c.train_with("train.num_threads=-2"),
         Exit2, "train.num_threads", "expected >= 0, got -2"),
    case("train.py-n_layers_dec-0", lambda c: c.train_with("model.n_layers_dec=0"),
         Exit2, "model.n_layers_dec", "expected >= 1, got 0"),
    case("train.py-dropout-1.5", lambda c: c.train_with("model.dropout=1.5"),
         Exit2, "model.dropout", "< 1.0", "1.5"),
    case("train.py-heads-not-dividing-d_model",
         lambda c: c.train_with("model.d_model=30", "model.heads=4"),
         Exit2, "'model'", "d_model (30)", "divisible by heads (4)"),
    case("train.py-graph.kind-priors", lambda c: c.train_with("graph.kind=priors"),
         Exit2, "graph.kind", "expected one of", "did you mean 'prior'"),
    case("train.py-data.format-csv", lambda c: c.train_with("data.format=csv"),
         Exit2, "data.format", "expected one of", "'text_table'", "got 'csv'"),
    case("train.py-device-tpu", lambda c: c.train_with("train.device=tpu"),
         Exit2, "'train'", "device must be auto, cpu, cuda or cuda:N", "'tpu'"),
    case("train.py-given-graph-without-edge_file", lambda c: c.train_with("graph.kind=given"),
         Exit2, "'graph'", "needs edge_file"),
    case("train.py-edge_file-missing",
         lambda c: c.train_with("graph.kind=given", f"graph.edge_file={c.tmp}/no-edges.txt"),
         Exit2, "graph.edge_file", "{tmp}/no-edges.txt does not exist", "label pairs"),
    case("train.py-edge_file-unknown-label",
         lambda c: c.train_with("graph.kind=given", "graph.edge_file="
                                + str(c.write("e.txt", "happy calm\ncalm grumpy\n"))),
         Exit2, "{tmp}/e.txt, line 2", "unknown label 'grumpy'", "expected a label name"),
    case("train.py-run-dir-is-a-file",
         lambda c: c.train("--config", c.cfg(), "--run-dir", c.write("f.txt", "x")),
         Exit2, "{tmp}/f.txt is a file", "give a folder (--run-dir)"),
    case("train.py-top-0", lambda c: c.train("--predict", c.runs["dense_ckpt"], "--top", "0",
                                             "--input", "1,2,3,4,5,6"),
         Exit2, "argument --top", "must be >= 1, got 0"),
    case("train.py-top-negative", lambda c: c.train("--predict", c.runs["dense_ckpt"],
                                                    "--top", "-1", "--input", "1,2,3,4,5,6"),
         Exit2, "argument --top", "must be >= 1, got -1"),
    case("train.py-predict-missing-checkpoint",
         lambda c: c.train("--predict", c.tmp / "none.pt", "--input", "x"),
         Exit2, "checkpoint {tmp}/none.pt does not exist"),
    case("train.py-predict-truncated-checkpoint",
         lambda c: c.train("--predict", c.write(
             "cut.pt", c.runs["dense_ckpt"].read_bytes()[:200]), "--input", "1,2,3,4,5,6"),
         Exit2, "checkpoint {tmp}/cut.pt cannot be read"),
    case("train.py-predict-empty-input",
         lambda c: c.train("--predict", c.runs["dense_ckpt"], "--input", ""),
         Exit2, "input 1 ('')", "expected 6 feature values, got 0"),
    case("train.py-unknown-dataset", lambda c: c.train_with("data.name=emotion"),
         Exit2, "'data'", "unknown dataset 'emotion'", "did you mean 'emotions'"),
    case("train.py-own-data-without-test", lambda c: c.train_with(cfg=c.own_csv(test=None)),
         Exit2, "'data'", "format 'text_table' needs test"),
    case("train.py-key-without-effect",
         lambda c: c.train_with(cfg=c.own_csv(format="jsonl", columns=["text", "labels"])),
         Exit2, "'data'", "columns has no effect with format 'jsonl'", "it reads"),
    case("train.py-unset-variable",
         lambda c: c.train_with(cfg=c.own_csv(train="$LAMP_PYG_TEST_UNSET/tr.csv")),
         Exit2, "data.train", "$LAMP_PYG_TEST_UNSET", "environment variable that is not set"),
    case("train.py-path-does-not-exist",
         lambda c: c.train_with(cfg=c.own_csv(test=str(c.tmp / "gone.csv"))),
         Exit2, "data.test", "{tmp}/gone.csv does not exist"),
    case("train.py-own-data-missing-column",
         lambda c: c.train_with(cfg=c.own_csv(text_field="body")),
         Exit2, "{tmp}/tr.csv, line 1", "no column 'body'", "set data.text_field"),
    case("train.py-dataset-folder-missing",
         lambda c: c.train_with(f"data.path={c.tmp}/downloads/emotions"),
         Exit2, "dataset 'emotions'", "{tmp}/downloads/emotions does not exist"),

    # ------------------------------------------------------------------ datasets/prepare.py
    case("prepare.py-format-csv",
         lambda c: c.prepare("own", "--format", "csv", "--train", c.write(*CSV_OK),
                             "--test", c.tmp / "ok.csv"),
         Exit2, "key 'format'", "expected one of", "got 'csv'"),
    case("prepare.py-missing-unknown-value",
         lambda c: c.prepare("own", "--format", "arff", "--train", c.write(*ARFF_OK),
                             "--test", c.tmp / "ok.arff", "--missing", "maybe"),
         Exit2, "key 'missing'", "expected one of 'error', 'zero'", "got 'maybe'"),
    case("prepare.py-flag-not-yaml",
         lambda c: c.prepare("own", "--format", "text_table", "--train", c.write(*CSV_OK),
                             "--test", c.tmp / "ok.csv", "--max-len", "[1"),
         Exit2, "--max-len '[1'", "data.max_len", "invalid YAML"),
    case("prepare.py-flag-wrong-type",
         lambda c: c.prepare("own", "--format", "text_table", "--train", c.write(*CSV_OK),
                             "--test", c.tmp / "ok.csv", "--max-len", "ten"),
         Exit2, "key 'max_len'", "expected int or None", "'ten'"),
    case("prepare.py-missing-file",
         lambda c: c.prepare("own", "--format", "text_table", "--train", c.tmp / "no.csv",
                             "--test", c.write(*CSV_OK)),
         Exit2, "data.train", "{tmp}/no.csv does not exist"),
    case("prepare.py-missing-test-flag",
         lambda c: c.prepare("own", "--format", "text_table", "--train", c.write(*CSV_OK)),
         Exit2, "format 'text_table' needs test"),
    case("prepare.py-csv-read-as-arff",
         lambda c: c.prepare("own", "--format", "arff", "--train", c.write(*CSV_OK),
                             "--test", c.tmp / "ok.csv", "--num-labels", "1"),
         Exit2, "{tmp}/ok.csv, line 1", "expected an @relation, @attribute or @data"),
    case("prepare.py-unknown-dataset", lambda c: c.prepare("emotion"),
         Exit2, "unknown dataset 'emotion'", "did you mean 'emotions'"),

    # ------------------------------------------------------------------ load_config
    case("config-unknown-key", lambda c: c.load("model:\n  d_modle: 3\n"),
         ConfigError, "{tmp}/cfg.yaml", "unknown key 'model.d_modle'", "did you mean 'd_model'",
         key="model.d_modle"),
    case("config-float-for-int", lambda c: c.load("model:\n  d_model: 3.5\n"),
         ConfigError, "key 'model.d_model'", "expected int, got 3.5", key="model.d_model"),
    case("config-betas-one-item", lambda c: c.load("train:\n  betas: [0.9]\n"),
         ConfigError, "key 'train.betas'", "exactly 2 items", key="train.betas"),
    case("config-betas-out-of-domain", lambda c: c.load("train:\n  betas: [0.9, 1.0]\n"),
         ConfigError, "key 'train.betas'", "every item >= 0.0 and < 1.0", key="train.betas"),
    case("config-section-not-a-mapping", lambda c: c.load("train: [1, 2]\n"),
         ConfigError, "key 'train' must be a mapping", key="train"),
    case("config-list-of-str-given-int", lambda c: c.load("", "data.text_field=3"),
         ConfigError, "key 'data.text_field'", "expected str or List[str]",
         key="data.text_field"),
    case("config-override-not-yaml", lambda c: c.load("", "train.lr=[1"),
         ConfigError, "override 'train.lr=[1'", "not valid YAML", key="train.lr"),
    case("config-override-into-a-value", lambda c: c.load("", "model=3", "model.d_model=4"),
         ConfigError, "cannot set a key inside 'model'", "not a section", key="model.d_model"),
    case("config-cross-field", lambda c: c.load("train:\n  warmup_steps: 10\n"
                                                "  warmup_fraction: 0.1\n"),
         ConfigError, "section 'train'", "warmup_steps or warmup_fraction, not both",
         key="train"),
    case("config-duplicate-key", lambda c: c.load("train:\n  lr: 1e-4\n  lr: 2e-4\n"),
         ConfigError, "{tmp}/cfg.yaml", "line 5", "duplicate key 'lr'", "first defined on line 4",
         key=None),

    # ------------------------------------------------------------------ ARFF / MULAN XML
    case("arff-malformed-attribute",
         lambda c: c.read("arff", ("t.arff", "@relation x\n@attribute f0 {0,1\n"
                                               "@attribute y {0,1}\n@data\n0,1\n"),
                          num_labels=1),
         DataFormatError, "{tmp}/t.arff, line 2", "nominal type of 'f0' is not closed",
         "expected '}'", line=2),
    case("arff-unknown-type",
         lambda c: c.read("arff", ("t.arff", "@relation x\n@attribute f0 numbr\n"
                                               "@attribute y {0,1}\n@data\n0,1\n"),
                          num_labels=1),
         DataFormatError, "{tmp}/t.arff, line 2", "expected a type numeric", "'numbr'", line=2),
    case("arff-missing-value",
         lambda c: c.read("arff", ("t.arff", ARFF_HEAD + "1,?,0,1\n"), ARFF_OK, num_labels=2),
         DataFormatError, "{tmp}/t.arff, line 7", "missing value '?' for attribute 'f1'",
         "missing='zero'", line=7),
    case("arff-nan",
         lambda c: c.read("arff", ("t.arff", ARFF_HEAD + "1,2,0,1\n1,nan,0,1\n"), ARFF_OK,
                          num_labels=2),
         DataFormatError, "{tmp}/t.arff, line 8", "'f1'", "not a finite number",
         "expected a finite value", line=8),
    case("arff-stale-meka-C",
         lambda c: c.read("arff", ("t.arff", "@relation 'x: -C 3'\n@attribute w0 numeric\n"
                                               "@attribute w1 numeric\n@attribute w2 numeric\n"
                                               "@attribute y {0,1}\n@data\n1,2,3,1\n")),
         DataFormatError, "{tmp}/t.arff, line 7", "'-C 3'", "'w1'", "expected binary labels",
         "stale"),
    case("arff-label-attribute-not-binary",
         lambda c: c.read("arff", ("t.arff", "@relation x\n@attribute f0 numeric\n"
                                               "@attribute y {a,b}\n@data\n1,a\n"),
                          num_labels=1),
         DataFormatError, "{tmp}/t.arff, line 3", "label attribute 'y' is declared {a,b}",
         "expected {0,1} or numeric", line=3),
    case("arff-label-value-2",
         lambda c: c.read("arff", ("t.arff", ARFF_HEAD + "1,2,0,2\n"), ARFF_OK, num_labels=2),
         DataFormatError, "{tmp}/t.arff, line 7", "value 2 of attribute 'y1'", "expected 0 or 1"),
    case("arff-sparse-index-out-of-range",
         lambda c: c.read("arff", ("t.arff", ARFF_HEAD + "{0 1,9 1}\n"), ARFF_OK, num_labels=2),
         DataFormatError, "{tmp}/t.arff, line 7", "attribute index 9 out of range",
         "expected 0..3", line=7),
    case("arff-wrong-number-of-values",
         lambda c: c.read("arff", ("t.arff", ARFF_HEAD + "1,2,0,1,5\n"), ARFF_OK, num_labels=2),
         DataFormatError, "{tmp}/t.arff, line 7", "5 comma-separated values", "expected 4"),
    case("arff-not-utf8",
         lambda c: c.read("arff", ("t.arff", (ARFF_HEAD + "1,2,0,1\n").encode()
                                   .replace(b"f1", b"f\xff")), ARFF_OK, num_labels=2),
         DataFormatError, "{tmp}/t.arff, line 3", "byte 0xff is not valid utf-8",
         "expected utf-8 text", line=3),
    case("arff-no-label-information",
         lambda c: c.read("arff", ARFF_OK),
         DataFormatError, "{tmp}/ok.arff, line 1", "no label information",
         "expected MEKA's '-C <n>'", line=1),
    case("mulan-xml-malformed",
         lambda c: c.read("arff", ARFF_OK, labels=str(c.write(
             "l.xml", MULAN_XML.format('<label name="y0">')))),
         DataFormatError, "{tmp}/l.xml, line 1", "malformed XML", "expected a MULAN <labels>"),
    case("mulan-xml-label-not-in-arff",
         lambda c: c.read("arff", ARFF_OK, labels=str(c.write(
             "l.xml", MULAN_XML.format('<label name="y0"/><label name="yZ"/>')))),
         DataFormatError, "{tmp}/ok.arff, line 6", "['yZ']", "expected every label name"),

    # ------------------------------------------------------------------ LIBSVM
    case("libsvm-bad-pair", lambda c: c.read("libsvm", ("t.svm", "0 1:1 2\n"), SVM_OK),
         DataFormatError, "{tmp}/t.svm, line 1", "feature '2'", "expected 'index:value'", line=1),
    case("libsvm-index-not-integer",
         lambda c: c.read("libsvm", ("t.svm", "0 1:1\n1 x:2\n"), SVM_OK),
         DataFormatError, "{tmp}/t.svm, line 2", "index 'x' is not an integer", line=2),
    case("libsvm-nan", lambda c: c.read("libsvm", ("t.svm", "0 1:nan\n"), SVM_OK),
         DataFormatError, "{tmp}/t.svm, line 1", "'nan'", "expected a finite value"),
    case("libsvm-label-not-integer", lambda c: c.read("libsvm", ("t.svm", "a,b 1:1\n"), SVM_OK),
         DataFormatError, "{tmp}/t.svm, line 1", "labels 'a,b'",
         "expected comma separated non-negative integers"),
    case("libsvm-index-0-in-1-based-file",
         lambda c: c.read("libsvm", ("t.svm", "0 0:1\n"), SVM_OK),
         DataFormatError, "{tmp}/t.svm, line 1", "feature index 0 out of range",
         "expected indices >= 1", "zero_based"),
    case("libsvm-label-names-file-too-short",
         lambda c: c.read("libsvm", SVM_OK, labels=str(c.write("names.txt", "only\n"))),
         DataFormatError, "{tmp}/ok.svm, line 1", "label 1 out of range", "expected 0..0",
         "data.labels"),

    # ------------------------------------------------------------------ CSV / TSV / JSONL
    case("csv-wrong-number-of-fields",
         lambda c: c.read("text_table", ("t.csv", "text,labels\nhello,a\nfoo,bar,baz\n"),
                          CSV_OK),
         DataFormatError, "{tmp}/t.csv, line 3", "3 fields: expected 2 (text, labels)", line=3),
    case("csv-no-text-column",
         lambda c: c.read("text_table", ("t.csv", "body,labels\nhello,a\n"), CSV_OK),
         DataFormatError, "{tmp}/t.csv, line 1", "no column 'text'", "['body', 'labels']",
         "set data.text_field", line=1),
    case("csv-unterminated-quote",
         lambda c: c.read("text_table", ("t.csv", 'text,labels\n"hello,a\nfoo,b\n'), CSV_OK),
         DataFormatError, "{tmp}/t.csv, line", "malformed row", "expected ','-separated"),
    case("tsv-columns-wrong-count",
         lambda c: c.read("text_table", ("t.tsv", "1\ta b\n"), columns=["id", "labels", "text"]),
         DataFormatError, "{tmp}/t.tsv, line 1", "2 fields: expected 3 (id, labels, text)"),
    case("jsonl-invalid-json",
         lambda c: c.read("jsonl", ("t.jsonl", '{"text": "a", "labels": []}\n{"text": x}\n'),
                          JSONL_OK),
         DataFormatError, "{tmp}/t.jsonl, line 2", "not valid JSON",
         "expected one object per line", line=2),
    case("jsonl-missing-key",
         lambda c: c.read("jsonl", ("t.jsonl", '{"text": "hello"}\n'), JSONL_OK),
         DataFormatError, "{tmp}/t.jsonl, line 1", "no key 'labels'", "the keys are ['text']"),
    case("jsonl-labels-wrong-type",
         lambda c: c.read("jsonl", ("t.jsonl", '{"text": "hello", "labels": 3}\n'), JSONL_OK),
         DataFormatError, "{tmp}/t.jsonl, line 1", "'labels' is 3",
         "expected a list of label strings"),
    case("jsonl-text-not-a-string",
         lambda c: c.read("jsonl", ("t.jsonl", '{"title": "a", "body": ["b"], "labels": []}\n'),
                          JSONL_OK, text_field=["title", "body"]),
         DataFormatError, "{tmp}/t.jsonl, line 1", "'body' must be a string", 'got ["b"]'),

    # ------------------------------------------------------------------ label-graph edge list
    case("edge-list-unknown-label", lambda c: c.edges("a b\nb zz\n"),
         DataFormatError, "{tmp}/edges.txt, line 2", "unknown label 'zz'",
         "expected a label name or an index in [0, 3)", line=2),
    case("edge-list-binary-file", lambda c: c.edges(bytes(range(256))),
         DataFormatError, "{tmp}/edges.txt, line 2", "not valid utf-8",
         "expected a UTF-8 text file of label pairs"),
    case("edge-list-three-tokens", lambda c: c.edges("a b\n\na b c\n"),
         DataFormatError, "{tmp}/edges.txt, line 3", "expected a pair 'a b'", "'c'"),

    # ------------------------------------------------------------------ Predictor
    case("predict-empty-input", lambda c: c.runs["text"].predict(["w1", "  "]),
         ValueError, "input 2", "is empty", "expected some text"),
    case("predict-only-unknown-tokens", lambda c: c.runs["text"].predict(["zzzq qqqz"]),
         ValueError, "input 1 ('zzzq qqqz')", "none of its 2 tokens is known",
         "right kind of input for this text model"),
    case("predict-numbers-to-text-model", lambda c: c.runs["text"].predict(["1.5, 2.5, 3"]),
         ValueError, "input 1", "none of its", "tokens is known"),
    case("predict-dense-wrong-count", lambda c: c.runs["dense"].predict(["1,2,3"]),
         ValueError, "input 1 ('1,2,3')", "expected 6 feature values, got 3"),
    case("predict-dense-non-numeric", lambda c: c.runs["dense"].predict(["1,2,abc,4,5,6"]),
         ValueError, "input 1", "expected 6 numbers separated by commas or spaces", "'abc'"),
    case("predict-dense-nan", lambda c: c.runs["dense"].predict(["1,2,nan,4,5,6"]),
         ValueError, "input 1", "must be finite numbers"),
    case("predict-dense-parsed-wrong-length", lambda c: c.runs["dense"].predict([[1.0, 2.0]]),
         ValueError, "input 1 ([1.0, 2.0])", "expected a line of 6 numbers"),
    case("predict-text-parsed-not-tokens", lambda c: c.runs["text"].predict([None]),
         ValueError, "input 1 (None)", "expected a line of text or a list of token strings"),
    case("predict-one-string-not-a-list", lambda c: c.runs["text"].predict("w1 w2"),
         TypeError, "inputs must be a list", "got one str", "pass [input]"),
    case("predict-sparse-index-out-of-range",
         lambda c: c.runs["sparse"].predict(["1:1 99:1"]),
         ValueError, "input 1 ('1:1 99:1')", "feature index 99 is outside [0, 20)"),
    case("predict-sparse-bad-pair", lambda c: c.runs["sparse"].predict(["3:x"]),
         ValueError, "input 1", "'3:x'", "expected index:value pairs"),

    # ------------------------------------------------------------------ layers and model
    case("attention-edge_index-1d", lambda c: _att(8, 8, heads=2)(_x(5, 8), torch.tensor([0, 1])),
         ValueError, "edge_index must be [2, E]", "got shape (2,)"),
    case("attention-edge_index-E-by-2",
         lambda c: _att(8, 8, heads=2)(_x(5, 8), torch.tensor([[0, 1], [1, 2], [2, 3]])),
         ValueError, "edge_index must be [2, E]", "got shape (3, 2)"),
    case("attention-dense-path-plain-edge_index",
         lambda c: _att(8, 8, heads=2, path="dense")(_x(5, 8), EI),
         ValueError, "path='dense' needs an implicit edge set", "got an edge_index tensor"),
    case("attention-dense-path-sparse-tensor",
         lambda c: _att(8, 8, heads=2, path="dense")(
             _x(3, 8), torch.sparse_coo_tensor(EI, torch.ones(2), (3, 3), check_invariants=True)),
         ValueError, "path='dense' needs an implicit edge set", "torch.sparse adjacency"),
    case("attention-heads-not-dividing", lambda c: _att(8, 10, heads=3),
         ValueError, "out_channels (10) must be divisible by heads (3)"),
    case("attention-source-width", lambda c: _att(8, 8, heads=2)(_x(5, 7), EI),
         ValueError, "source node features have 7 channels", "expected 8"),
    case("attention-target-width",
         lambda c: _att((8, 6), 8)((_x(5, 8), _x(3, 8)), EI),
         ValueError, "target node features have 8 channels", "expected 6"),
    case("attention-shared-graph-rows",
         lambda c: _att(8, 8, heads=2)(_x(5, 8), _sg([[0, 1], [1, 2]], 3, 3, 2)),
         ValueError, "source node features have 5 rows", "num_graphs * num_src = 2 * 3 = 6"),
    case("attention-shared-graph-edge_index-1d",
         lambda c: _att(8, 8, heads=2, path="dense")(_x(6, 8), _sg([0, 1, 2], 3, 3, 2)),
         ValueError, "SharedGraph.edge_index must be [2, E0]", "got shape (3,)"),
    case("attention-complete-bipartite-rows",
         lambda c: _att(8, 8, heads=2)((_x(4, 8), _x(2, 8)), _cb([0, 0, 1], [0, 1], 2)),
         ValueError, "source node features have 4 rows", "one per entry of src_batch (3)"),
    case("complete-bipartite-unsorted", lambda c: _cb([1, 0], [0, 1], 2),
         ValueError, "src_batch must be sorted"),
    case("block-target-width",
         lambda c: _block((8, 6), 8)((_x(3, 8), _x(2, 6)), _cb([0, 1, 1], [0, 1], 2)),
         ValueError, "target node features have 6 channels", "expected channels=8"),
    case("block-heads-not-dividing", lambda c: _block(8, 10, heads=4),
         ValueError, "out_channels (10) must be divisible by heads (4)"),
    case("lamp-label-without-incoming-edge", lambda c: _lamp([[0, 1], [0, 1]]),
         ValueError, "gives 1 of the 3 labels no incoming edge", "first: label 2",
         "at least its self-loop"),
    case("lamp-label-edge_index-E-by-2", lambda c: _lamp([[0, 0], [1, 1], [2, 2]]),
         ValueError, "label_edge_index must be [2, E]", "got (3, 2)"),
]


@pytest.mark.parametrize("act, error, words, attrs", CASES)
def test_bad_input(c, act, error, words, attrs):
    with pytest.raises(error) as info:
        act(c)
    e = info.value
    assert type(e) is error, f"{type(e).__name__}: {e}"
    msg = str(e)
    assert "\n" not in msg.strip(), msg
    for w in words:
        assert w.replace("{tmp}", str(c.tmp)) in msg, f"{w!r} not in {msg!r}"
    for name, value in attrs.items():
        assert getattr(e, name) == value, f"{name}={getattr(e, name)!r}, expected {value!r}"


def test_the_table_covers_every_entry_point():
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 45
    counts = {}
    for i in ids:
        counts[i.split("-")[0]] = counts.get(i.split("-")[0], 0) + 1
    for entry in ("train.py", "prepare.py", "config", "arff", "libsvm", "csv", "jsonl",
                  "edge", "predict", "attention", "block", "lamp"):
        assert counts.get(entry, 0) >= 1, entry
