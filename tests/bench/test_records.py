"""Commands in committed records carry no machine paths (bench/records.py)."""
from pathlib import Path

from bench.records import REPO, given_data_roots, portable_path, record_command


def test_paths_become_portable(monkeypatch, tmp_path):
    data = tmp_path / "data"
    monkeypatch.setenv("LAMP_PYG_DATA", str(data))
    assert portable_path(str(data / "mulan" / "bibtex")) == "$LAMP_PYG_DATA/mulan/bibtex"
    assert portable_path(str(data)) == "$LAMP_PYG_DATA"
    assert portable_path(str(REPO / "configs" / "bibtex.yaml")) == "configs/bibtex.yaml"
    assert portable_path(str(REPO)) == "."
    assert portable_path(str(REPO.parent / "runs" / "x")) == "../runs/x"
    # under the home folder (or beside the checkout, when that is the home folder)
    assert portable_path(str(Path.home() / "cache")) in ("~/cache", "../cache")
    assert portable_path("configs/bibtex.yaml") == "configs/bibtex.yaml"  # relative: kept


def test_record_command_uses_the_data_roots_it_names(monkeypatch):
    monkeypatch.delenv("LAMP_PYG_DATA", raising=False)
    root = "/srv/somewhere/data"
    argv = ["--data-root", root, f"{root}/mulan/x", "--set", f"data.root={root}",
            f"--out={REPO}/records/bench/x.md", "--variant", "graph.kind=knn model.n_layers_dec=1"]
    assert given_data_roots(argv) == [root, root]
    assert record_command("bench/bench_speed.py", argv) == (
        "python bench/bench_speed.py --data-root $LAMP_PYG_DATA $LAMP_PYG_DATA/mulan/x --set "
        "data.root=$LAMP_PYG_DATA --out=records/bench/x.md --variant "
        "'graph.kind=knn model.n_layers_dec=1'")
    assert record_command("x.py", ["/srv/other/file"]) == "python x.py /srv/other/file"
