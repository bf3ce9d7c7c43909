"""Top-level names: each is the class of its defining module, loaded on first use, so
``import lamp_pyg`` imports neither torch nor torch_geometric."""
import subprocess
import sys
from pathlib import Path

import pytest

import lamp_pyg

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(lamp_pyg._EXPORTS))
def test_export_is_the_defining_modules_class(name):
    import importlib
    assert getattr(lamp_pyg, name) is getattr(importlib.import_module(lamp_pyg._EXPORTS[name]), name)
    assert name in dir(lamp_pyg) and name in lamp_pyg.__all__


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="LaMPClassifer"):
        lamp_pyg.LaMPClassifer


def test_import_is_light():
    code = "import sys, lamp_pyg; print('torch_geometric' in sys.modules, 'torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                       timeout=120)
    assert r.stdout.split() == ["False", "False"], r.stderr
