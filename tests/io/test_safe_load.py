"""Reading torch files as plain data only (lamp_pyg.io.safe_load)."""
from __future__ import annotations

import builtins
import os

import pytest
import torch

from lamp_pyg.graphs import LabelGraph
from lamp_pyg.io.safe_load import UnreadableFileError, UnsafeFileError, load_plain


class SystemPayload:
    """Unpickling calls ``os.system`` (creates ``marker``)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class OpenPayload(SystemPayload):
    """Unpickling calls ``builtins.open`` (creates ``marker``)."""

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


@pytest.mark.parametrize("payload", [SystemPayload, OpenPayload])
def test_a_payload_is_refused_and_does_not_run(tmp_path, payload):
    marker, f = tmp_path / "marker", tmp_path / "bad.pt"
    torch.save({"weights": torch.ones(3), "extra": payload(marker)}, f)
    with pytest.raises(UnsafeFileError, match="not plain data") as e:
        load_plain(f)
    assert e.value.path == str(f) and str(f) in str(e.value)
    assert not marker.exists()
    # the payload is real: the documented opt-in runs it (the test above could fail)
    load_plain(f, trusted=True)
    assert marker.exists()


def test_plain_data_loads(tmp_path):
    state = {"w": torch.arange(4.0), "n": 3, "s": "x", "l": [1.5, None, (1, 2)],
             "d": {"k": True}}
    torch.save(state, tmp_path / "ok.pt")
    out = load_plain(tmp_path / "ok.pt")
    assert torch.equal(out.pop("w"), state.pop("w")) and out == state


@pytest.mark.parametrize("content", [b"", b"not a torch file", None])
def test_truncated_corrupt_or_missing_files_are_named(tmp_path, content):
    f = tmp_path / "x.pt"
    if content is None:
        match = "does not exist"
    else:
        torch.save({"w": torch.ones(100)}, f)
        f.write_bytes(content or f.read_bytes()[:200])
        match = "truncated, corrupt"
    with pytest.raises(UnreadableFileError, match=match) as e:
        load_plain(f)
    assert not isinstance(e.value, UnsafeFileError) and str(f) in str(e.value)


def test_label_graph_files_are_read_as_plain_data(tmp_path):
    g = LabelGraph.from_labels([[0, 1], [1, 2]], "prior", label_names=["a", "b", "c"])
    g.save(tmp_path / "g.pt")
    assert LabelGraph.load(tmp_path / "g.pt") == g
    state = torch.load(tmp_path / "g.pt", weights_only=True)
    state["params"] = {"x": OpenPayload(tmp_path / "marker")}
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(UnsafeFileError):
        LabelGraph.load(tmp_path / "bad.pt")
    assert not (tmp_path / "marker").exists()
