import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir():
    """Benchmark data: $LAMP_PYG_DATA if set, else ../shared/data beside the repository."""
    env = os.environ.get("LAMP_PYG_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture
def data_root():
    root = shared_data_dir()
    if not root.is_dir():
        pytest.skip(f"benchmark data not found at {root} (set LAMP_PYG_DATA to its folder)")
    return root


@pytest.fixture(autouse=True)
def single_thread():
    """Test tensors are tiny: one intra-op thread avoids OpenMP spin-waiting, which on a
    shared 2-core machine under load made a 25-step training loop take 35 s instead of 1 s."""
    import torch
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
