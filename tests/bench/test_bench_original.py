"""bench/bench_original.py: the CPU shims of the released code, its import, and a smoke run.

The shim and import tests need no released code (synthetic sources). The smoke run needs a
checkout of QData/LaMP: set ``LAMP_ORIGINAL`` to it, e.g.

    mkdir -p /tmp/lamp-original && git -C <mirror> archive HEAD | tar -x -C /tmp/lamp-original
    LAMP_ORIGINAL=/tmp/lamp-original pytest tests/bench/test_bench_original.py

(about a minute on a busy 2-core machine); without it that test is skipped.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench.bench_original import (ShimError, flops_lines, load_released, released_name,
                                  released_prior_adjacency, shim_decoders_source)

REPO = Path(__file__).resolve().parents[2]

# the lines of the released lamp/Decoders.py (commit c4152b9) the shims touch, in context;
# RNNDecoder's .cuda() line is not on the graph decoder's path and must stay as it is
DECODERS = '''import torch
import numpy as np


class RNNDecoder(torch.nn.Module):
    def forward(self, tgt_seq):
        dec_output = torch.zeros(tgt_seq.size(0),tgt_seq.size(1),3).cuda()
        return dec_output


class GraphDecoder(torch.nn.Module):
    def __init__(self, n_tgt_vocab=5, d_model=4):
        super(GraphDecoder, self).__init__()
        self.constant_input = torch.from_numpy(np.arange(n_tgt_vocab)).view(-1,1)
        self.tgt_word_emb = torch.nn.Embedding(n_tgt_vocab, d_model)
        self.label_mask = (1 - torch.eye(n_tgt_vocab)).unsqueeze(0)

    def forward(self, tgt, src_seq, enc_output,return_attns=False, int_preds=False):
        batch_size = src_seq.size(0)

        tgt_seq = self.constant_input.repeat(1,batch_size).transpose(0,1).cuda()

        dec_input = self.tgt_word_emb(tgt_seq)

        if self.label_mask is not None:
            dec_slf_attn_mask = self.label_mask.repeat(batch_size,1,1).cuda().byte()
        else:
            dec_slf_attn_mask = None
        scores = torch.bmm(dec_input, dec_input.transpose(1, 2))
        return scores.masked_fill(dec_slf_attn_mask, float("-inf")), None
'''


def test_shim_rewrites_the_two_lines():
    out = shim_decoders_source(DECODERS)
    lines = out.splitlines()
    assert len(lines) == len(DECODERS.splitlines())  # tracebacks keep their line numbers
    tgt = [l for l in lines if "tgt_seq = self.constant_input" in l]
    mask = [l for l in lines if "dec_slf_attn_mask = self.label_mask" in l]
    assert tgt == ["        tgt_seq = self.constant_input.repeat(1,batch_size)"
                   ".transpose(0,1).to(enc_output.device)"]
    assert mask == ["            dec_slf_attn_mask = self.label_mask.repeat(batch_size,1,1)"
                    ".to(enc_output.device).bool()"]
    # nothing else changed (the RNN decoder's .cuda() line included)
    changed = [(a, b) for a, b in zip(DECODERS.splitlines(), lines) if a != b]
    assert len(changed) == 2
    assert "torch.zeros(tgt_seq.size(0),tgt_seq.size(1),3).cuda()" in out


@pytest.mark.parametrize("drop", ["tgt_seq = self.constant_input", "dec_slf_attn_mask = self.label_mask"])
def test_shim_fails_when_a_line_is_missing(drop):
    src = "\n".join(l for l in DECODERS.splitlines() if drop not in l)
    with pytest.raises(ShimError, match="expected exactly one match"):
        shim_decoders_source(src)


def test_shim_refuses_already_patched_or_duplicated_source():
    with pytest.raises(ShimError):
        shim_decoders_source(shim_decoders_source(DECODERS))
    twice = DECODERS + "\n" + DECODERS[DECODERS.index("class GraphDecoder"):]
    with pytest.raises(ShimError, match="found 2"):
        shim_decoders_source(twice)


def _fake_checkout(root: Path) -> None:
    (root / "lamp").mkdir()
    (root / "lamp" / "__init__.py").write_text("import lamp.Decoders\nimport lamp.Models\n")
    (root / "lamp" / "Decoders.py").write_text(DECODERS)
    (root / "lamp" / "Models.py").write_text("from lamp.Decoders import GraphDecoder\n")
    (root / "config_args.py").write_text("def get_args(parser):\n    return parser.parse_args()\n")


def test_load_released_runs_the_shimmed_decoder_on_cpu(tmp_path):
    _fake_checkout(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    rel = load_released(tmp_path)
    assert "lamp" not in sys.modules and "config_args" not in sys.modules  # left as found
    assert rel.models.GraphDecoder is rel.decoders.GraphDecoder
    dec = rel.decoders.GraphDecoder()
    scores, _ = dec(None, torch.zeros(3, 7, dtype=torch.long), torch.zeros(3, 7, 4))
    assert scores.shape == (3, 5, 5)
    assert torch.isinf(scores[:, 0, 1]).all() and torch.isfinite(scores[:, 0, 0]).all()
    # the checkout is untouched: no rewritten file, no __pycache__
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "lamp" / "Decoders.py").read_text() == DECODERS


def test_load_released_rejects_a_folder_without_the_code(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a checkout"):
        load_released(tmp_path)


def test_every_lamp_pyg_parameter_has_a_distinct_released_name():
    from lamp_pyg.models import LaMP, LaMPConfig
    L = 3
    ei = torch.tensor([[0, 1, 2, 0], [0, 1, 2, 1]])
    model = LaMP(LaMPConfig(num_labels=L, vocab_size=9, d_model=8, d_ff=8, heads=2), ei)
    names = [released_name(n) for n, _ in model.named_parameters()]
    assert len(set(names)) == len(names)
    assert "tgt_word_proj.linear.weight" in names
    assert "decoder.layer_stack.1.slf_attn.fc.weight" in names
    assert "encoder.layer_stack.0.pos_ffn.w_2.bias" in names


def test_released_prior_adjacency():
    adj = released_prior_adjacency([[0, 2], [1], [2, 3, 0]], 4)
    want = torch.eye(4)
    for a, b in ((0, 2), (2, 3), (0, 3)):
        want[a, b] = want[b, a] = 1
    assert torch.equal(adj, want)


def test_quick_run_against_the_released_code(tmp_path, data_root):
    original = os.environ.get("LAMP_ORIGINAL")
    if not original:
        pytest.skip("set LAMP_ORIGINAL to a checkout of the released QData/LaMP code to run "
                    "bench/bench_original.py --quick against it")
    original = Path(original)
    before = sorted(p.relative_to(original) for p in original.rglob("*"))
    out = tmp_path / "original.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_original.py"), "--quick", "--compile",
         "--original", str(original), "--data-root", str(data_root), "--out", str(out)],
        capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "| arm | train s/step (median) | vs released | eval s/batch | vs released | peak RSS |" in text
    r = json.loads(out.with_suffix(".json").read_text())
    for arm in r["arms"]:
        assert f"| {arm} |" in text
        assert "error" not in r["memory"][arm], r["memory"][arm]
    assert r["setup"]["prior_mask_equals_lamp_pyg_graph"]
    fl = r["flops_per_step"]
    assert all(fl[a] > 1e9 for a in r["arms"]), fl
    if "lamp-pyg bf16" in fl:  # the same model: autocast changes the dtype, not the work
        assert fl["lamp-pyg bf16"] == fl["lamp-pyg fp32"] == fl["lamp-pyg bf16 compiled"]
        assert r["check"]["max_abs_logit_diff[lamp-pyg bf16 compiled]"] < 0.1
    assert "| arm | GFLOP per training step |" in text
    # same weights, dropout off: the released code and lamp-pyg compute the same logits
    assert r["check"]["max_abs_logit_diff[lamp-pyg fp32]"] < 1e-4
    assert sorted(p.relative_to(original) for p in original.rglob("*")) == before


def test_flops_lines_divide_work_by_the_matmul_rate():
    r = {"flops_per_step": {"released": 60e9, "lamp-pyg fp32": 40e9, "lamp-pyg bf16": 40e9},
         "matmul_gflops": {"float32": 200.0, "bfloat16": 800.0},
         "arms": ["released", "lamp-pyg fp32", "lamp-pyg bf16"],
         "results": {"train": {"released": [1.0, 1.2, 1.1], "lamp-pyg fp32": [0.8],
                               "lamp-pyg bf16": [0.4]}}}
    rows = [l for l in flops_lines(r) if l.startswith("| lamp") or l.startswith("| released")]
    # work / rate = floor; released median 1.1 s / floor = the most any arm could gain
    assert rows == ["| released | 60.0 | 55 | 0.300 | 3.67x |",
                    "| lamp-pyg fp32 | 40.0 | 50 | 0.200 | 5.50x |",
                    "| lamp-pyg bf16 | 40.0 | 100 | 0.050 | 22.00x |"]
    assert flops_lines(dict(r, flops_per_step=None)) == []
