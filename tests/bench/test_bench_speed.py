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
