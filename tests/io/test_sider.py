"""Tests for lamp_pyg.io.sider: CSV validation, SMILES -> graph, missing RDKit, real data."""
import functools
import sys

import numpy as np
import pytest

from lamp_pyg.io import DataFormatError, RawDataset, read_sider
from lamp_pyg.io.sider import RDKIT_INSTALL_HINT, smiles_to_graph

HEADER = 'smiles,Hepatobiliary disorders,"Neoplasms benign, malignant",Eye disorders\n'


def need_rdkit():
    return pytest.importorskip("rdkit", reason="RDKit not installed (pip install rdkit)")


def write(tmp_path, text, name="sider.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- CSV errors (no RDKit needed)

@pytest.mark.parametrize("body,line,what", [
    ("CCO,1,0,1\nCCN,1,0\n", 3, "expected 4 fields (smiles + 3 labels), got 3"),
    ("CCO,1,0,1\nCCN,1,0,1,0\n", 3, "got 5"),
    ("CCO,1,2,1\n", 2, "label 'Neoplasms benign, malignant' must be 0 or 1, got '2'"),
    ("CCO,1,0,1\nCCN,,0,1\n", 3, "label 'Hepatobiliary disorders' must be 0 or 1, got ''"),
    ("CCO,1,0,yes\n", 2, "label 'Eye disorders' must be 0 or 1, got 'yes'"),
    ("CCO,1,0,1\n,1,0,1\n", 3, "empty SMILES"),
    ('CCO,1,0,1\n"CCN,1,0,1\n', 3, "CSV error: unexpected end of data"),  # unclosed quote
    ('CCO,1,0,1\n"CC\nN",1,0\nCCC,1,1,1\n', 3, "expected 4 fields"),  # record spans lines 3-4
])
def test_csv_row_errors_name_the_line(tmp_path, body, line, what):
    p = write(tmp_path, HEADER + body)
    with pytest.raises(DataFormatError) as ei:
        read_sider(p)
    assert ei.value.path == str(p)
    assert ei.value.line == line
    assert what in ei.value.message


@pytest.mark.parametrize("text,what", [
    ("", "empty file"),
    ("mol,a,b\nCCO,1,0\n", "expected first column 'smiles', got 'mol'"),
    ("smiles\nCCO\n", "no label columns"),
    ("smiles,a,a\nCCO,1,0\n", "repeats label column(s) ['a']"),
    ("smiles,a,\nCCO,1,0\n", "empty label name"),
])
def test_csv_header_errors(tmp_path, text, what):
    with pytest.raises(DataFormatError) as ei:
        read_sider(write(tmp_path, text))
    assert ei.value.line == 1 and what in ei.value.message


def test_bad_option():
    with pytest.raises(ValueError, match="on_invalid_smiles"):
        read_sider("unused.csv", on_invalid_smiles="ignore")


# ---------------------------------------------------------------- missing RDKit

def test_missing_rdkit_message_says_how_to_install(tmp_path, monkeypatch):
    p = write(tmp_path, HEADER + "CCO,1,0,1\n")
    # a None entry in sys.modules makes `import rdkit` / `from rdkit import Chem` fail
    for mod in ("rdkit", "rdkit.Chem", "rdkit.rdBase"):
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(ImportError) as ei:
        read_sider(p)
    msg = str(ei.value)
    assert msg == RDKIT_INSTALL_HINT
    assert "pip install rdkit" in msg and "pip install lamp-pyg[chem]" in msg
    with pytest.raises(ImportError, match=r"pip install rdkit"):
        smiles_to_graph("CCO")


def test_csv_is_validated_before_rdkit_is_needed(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rdkit", None)
    with pytest.raises(DataFormatError, match="must be 0 or 1"):
        read_sider(write(tmp_path, HEADER + "CCO,1,0,3\n"))


# ---------------------------------------------------------------- molecules (RDKit)

def test_smiles_to_graph_tokens_and_edges():
    need_rdkit()
    g = smiles_to_graph("CCO")
    assert g["atoms"] == ["C", "C", "O"] and g["smiles"] == "CCO"
    assert g["edge_index"].dtype == np.int64
    assert g["edge_index"].tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]

    benzene = smiles_to_graph("c1ccccc1")
    assert benzene["atoms"] == ["c"] * 6 and benzene["edge_index"].shape == (2, 12)

    salt = smiles_to_graph("[NH4+].[Cl-]")
    assert salt["atoms"] == ["N+", "Cl-"]
    assert salt["edge_index"].shape == (2, 0) and salt["edge_index"].dtype == np.int64

    assert smiles_to_graph("[Ca+2].[O-]C(=O)C")["atoms"] == ["Ca+2", "O-", "C", "O", "C"]
    assert smiles_to_graph("c1cc[n+](C)cc1")["atoms"] == ["c", "c", "c", "n+", "C", "c", "c"]
    assert smiles_to_graph("[O-2]")["atoms"] == ["O-2"]
    # hydrogens are implicit: [H] bonded to carbon is removed by RDKit's default parsing
    assert smiles_to_graph("[H]C([H])([H])O")["atoms"] == ["C", "O"]


@pytest.mark.parametrize("bad,why", [("C1CC", "syntax"), ("C(C)(C)(C)(C)C", "sanitisation")])
def test_smiles_to_graph_rejects_invalid(bad, why):
    need_rdkit()
    with pytest.raises(ValueError, match=why):
        smiles_to_graph(bad)


def test_read_small_file(tmp_path):
    need_rdkit()
    p = write(tmp_path, HEADER + "CCO,1,0,1\n\nc1ccccc1,0,0,0\n[Na+].[Cl-],0,1,0\n")
    ds = read_sider(p)
    assert isinstance(ds, RawDataset) and ds.kind == "molecule" and ds.name == "sider"
    assert list(ds.splits) == ["all"]
    assert ds.label_names == ["Hepatobiliary disorders", "Neoplasms benign, malignant", "Eye disorders"]
    s = ds.splits["all"]
    assert s.ids == ["2", "4", "5"]
    assert s.labels == [[0, 2], [], [1]]
    assert [x["smiles"] for x in s.inputs] == ["CCO", "c1ccccc1", "[Na+].[Cl-]"]
    assert s.inputs[2]["atoms"] == ["Na+", "Cl-"]
    assert ds.skipped == {"blank_lines": 1}
    assert ds.sources == [str(p)]


def test_invalid_smiles_skipped_or_raised(tmp_path):
    need_rdkit()
    p = write(tmp_path, HEADER + "CCO,1,0,1\nC1CC,1,1,1\nC(C)(C)(C)(C)C,0,0,1\nCCN,0,1,0\n")
    with pytest.warns(UserWarning, match=r"skipped 2 SMILES .*line 3: SMILES syntax error"):
        ds = read_sider(p)
    assert ds.skipped == {"invalid_smiles": 2}
    assert ds.splits["all"].ids == ["2", "5"]
    with pytest.raises(DataFormatError) as ei:
        read_sider(p, on_invalid_smiles="raise")
    assert ei.value.line == 3 and "C1CC" in ei.value.message


# ---------------------------------------------------------------- real data

@functools.lru_cache(maxsize=None)
def _real(path):
    return read_sider(path)


@pytest.fixture
def sider(data_root):
    need_rdkit()
    p = data_root / "sider" / "sider.csv"
    if not p.is_file():
        pytest.skip(f"SIDER not found at {p}")
    return _real(str(p))


def test_real_statistics(sider):
    st = sider.stats()
    assert st["instances"] == 1427
    assert st["labels"] == 27
    assert round(st["cardinality"], 2) == 15.32
    assert max(len(x["atoms"]) for x in sider.splits["all"].inputs) == 492
    assert sider.skipped == {}  # every SMILES parses with current RDKit (checked: 2026.09.1)
    names = sider.label_names
    assert names[0] == "Hepatobiliary disorders" and names[-1] == "Injury, poisoning and procedural complications"
    assert "Neoplasms benign, malignant and unspecified (incl cysts and polyps)" in names
    s = sider.splits["all"]
    assert s.ids[0] == "2" and s.ids[-1] == "1428"
    assert s.inputs[0]["smiles"] == "C(CNCCNCCNCCN)N"


def test_real_graphs_are_well_formed(sider):
    tokens = set()
    for g in sider.splits["all"].inputs:
        n, ei = len(g["atoms"]), g["edge_index"]
        tokens.update(g["atoms"])
        assert ei.dtype == np.int64 and ei.ndim == 2 and ei.shape[0] == 2
        assert ei.shape[1] % 2 == 0
        if ei.size:
            assert ei.min() >= 0 and ei.max() < n
            assert not (ei[0] == ei[1]).any()
            fwd = set(map(tuple, ei.T.tolist()))
            assert fwd == {(j, i) for i, j in fwd} and len(fwd) == ei.shape[1]
    assert {"C", "c", "N", "n", "O", "N+", "O-", "Na+", "Cl"} <= tokens
    assert len(tokens) == 70
