#!/usr/bin/env bash
# The GPU check, for the day a CUDA machine is lent (never run yet; under 10 minutes):
#   1. the layer and model tests (tests/nn, tests/models) on CUDA ($LAMP_PYG_TEST_DEVICE=cuda)
#   2. one bibtex epoch of configs/bibtex_fast.yaml on CUDA in fp32, then in bf16
#   3. the same epoch as a two-process torchrun on the one GPU (may well fail: NCCL refuses
#      two ranks on one device, and each rank takes cuda:LOCAL_RANK; the output says)
# Each step has its own timeout and a failed step does not stop the next.
#   LAMP_PYG_DATA=/path/to/shared/data bash bench/gpu_check.sh [OUT]
# OUT defaults to records/bench/gpu-check-<date>.md (the log, as markdown).
set -u
cd "$(dirname "$0")/.."
OUT=${1:-records/bench/gpu-check-$(date +%F).md}
RUNS=$(mktemp -d)
mkdir -p "$(dirname "$OUT")"
: "${LAMP_PYG_DATA:?set LAMP_PYG_DATA to the folder holding mulan/bibtex/}"
export LAMP_PYG_DATA PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

step() {  # step <title> <timeout seconds> <command...>: runs it, logs command, output, rc, time
    local title=$1 limit=$2; shift 2
    echo; echo "## $title"; echo; echo "\`$*\` (timeout ${limit} s)"; echo; echo '```'
    local t0=$SECONDS
    timeout "$limit" "$@" 2>&1 | tail -n 60
    local rc=${PIPESTATUS[0]}
    echo '```'; echo; echo "exit status $rc, $((SECONDS - t0)) s"
}

EPOCH=(--config configs/bibtex_fast.yaml --set train.device=cuda --set train.epochs=1
       --set train.progress=false --set eval.plots=false)
{
    echo "# GPU check ($(date -u +%FT%TZ))"
    echo; echo "- command: \`bash bench/gpu_check.sh $*\`, commit $(git rev-parse --short HEAD 2>/dev/null)"
    echo "- machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -n 1); $(nproc --all) CPU cores"
    echo "- $(python -c 'import torch, torch_geometric as g; print(f"torch {torch.__version__} (CUDA {torch.version.cuda}), PyG {g.__version__}, bf16 supported: {torch.cuda.is_available() and torch.cuda.is_bf16_supported()}")' 2>&1)"
    step "layer and model tests on CUDA" 240 env LAMP_PYG_TEST_DEVICE=cuda \
        python -m pytest -q -p no:cacheprovider tests/nn tests/models
    step "one bibtex epoch, fp32" 90 python train.py "${EPOCH[@]}" --set train.precision=fp32 \
        --run-dir "$RUNS/fp32"
    step "one bibtex epoch, bf16" 90 python train.py "${EPOCH[@]}" --set train.precision=bf16 \
        --run-dir "$RUNS/bf16"
    step "one bibtex epoch, two-process torchrun on one GPU" 90 torchrun --standalone \
        --nproc_per_node=2 train.py "${EPOCH[@]}" --set train.precision=fp32 --run-dir "$RUNS/ddp"
    echo; echo "seconds per epoch (metrics.jsonl):"; echo '```'
    for arm in fp32 bf16 ddp; do echo "$arm: $(cat "$RUNS/$arm/metrics.jsonl" 2>/dev/null || echo 'no epoch finished')"; done
    echo '```'
} | tee "$OUT"
rm -rf "$RUNS"
echo "wrote $OUT" >&2
