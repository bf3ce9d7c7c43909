"""Small data sets, configs and CLI runners shared by the training tests.

Everything here is tiny on purpose (2 shared CPU cores): a few hundred samples,
d_model 16, 1 thread. The data sets are written to temporary folders in the
publishers' own layouts, so the whole path files -> reader -> cache -> model runs,
also in a subprocess (``python train.py``), and nothing needs a download:

- *text*: the built-in synthetic generator (:mod:`lamp_pyg.io.synthetic`) at a
  fraction of its default size, written in LaMP's text-folder layout
  (``data.format: lamp_text``; the registry's ``synthetic`` entry always makes the
  full 4000 + 1000 rows, which is too slow to train on in the default suite);
- *dense*: a MULAN ARFF + XML triple named ``emotions`` (6 numeric features,
  3 labels), read by the real MULAN reader (``data.name: emotions``, ``data.path``).
"""
from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
TRAIN_PY = REPO / "train.py"

TINY_MODEL = {"d_model": 16, "d_ff": 16, "heads": 2, "n_layers_enc": 1, "n_layers_dec": 1,
              "dropout": 0.1}
TINY_TRAIN = {"epochs": 2, "batch_size": 4, "eval_batch_size": 64, "lr": 0.005, "seed": 0,
              "num_threads": 1, "progress": False, "checkpoint_minutes": 0.0}

# keys of metrics.jsonl that measure time (differ between identical runs)
TIMING_KEYS = ("train_seconds", "eval_seconds", "test_seconds", "samples_per_second")

DENSE_FEATURES = 6
DENSE_LABELS = ("happy", "calm", "sad")


# --------------------------------------------------------------------------- data

def write_text_data(folder: Path, num_train: int = 300, num_test: int = 100) -> Path:
    """The synthetic generator's data in LaMP's text layout (train/test inputs + labels)."""
    from lamp_pyg.io.synthetic import make_synthetic

    folder.mkdir(parents=True, exist_ok=True)
    raw = make_synthetic(num_train=num_train, num_test=num_test, seed=0)
    for split, s in raw.splits.items():
        (folder / f"{split}_inputs.txt").write_text("".join(" ".join(t) + "\n" for t in s.inputs))
        (folder / f"{split}_labels.txt").write_text(
            "".join(" ".join(raw.label_names[l] for l in labs) + "\n" for labs in s.labels))
    return folder


def write_dense_data(folder: Path, num_train: int = 80, num_test: int = 30):
    """A MULAN dataset called ``emotions``: returns ``(folder, X_test, Y_test)``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    F, L = DENSE_FEATURES, len(DENSE_LABELS)
    (folder / "emotions.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<labels xmlns="http://mulan.sourceforge.net/labels">\n'
        + "".join(f'<label name="{n}"></label>\n' for n in DENSE_LABELS) + "</labels>\n")
    out = {}
    for split, n in (("train", num_train), ("test", num_test)):
        X = np.round(rng.normal(size=(n, F)) * 3 + 10, 4)
        Y = ((X[:, :L] - 10) + rng.normal(size=(n, L)) > 0).astype(int)
        Y[Y.sum(1) == 0, 0] = 1
        lines = ["@relation tiny-emotions"]
        lines += [f"@attribute f{i} numeric" for i in range(F)]
        lines += [f"@attribute {name} {{0,1}}" for name in DENSE_LABELS]
        lines += ["@data"] + [",".join([f"{v:.4f}" for v in X[i]] + [str(y) for y in Y[i]])
                              for i in range(n)]
        (folder / f"emotions-{split}.arff").write_text("\n".join(lines) + "\n")
        out[split] = (X, Y)
    return folder, out["test"][0], out["test"][1]


SPARSE_FEATURES = 20
SPARSE_LABELS = ("l0", "l1", "l2")


def write_sparse_data(folder: Path, num_train: int = 60, num_test: int = 20):
    """A MULAN dataset called ``bibtex`` with binary sparse rows: returns
    ``(folder, test_rows)``, each row the sorted feature indices that are 1."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    F, L = SPARSE_FEATURES, len(SPARSE_LABELS)
    (folder / "bibtex.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<labels xmlns="http://mulan.sourceforge.net/labels">\n'
        + "".join(f'<label name="{n}"></label>\n' for n in SPARSE_LABELS) + "</labels>\n")
    out = {}
    for split, n in (("train", num_train), ("test", num_test)):
        rows, lines = [], []
        for _ in range(n):
            feats = sorted(rng.choice(F, size=int(rng.integers(2, 6)), replace=False).tolist())
            labs = sorted({f % L for f in feats[:2]})
            rows.append(feats)
            lines.append("{" + ",".join(f"{i} 1" for i in feats + [F + l for l in labs]) + "}")
        header = ["@relation tiny-bibtex"] + [f"@attribute f{i} {{0,1}}" for i in range(F)]
        header += [f"@attribute {name} {{0,1}}" for name in SPARSE_LABELS] + ["@data"]
        (folder / f"bibtex-{split}.arff").write_text("\n".join(header + lines) + "\n")
        out[split] = rows
    return folder, out["test"]


