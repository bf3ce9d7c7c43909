"""bench/time_to_accuracy.py on hand-written run folders (no training)."""
import json

import numpy as np
import pytest
import torch

from bench.time_to_accuracy import main, original_curve, run_curve, selected_curve


def write_run(folder, epochs, results=True):
    """epochs: [(train_s, eval_s, test_s, valid_ebF1, test_ebF1 or None)]."""
    folder.mkdir(parents=True)
    rows = [dict(epoch=e + 1, train_loss=0.1, valid_ebF1=v, threshold=0.2, train_seconds=tr,
                 eval_seconds=ev, test_seconds=te, samples_per_second=1.0,
                 **({} if x is None else {"test_ebF1": x}))
            for e, (tr, ev, te, v, x) in enumerate(epochs)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if results:
        (folder / "results.json").write_text(json.dumps(
            {"headline": {"ebF1": {"test": 0.45}}, "machine": {"cpu": "X", "torch_threads": 2,
                                                               "fast_bf16": False}}))
    return folder


def test_selected_curve_keeps_the_best_valid_epoch():
    # epoch 3 is worse on valid: the model kept is still epoch 2's; ties keep the earlier
    assert selected_curve([10, 10, 10, 10], [0.3, 0.4, 0.35, 0.4], [0.31, 0.42, 0.9, 0.1]) == [
        (10, 0.31), (20, 0.42), (30, 0.42), (40, 0.42)]


def test_run_curve_clock_leaves_test_scoring_out(tmp_path):
    run = write_run(tmp_path / "r", [(60, 20, 15, 0.3, 0.31), (50, 19, 16, 0.45, 0.448)])
    c = run_curve(run)
    assert c["curve"] == [(65, 0.31), (118, 0.448)] and c["seconds"] == 118
    assert c["final"] == 0.45 and c["source"] == "metrics.jsonl"


def test_old_run_without_per_epoch_test_gives_its_end_point(tmp_path):
    run = write_run(tmp_path / "old", [(60, 20, 15, 0.3, None), (50, 19, 16, 0.45, None)])
    c = run_curve(run)
    assert c["curve"] == [(118, 0.45)] and c["source"] == "results.json"
    with pytest.raises(ValueError, match="no finished epoch"):
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty" / "metrics.jsonl").write_text("")
        run_curve(tmp_path / "empty")


def test_original_run_folder_scored_with_lamp_pyg_metrics(tmp_path):
    Y = torch.tensor([[1, 0, 0], [0, 1, 1]], dtype=torch.float32)
    (tmp_path / "epochs").mkdir()
    for e, S in ((1, Y * 0.3), (2, Y * 0.9 + 0.05)):
        for split in ("valid", "test"):
            torch.save(S, tmp_path / "epochs" / f"{split}_preds{e}.pt")
            torch.save(Y, tmp_path / "epochs" / f"{split}_targets{e}.pt")
    (tmp_path / "stdout.log").write_text(
        "(Training) elapse: 1.000 min\nB : 0.1\n(Validation) elapse: 0.100 min\n"
        "(Testing) elapse: 0.500 min\n(Training) elapse: 2.000 min\n"
        "(Validation) elapse: 0.200 min\n")
    c = original_curve(tmp_path)
    assert [round(t, 6) for t, _ in c["curve"]] == [66.0, 198.0]
    assert [x for _, x in c["curve"]] == [1.0, 1.0]  # perfect ranking: some threshold is exact
    (tmp_path / "epochs" / "test_preds2.pt").unlink()
    with pytest.raises(ValueError, match="epoch 2 is in .* predictions are missing"):
        original_curve(tmp_path)


def test_main_writes_table_json_and_png(tmp_path):
    write_run(tmp_path / "runs" / "a-seed0", [(60, 20, 15, 0.3, 0.31), (50, 19, 16, 0.45, 0.448)])
    write_run(tmp_path / "runs" / "b-seed0", [(60, 20, 15, 0.3, None)])
    lr = tmp_path / "lr.json"
    lr.write_text(json.dumps({"date": "D", "results": [
        {"dataset": "bibtex", "linear": {"ebF1": 0.4527}, "seconds": 175.5}]}))
    out = tmp_path / "out" / "tta.md"
    assert main(["--arm", f"a={tmp_path}/runs/a-*", "--arm", f"b={tmp_path}/runs/b-*",
                 "--lr", str(lr), "--out", str(out)]) == 0
    text = out.read_text()
    assert "| a | " in text and "| 2 | 118 | 0.4500 | 118 | metrics.jsonl |" in text
    assert "| 1 | <= 65 (end only) | 0.4500 | 65 | results.json |" in text
    assert "test ebF1 0.4527 after 176 s" in text
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads(out.with_suffix(".json").read_text())["target"] == 0.447
    assert main(["--arm", f"c={tmp_path}/nothing-*", "--out", str(out)]) == 2
