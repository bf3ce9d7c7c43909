"""train.precision=bf16 where bf16 is slow: the bounded probe, the rule, the warning."""
import time

import pytest
import torch

from lamp_pyg.training import setup
from lamp_pyg.training.setup import bf16_warning, matmul_gflops

CPU = torch.device("cpu")
SLOW = {"float32": 65.0, "bfloat16": 0.8}  # measured on an AVX2-only EPYC, 256 x 256


def test_probe_is_bounded_by_its_clock():
    t0 = time.perf_counter()
    rate = matmul_gflops(torch.bfloat16, size=64, reps=10 ** 6, max_seconds=0.05)
    assert rate > 0 and time.perf_counter() - t0 < 5  # not a million products


def test_fast_hardware_never_warns_nor_probes(monkeypatch):
    monkeypatch.setattr(setup, "fast_bf16", lambda device: True)
    monkeypatch.setattr(setup, "matmul_gflops", lambda *a, **k: pytest.fail("probed"))
    assert bf16_warning(CPU) is None


def test_slow_cpu_warns_with_the_measured_rates(monkeypatch):
    monkeypatch.setattr(setup, "fast_bf16", lambda device: False)
    monkeypatch.setattr(setup, "cpu_capability", lambda: "AVX2")
    text = bf16_warning(CPU, rates=SLOW)
    assert text.startswith("train.precision=bf16 on a CPU without AMX / AVX512-BF16 "
                           "(capability AVX2): a bf16 matmul runs at 0.8 GFLOP/s against 65.0 "
                           "in fp32 here (81x slower)")
    assert "auto (which picks fp32 here)" in text


def test_no_fast_flag_but_bf16_measured_fast_does_not_warn(monkeypatch):
    monkeypatch.setattr(setup, "fast_bf16", lambda device: False)
    assert bf16_warning(CPU, rates={"float32": 60.0, "bfloat16": 61.0}) is None


def test_probe_measures_when_no_rates_are_given(monkeypatch):
    monkeypatch.setattr(setup, "fast_bf16", lambda device: False)
    calls = []
    monkeypatch.setattr(setup, "matmul_gflops",
                        lambda dt, device: calls.append(dt) or SLOW[str(dt)[6:]])
    assert "81x slower" in bf16_warning(CPU)
    assert calls == [torch.float32, torch.bfloat16]


@pytest.mark.parametrize("warning", ["bf16 is slow here (test)", None])
def test_train_logs_the_warning_before_training(tmp_path, dense_cfg, monkeypatch, warning):
    from lamp_pyg.training import loop
    from lamp_pyg.training.config import load_config
    from tests.training.helpers import write_config

    monkeypatch.setattr(loop, "bf16_warning", lambda device: warning)
    cfg = load_config(write_config(tmp_path / "c.yaml", dense_cfg(
        train={"epochs": 1, "precision": "bf16"})))
    lines = []
    loop.train(cfg, tmp_path / "run", log=lambda *a: lines.append(" ".join(map(str, a))))
    warned = [i for i, l in enumerate(lines) if l.startswith("warning: ")]
    first_epoch = next(i for i, l in enumerate(lines) if l.startswith("epoch 1:"))
    assert (lines[warned[0]] == f"warning: {warning}" and warned[0] < first_epoch
            if warning else not warned)
