"""Tests for the label inputs LabelGraph.from_labels accepts (lamp_pyg.graphs.labels)."""
import numpy as np
import pytest
import torch

from lamp_pyg.graphs import LabelGraph
from tests.graphs.helpers import ALL_KINDS, L, NAMES, ROWS, dense


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("kind,params", ALL_KINDS)
def test_input_forms_agree(kind, params):
    ref = LabelGraph.from_labels(dense(), kind, label_names=NAMES, **params)
    Yd = dense()
    forms = [
        (ROWS, {"num_labels": L}),
        ([list(reversed(r)) for r in ROWS], {}),  # unsorted rows; L from label_names
        (tuple(np.array(r) for r in ROWS), {"num_labels": L}),
        (Yd.astype(bool), {}),
        (Yd.astype(np.float32), {}),
        (torch.tensor(Yd), {}),
        (torch.tensor(Yd, dtype=torch.bool), {}),
        (torch.tensor(Yd, dtype=torch.float).to_sparse(), {}),
        (torch.tensor(Yd, dtype=torch.float).to_sparse_csr(), {}),
    ]
    for Y, extra in forms:
        assert LabelGraph.from_labels(Y, kind, label_names=NAMES, **extra, **params) == ref


def test_scipy_sparse_input():
    sp = pytest.importorskip("scipy.sparse")
    ref = LabelGraph.from_labels(dense(), "knn", k=2)
    assert LabelGraph.from_labels(sp.csr_matrix(dense()), "knn", k=2) == ref
    assert LabelGraph.from_labels(sp.coo_matrix(dense().astype(bool)), "knn", k=2) == ref
    with pytest.raises(ValueError, match="binary"):
        LabelGraph.from_labels(sp.csr_matrix(dense() * 3), "prior")


@pytest.mark.parametrize("Y,match", [
    (np.array([[0, 2], [1, 0]]), "binary"),
    (np.array([[0, 0.5]]), "binary"),
    (np.array([[0, np.nan]]), "binary"),
    (torch.tensor([[0.0, -1.0]]), "binary"),
    (np.array([1, 0, 1]), "2-D"),
    (np.zeros((2, 3, 4)), "2-D"),
    (torch.zeros(3), "2-D"),
    (np.zeros((3, 0)), "at least one label"),
    ("abc", "expected a multi-hot label matrix"),
])
def test_bad_label_matrix(Y, match):
    with pytest.raises(ValueError, match=match):
        LabelGraph.from_labels(Y, "prior")


def test_bad_label_lists():
    with pytest.raises(ValueError, match="needs num_labels"):
        LabelGraph.from_labels(ROWS, "prior")
    with pytest.raises(ValueError, match=r"label index 7 in example 1 is out of range.*\[0, 5\)"):
        LabelGraph.from_labels([[0], [7]], "prior", num_labels=5)
    with pytest.raises(ValueError, match="out of range"):
        LabelGraph.from_labels([[-1]], "prior", num_labels=5)
    with pytest.raises(ValueError, match="listed twice in example 0"):
        LabelGraph.from_labels([[0, 1, 1, 0]], "prior", num_labels=5)  # a dense row by mistake
    with pytest.raises(ValueError, match="integer label indices"):
        LabelGraph.from_labels([[0.5]], "prior", num_labels=5)
    with pytest.raises(ValueError, match="not a list"):
        LabelGraph.from_labels([1, 2], "prior", num_labels=5)
    with pytest.raises(ValueError, match="does not match"):
        LabelGraph.from_labels(dense(), "prior", num_labels=4)
