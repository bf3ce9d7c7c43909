import contextlib
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


ENV_TEST_DEVICE = "LAMP_PYG_TEST_DEVICE"


def test_device():
    """The device tests create tensors and modules on: ``$LAMP_PYG_TEST_DEVICE`` (e.g.
    ``cuda``; unset: the CPU). ``bench/gpu_check.sh`` runs the layer and model tests so."""
    import torch
    name = os.environ.get(ENV_TEST_DEVICE, "").strip() or "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError as e:
        raise pytest.UsageError(f"${ENV_TEST_DEVICE}={name!r} is not a torch device ({e})")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise pytest.UsageError(f"${ENV_TEST_DEVICE}={name!r} but CUDA is not available here")
    return dev


test_device.__test__ = False  # a helper, not a test


@contextlib.contextmanager
def on_device(dev):
    """``torch.set_default_device(dev)`` inside (nothing changes for the CPU): factory
    functions and new modules then live on ``dev`` without editing the tests."""
    import torch
    if dev.type == "cpu":
        yield dev
        return
    torch.set_default_device(dev)
    try:
        yield dev
    finally:
        torch.set_default_device(None)


def pytest_configure(config):
    test_device()  # a bad $LAMP_PYG_TEST_DEVICE stops the run before any test


@pytest.fixture(autouse=True)
def default_device():
    """Every test runs on :func:`test_device`."""
    with on_device(test_device()) as dev:
        yield dev
