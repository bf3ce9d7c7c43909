"""The wheel works on its own: built from this checkout, installed into a fresh virtual
environment (``--system-site-packages`` lends it torch and friends, nothing is
downloaded), it trains the shipped ``default`` config with the ``lamp-pyg`` command from
a folder that is not the checkout, predicts with the run, and lists the shipped configs."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = ["train.epochs=1", "model.d_model=16", "model.d_ff=16", "model.heads=2",
        "model.n_layers_enc=1", "model.n_layers_dec=1", "train.num_threads=1",
        "train.progress=false", "eval.plots=false"]


def _run(cmd, cwd, env, timeout=600):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(bin folder, environment)`` of a venv holding only the wheel of this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so the build leaves nothing in the checkout
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "lamp_pyg", src / "lamp_pyg", symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "configs", src / "configs")  # lamp_pyg/configs links to it
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "LAMP_PYG_CACHE", "LAMP_PYG_DATA")}
    env.update(OMP_NUM_THREADS="1", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               LAMP_PYG_CACHE=str(tmp / "cache"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", tmp / "dist", src], tmp, env)
    wheel = next((tmp / "dist").glob("lamp_pyg-*.whl"))
    # no pip of its own (whose bundled setuptools would hide the newer one torch needs):
    # this interpreter's pip installs into it; --no-index: its requirements must be met
    venv.create(tmp / "venv", system_site_packages=True, with_pip=False)
    bin_dir = tmp / "venv" / ("Scripts" if os.name == "nt" else "bin")
    _run([sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q",
          "--no-index", wheel], tmp, env)
    return bin_dir, env, tmp


def test_the_installed_package_is_the_wheel(installed):
    bin_dir, env, tmp = installed
    where = _run([bin_dir / "python", "-c", "import lamp_pyg; print(lamp_pyg.__file__)"],
                 tmp, env).strip()
    assert Path(where).is_relative_to(tmp / "venv"), where
    assert not Path(where).is_relative_to(REPO)


def test_lamp_pyg_trains_a_shipped_config_by_name_from_another_folder(installed):
    bin_dir, env, tmp = installed
    work = tmp / "elsewhere"
    work.mkdir()
    sets = [a for s in TINY for a in ("--set", s)]
    out = _run([bin_dir / "lamp-pyg", "train", "--config", "default", *sets,
                "--run-dir", "run"], work, env)
    assert "results: run/results.txt" in out and (work / "run" / "best.pt").is_file()
    out = _run([bin_dir / "lamp-pyg", "predict", "run", "--input", "w12 w40 w7"], work, env)
    assert "'w12 w40 w7' (3 of 3 tokens known)" in out  # (BOS/EOS aside)


def test_lamp_pyg_configs_lists_the_shipped_configs(installed):
    bin_dir, env, tmp = installed
    out = _run([bin_dir / "lamp-pyg", "configs"], tmp, env)
    names = {l.split()[0] for l in out.splitlines() if l.strip()}
    assert names == {p.stem for p in (REPO / "configs").glob("*.yaml")}
    assert "own_data" in names and "The config to start from for your own data" in out
    assert _run([bin_dir / "python", "-m", "lamp_pyg", "configs"], tmp, env) == out