# --------------------------------------------------------------------------- configs

def config_dict(data: Dict, cache: Path, **sections) -> Dict:
    """A tiny run's config; ``sections`` update the defaults, e.g. ``train={'epochs': 1}``."""
    cfg = {"data": {**data, "cache": str(cache)}, "graph": {"kind": "prior"},
           "model": dict(TINY_MODEL), "train": dict(TINY_TRAIN), "eval": {"plots": True}}
    for section, values in sections.items():
        if isinstance(values, dict):
            cfg.setdefault(section, {}).update(values)
        else:
            cfg[section] = values
    return copy.deepcopy(cfg)


def write_config(path: Path, cfg: Dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# written by the training tests\n" + yaml.safe_dump(cfg, sort_keys=False))
    return path


# --------------------------------------------------------------------------- reading runs

def copy_run(run: Dict, dest: Path) -> Path:
    """A private copy of a session run's folder (session runs stay untouched)."""
    shutil.copytree(run["run_dir"], dest)
    return dest


def read_metrics(run_dir: Path, timing: bool = False) -> List[Dict]:
    rows = [json.loads(l) for l in (Path(run_dir) / "metrics.jsonl").read_text().splitlines() if l]
    if not timing:
        rows = [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]
    return rows


def read_results(run_dir: Path, timing: bool = False) -> Dict:
    rep = json.loads((Path(run_dir) / "results.json").read_text())
    if not timing:
        rep.pop("seconds_per_epoch", None)
        rep.pop("samples_per_second", None)
        rep.pop("machine", None)  # threads may change on resume
    return rep


def assert_close_nested(a, b, tol: float = 1e-6, where: str = ""):
    """Equal structure, equal strings/ints/None, floats within ``tol``."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {set(a) ^ set(b)} differ"
        for k in a:
            assert_close_nested(a[k], b[k], tol, f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close_nested(x, y, tol, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            assert a is b, f"{where}: {a} != {b}"
        elif np.isnan(a) or np.isnan(b):
            assert np.isnan(a) and np.isnan(b), f"{where}: {a} != {b}"
        else:
            assert abs(a - b) <= tol, f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# --------------------------------------------------------------------------- the CLI

_CLI = None


def cli():
    """``train.py`` imported as a module (its ``main(argv)`` returns the exit code)."""
    global _CLI
    if _CLI is None:
        spec = importlib.util.spec_from_file_location("lamp_pyg_train_cli", TRAIN_PY)
        _CLI = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_CLI)
    return _CLI


def main_in_process(argv, capsys):
    """``train.py``'s ``main(argv)`` in this process: ``(exit code, stdout, stderr)``."""
    rc = cli().main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err: str) -> str:
    """The ``error: ...`` line a failed command ends with (and no traceback)."""
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines and lines[-1].startswith("error: "), err
    assert "Traceback" not in err, err
    return lines[-1]


def subprocess_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMP_PYG_CACHE"}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


def train_cmd(*args: str) -> List[str]:
    return [sys.executable, str(TRAIN_PY), *args]


def run_train_py(args: Sequence[str], cwd: Optional[Path] = None, timeout: float = 300,
                 stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    """``python train.py ARGS`` in a real subprocess."""
    return subprocess.run(train_cmd(*args), cwd=cwd or REPO, env=subprocess_env(),
                          capture_output=True, text=True, timeout=timeout, input=stdin)
