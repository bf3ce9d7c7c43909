"""$LAMP_PYG_TEST_DEVICE: how bench/gpu_check.sh runs the layer and model tests on CUDA."""
import pytest
import torch

from tests.conftest import ENV_TEST_DEVICE, on_device, test_device


def test_unset_means_cpu(monkeypatch, default_device):
    monkeypatch.delenv(ENV_TEST_DEVICE, raising=False)
    assert test_device() == torch.device("cpu") and torch.zeros(1).device.type == "cpu"


def test_cuda_without_cuda_and_nonsense_are_usage_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv(ENV_TEST_DEVICE, "cuda")
    with pytest.raises(pytest.UsageError, match=r"\$LAMP_PYG_TEST_DEVICE='cuda' but CUDA is not"):
        test_device()
    monkeypatch.setenv(ENV_TEST_DEVICE, "gpu7")
    with pytest.raises(pytest.UsageError, match="'gpu7' is not a torch device"):
        test_device()


def test_a_device_becomes_the_default_inside_a_test():
    """The fixture's mechanism, on the meta device (there is no GPU here)."""
    with on_device(torch.device("meta")):
        assert torch.nn.Linear(2, 2).weight.device.type == "meta"
        assert torch.tensor([1, 2]).device.type == "meta"
    assert torch.zeros(1).device.type == "cpu"
