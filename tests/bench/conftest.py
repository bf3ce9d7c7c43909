import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny tensors: one intra-op thread avoids OpenMP spin-waiting on a loaded 2-core box."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
