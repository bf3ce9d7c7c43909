"""The README's Python examples run here, so they cannot rot."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"<!-- readme-example: (\S+) -->\n```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples():
    assert {name for name, _ in EXAMPLES} >= {"label-graph", "hetero"}


@pytest.mark.parametrize("name, code", EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_readme_example_runs(name, code):
    exec(compile(code, f"README.md:{name}", "exec"), {})


def test_readme_commands_point_at_real_files():
    text = README.read_text()
    root = README.parent
    for path in set(re.findall(r"(configs/\w+\.yaml|datasets/\w+\.py|train\.py|\.ci/run)", text)):
        assert (root / path).exists(), path
