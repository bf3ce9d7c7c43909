"""bench_core.matmul_rates: bf16 is probed at the small size where the CPU has no fast bf16."""
import pytest

from bench.bench_core import matmul_line, matmul_rates
from lamp_pyg.training import setup


@pytest.mark.parametrize("fast", [True, False])
def test_matmul_rates_probe_bf16_small_without_fast_bf16(monkeypatch, fast):
    sizes = []
    monkeypatch.setattr(setup, "fast_bf16", lambda device: fast)
    monkeypatch.setattr(setup, "matmul_gflops", lambda dt, size, reps, max_seconds:
                        sizes.append((str(dt)[6:], size, max_seconds)) or float(size))
    g = matmul_rates(floor_size=64, probe_size=8, max_seconds=0.1)
    big = [("float32", 64, 0.1)] + ([("bfloat16", 64, 0.1)] if fast else [])
    assert sorted(sizes) == sorted([("float32", 8, 0.1), ("bfloat16", 8, 0.1)] + big)
    assert g["bf16_size"] == (64 if fast else 8) and g["bfloat16"] == g["bf16_size"]
    assert g["probe"] == {"size": 8, "float32": 8.0, "bfloat16": 8.0}
    assert ("bf16 only probed small" in matmul_line(g)) == (not fast)


def test_matmul_rates_real_probe_is_bounded():
    g = matmul_rates(floor_size=128, probe_size=32, max_seconds=0.02)
    assert g["float32"] > 0 and g["probe"]["bfloat16"] > 0
