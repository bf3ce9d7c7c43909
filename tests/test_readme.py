"""The README's Python examples and own-data configs run here, so they cannot rot."""
import re
from pathlib import Path

import pytest
import yaml

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text()
EXAMPLES = re.findall(r"<!-- readme-example: (\S+) -->\n```python\n(.*?)```", TEXT, re.S)
CONFIGS = re.findall(r"<!-- readme-config: (\S+) -->\n```yaml\n(.*?)```", TEXT, re.S)


def test_readme_has_examples():
    assert {name for name, _ in EXAMPLES} >= {"label-graph", "hetero", "arrays", "register"}
    formats = {yaml.safe_load(c)["data"]["format"] for _, c in CONFIGS}
    assert formats >= {"arff", "libsvm", "text_table", "jsonl"}


@pytest.mark.parametrize("name, code", EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_readme_example_runs(name, code, monkeypatch):
    from lamp_pyg.io import sources
    monkeypatch.setattr(sources, "DATASETS", dict(sources.DATASETS))  # registrations stay here
    exec(compile(code, f"README.md:{name}", "exec"), {})


@pytest.mark.parametrize("name, text", CONFIGS, ids=[n for n, _ in CONFIGS])
def test_readme_own_data_config_trains_as_written(name, text, tmp_path, monkeypatch):
    """The README's data section, on small files in that format: trains, and learns."""
    from tests.training.own_data import train_own
    monkeypatch.delenv("LAMP_PYG_CACHE", raising=False)
    run = train_own(yaml.safe_load(text)["data"], tmp_path)
    assert run["report"]["headline"]["mAP"]["test"] > 0.75


def test_readme_commands_point_at_real_files():
    root = README.parent
    for path in set(re.findall(r"(configs/\w+\.yaml|datasets/\w+\.py|train\.py|\.ci/run)", TEXT)):
        assert (root / path).exists(), path


IMPORTS = re.findall(r"^\s*from (lamp_pyg(?:\.\w+)*) import \(?([\w\s,]+?)\)?\s*$", TEXT, re.M)
DOTTED = re.findall(r"\b(lamp_pyg(?:\.[a-z_]\w*)*)\.([A-Z]\w*)", TEXT)


def public_names(module_name):
    import importlib
    module = importlib.import_module(module_name)
    assert hasattr(module, "__path__"), (
        f"README imports from {module_name}, a module: import from its package")
    return set(module.__all__), module


def test_readme_imports_public_names():
    """Every `from lamp_pyg... import ...` line and every `lamp_pyg.pkg.Name` the README
    shows names a package (lamp_pyg or a sub-package) and a name in its __all__."""
    assert IMPORTS and DOTTED
    for module_name, names in IMPORTS + DOTTED:
        exported, module = public_names(module_name)
        for name in re.split(r"[\s,]+", names.strip()):
            assert name in exported, f"README: {name} is not in {module_name}.__all__"
            assert hasattr(module, name), f"{module_name}.__all__ names {name}, which it lacks"


@pytest.mark.parametrize("package", ["lamp_pyg.io", "lamp_pyg.data", "lamp_pyg.graphs",
                                     "lamp_pyg.nn", "lamp_pyg.models", "lamp_pyg.evaluation",
                                     "lamp_pyg.training"])
def test_sub_package_exports_what_it_lists(package):
    exported, module = public_names(package)
    assert exported and len(exported) == len(module.__all__)  # no name listed twice
    assert not [n for n in exported if not hasattr(module, n)]
