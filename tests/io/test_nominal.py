"""The rules for nominal ARFF attributes: which value of two reads as 1, which columns a
nominal attribute gets, and when an attribute is identifier-like."""
import numpy as np
import pytest

from lamp_pyg.io.nominal import (ID_DISTINCT_SHARE, ID_MIN_DISTINCT, column_names, id_like,
                                 kept_values, positive_index)


@pytest.mark.parametrize("values, positive", [
    (["YES", "NO"], 0), (["no", "yes"], 1), (["true", "false"], 0), (["F", "T"], 1),
    (["1", "0"], 0), (["0", "1"], 1), (["y", "n"], 0),
    (["absent", "present"], 1),  # neither is a positive word: the second declared value
    (["yes", "true"], 1),  # both are: the second
    ([" Yes ", "No"], 0),  # case and spaces do not matter
])
def test_positive_value(values, positive):
    assert positive_index(values) == positive
    assert column_names("a", values) == [f"a={values[positive]}"]


def test_columns_of_a_nominal_attribute():
    assert kept_values(["YES", "NO"]) == [0, None]
    assert kept_values(["NO", "YES"]) == [None, 0]
    assert kept_values(["2", "10", "1"]) == [0, 1, 2]  # more than two: one-hot
    assert column_names("loc", ["2", "10", "1"]) == ["loc=2", "loc=10", "loc=1"]
    with pytest.raises(ValueError, match="two values"):
        positive_index(["a", "b", "c"])


def test_identifier_like_edges():
    values = [f"v{k}" for k in range(200)]
    n = ID_MIN_DISTINCT
    assert id_like(values, np.arange(n, dtype=float))  # n distinct in n rows
    assert not id_like(values, np.arange(n - 1, dtype=float))  # too few distinct values
    # 90 distinct in 100 rows: at the share; 89: below
    assert ID_DISTINCT_SHARE == 0.9
    assert id_like(values, np.r_[np.arange(90), np.zeros(10)].astype(float))
    assert not id_like(values, np.r_[np.arange(89), np.zeros(11)].astype(float))
    assert not id_like(values, np.r_[np.arange(90), -np.ones(10)][:0])  # no rows
    # missing values (-1) are no value: 25 distinct of 30 rows counts 25 (>= 27 needed)
    assert not id_like(values, np.r_[np.arange(25), -np.ones(5)].astype(float))
    assert not id_like(["a", "b"], np.arange(2, dtype=float))  # binary: never an id
