"""bench/bench_speed.py runs end to end on the built-in synthetic config (no download),
so the benchmark cannot fall behind the library it measures."""
from bench.bench_speed import eval_speed, train_steps


def test_train_steps_times_every_arm_on_the_same_batches(tmp_path):
    r = train_steps("default", str(tmp_path), rounds=2, warmup=1)
    assert set(r["times"]) == {"reference", "lamp_pyg", "lamp_pyg+bucket"}
    assert all(len(t) == 2 and min(t) > 0 for t in r["times"].values())
    assert r["longest"]["reference"] == r["longest"]["lamp_pyg"]  # same batches
    assert r["num_labels"] == 30 and r["steps_per_epoch"] == -(-r["train_samples"] // 32)


def test_eval_speed_scores_both_arms(tmp_path):
    r = eval_speed("default", str(tmp_path), 16)
    for split in ("valid", "test"):
        assert r[split]["samples"] == 8  # half of the subset from each split
        assert r[split]["lamp_pyg_s"] > 0 and r[split]["reference_s"] > 0


def test_bench_variants_times_each_variant_on_the_synthetic_config(tmp_path):
    from bench.bench_variants import main
    out = tmp_path / "v.md"
    assert main(["--config", "configs/default.yaml", "--variant", "graph.kind=prior",
                 "--variant", "graph.kind=knn graph.k=4", "--steps", "1", "--warmup", "0",
                 "--eval-samples", "8", "--out", str(out)]) == 0
    import json
    r = json.loads(out.with_suffix(".json").read_text())
    prior, knn = r["variants"]["graph.kind=prior"], r["variants"]["graph.kind=knn graph.k=4"]
    assert knn["label_edges"] < prior["label_edges"]
    assert prior["s_per_step"] > 0 and knn["eval_ms_per_sample"] > 0
    assert "| `graph.kind=knn graph.k=4` |" in out.read_text()


def test_bench_variants_refuses_variants_with_other_data(tmp_path):
    import pytest
    from bench.bench_variants import main
    with pytest.raises(ValueError, match="share the data section"):
        main(["--config", "configs/default.yaml", "--variant", "data.max_len=10",
              "--variant", "data.max_len=20", "--out", str(tmp_path / "v.md")])
