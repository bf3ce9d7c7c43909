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


@pytest.fixture(params=[False, True], ids=["native-scatter", "torch-scatter"])
def scatter_backend(request, monkeypatch):
    """Runs a test with PyG's native ``scatter_reduce`` and, if it imports, with torch-scatter.

    PyG reads ``torch_geometric.typing.WITH_TORCH_SCATTER`` at call time and the module
    object through ``from torch_geometric.typing import torch_scatter`` at import time, so
    both are patched (torch-scatter may have been installed after PyG was imported).
    """
    if request.param:
        torch_scatter = _import_torch_scatter()
        if torch_scatter is None:
            pytest.skip("torch-scatter not installed")
        for mod in (torch_geometric.typing, torch_geometric.utils._scatter,
                    torch_geometric.utils._segment):
            monkeypatch.setattr(mod, "torch_scatter", torch_scatter)
    monkeypatch.setattr(torch_geometric.typing, "WITH_TORCH_SCATTER", request.param)
    return request.param


@pytest.fixture(autouse=True)
def single_thread():
    """These tensors are tiny: one intra-op thread avoids OpenMP spin-waiting, which on a
    shared 2-core machine under load made a 25-step training loop take 35 s instead of 1 s."""
    import torch
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
