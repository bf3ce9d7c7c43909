"""Layout of lamp_pyg.nn: the layer and its execution engines in separate modules, no
dead code or unused imports, old import paths kept (the 80-line limit on functions, for the
whole package: tests/test_layout.py)."""
import ast
import importlib
from pathlib import Path

import pytest

import lamp_pyg.nn

NN = Path(lamp_pyg.nn.__file__).parent
MODULES = sorted(NN.glob("*.py"))


def test_engines_live_in_their_own_modules():
    from lamp_pyg.nn.attention import PATHS, LaMPAttention  # used by lamp_pyg.models
    from lamp_pyg.nn.dense_attention import dense_attention
    from lamp_pyg.nn.fused_attention import fused_edge_attention
    assert PATHS == ("auto", "edge", "dense", "fused")
    assert lamp_pyg.nn.LaMPAttention is LaMPAttention
    assert lamp_pyg.nn.fused_edge_attention is fused_edge_attention
    assert callable(dense_attention)


def test_dead_masked_softmax_is_gone():
    assert not hasattr(lamp_pyg.nn, "masked_softmax")
    assert not hasattr(importlib.import_module("lamp_pyg.nn.attention"), "masked_softmax")
    assert "masked_softmax" not in lamp_pyg.nn.__all__
    for name in lamp_pyg.nn.__all__:
        assert hasattr(lamp_pyg.nn, name), name


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "__init__.py"],
                         ids=lambda p: p.name)
def test_no_unused_imports(path):
    tree = ast.parse(path.read_text())
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imported[(a.asname or a.name).split(".")[0]] = node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for a in node.names:
                imported[a.asname or a.name] = node.lineno
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    # names in string annotations
    used |= {n.id for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)
             for n in _names_in(c.value)}
    unused = sorted(f"{name} (line {line})" for name, line in imported.items() if name not in used)
    assert not unused


def _names_in(text):
    try:
        return [n for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)]
    except SyntaxError:
        return []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_definition_shadows_another(path):
    tree = ast.parse(path.read_text())
    for scope in [tree] + [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
        names = [n.name for n in scope.body
                 if isinstance(n, (ast.FunctionDef, ast.ClassDef))  # property setters aside
                 and not any(isinstance(d, ast.Attribute) and d.attr == "setter"
                             for d in n.decorator_list)]
        assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
