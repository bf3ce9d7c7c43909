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


DOCS = ["README.md", "RESULTS.md", "bench/README.md", "records/README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)|^\s*\[[^\]]+\]:\s*(\S+)", re.M)


RECORD = re.compile(r"`(records/[^`\s<$]+)`")


def relative_links(text):
    """Relative link targets and `records/...` paths in backticks (from the repository
    root; may be globs), outside code blocks, whose commands show output paths to come."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    targets = [a or b for a, b in LINK.findall(text)]
    links = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:|#", t)]
    return links, RECORD.findall(text)


def test_relative_links_finds_all_kinds():
    text = ("[a](x/y.md#s) [b][r] [c](https://e.org) [d](#top) `records/q-*.md` `records/<d>`"
            "\n[r]: records/z.json\n```\n[e](no) `records/n.md`\n```")
    assert relative_links(text) == (["x/y.md", "records/z.json"], ["records/q-*.md"])


@pytest.mark.parametrize("doc", DOCS)
def test_doc_links_point_at_real_files(doc):
    """Every relative link (inline or a `[x]: path` definition) opens an existing file, and
    every `records/...` path named in the text matches at least one."""
    path = README.parent / doc
    links, records = relative_links(path.read_text())
    assert links or records, doc
    missing = [t for t in links if not (path.parent / t).exists()]
    missing += [r for r in records if not list(README.parent.glob(r.rstrip("/")))]
    assert not missing, f"{doc} points at files that do not exist: {missing}"


def test_records_index_names_every_record():
    """Each entry directly under records/experiments and records/bench matches a name or
    pattern that records/README.md lists (in backticks), so every record has its group."""
    import fnmatch
    root = README.parent / "records"
    patterns = [p.rstrip("/") for p in re.findall(r"`([^`\s]+)`", (root / "README.md").read_text())]
    unlisted = [f"{group}/{entry.name}" for group in ("experiments", "bench")
                for entry in sorted((root / group).iterdir())
                if not any(fnmatch.fnmatch(entry.name, p) for p in patterns)]
    assert not unlisted, f"records/README.md has no group for {unlisted}"
