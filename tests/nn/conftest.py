import pytest
import torch_geometric.typing
import torch_geometric.utils._scatter
import torch_geometric.utils._segment


def _import_torch_scatter():
    try:
        import torch_scatter
    except Exception:  # not installed, or a half-finished build that fails to load
        return None
    return torch_scatter


def use_scatter_backend(monkeypatch, with_torch_scatter):
    """Makes PyG use torch-scatter (True) or its native ``scatter_reduce`` (False); skips
    the test if torch-scatter is asked for but does not import.

    PyG reads ``torch_geometric.typing.WITH_TORCH_SCATTER`` at call time and the module
    object through ``from torch_geometric.typing import torch_scatter`` at import time, so
    both are patched (torch-scatter may have been installed after PyG was imported).
    """
    if with_torch_scatter:
        torch_scatter = _import_torch_scatter()
        if torch_scatter is None:
            pytest.skip("torch-scatter not installed")
        for mod in (torch_geometric.typing, torch_geometric.utils._scatter,
                    torch_geometric.utils._segment):
            monkeypatch.setattr(mod, "torch_scatter", torch_scatter)
    monkeypatch.setattr(torch_geometric.typing, "WITH_TORCH_SCATTER", with_torch_scatter)


@pytest.fixture(params=[False, True], ids=["native-scatter", "torch-scatter"])
def scatter_backend(request, monkeypatch):
    """Runs a test with PyG's native scatter and, if it imports, with torch-scatter."""
    use_scatter_backend(monkeypatch, request.param)
    return request.param
