import pytest
import torch_geometric.typing

#: Whether PyG found a working torch-scatter when it was imported (it binds the module
#: then, as ``torch_geometric.typing.torch_scatter``).
PYG_HAS_TORCH_SCATTER = torch_geometric.typing.WITH_TORCH_SCATTER


def use_scatter_backend(monkeypatch, with_torch_scatter):
    """Makes PyG use torch-scatter (True) or its native ``scatter_reduce`` (False); skips
    the test if torch-scatter is asked for but PyG did not find it.

    PyG has no API to choose the backend: it reads its public feature flag
    ``torch_geometric.typing.WITH_TORCH_SCATTER`` at call time, so the flag is what is
    switched (PyG's private ``utils._scatter`` / ``_segment`` are not touched).
    """
    if with_torch_scatter and not PYG_HAS_TORCH_SCATTER:
        pytest.skip("torch-scatter not installed (or it did not import with PyG)")
    monkeypatch.setattr(torch_geometric.typing, "WITH_TORCH_SCATTER", with_torch_scatter)


@pytest.fixture(params=[False, True], ids=["native-scatter", "torch-scatter"])
def scatter_backend(request, monkeypatch):
    """Runs a test with PyG's native scatter and, if it imports, with torch-scatter."""
    use_scatter_backend(monkeypatch, request.param)
    return request.param
