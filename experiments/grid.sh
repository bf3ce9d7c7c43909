#!/usr/bin/env bash
# Train every (config, graph kind, seed) combination, skipping finished runs and resuming
# interrupted ones. Run directories go under $RUNS (keep them outside the repository).
#
#   RUNS=/work/runs LAMP_PYG_DATA=../shared/data \
#     bash experiments/grid.sh "emotions yeast scene" "prior full edgeless" "0 1 2" [--set KEY=VALUE ...]
#
# Extra arguments are passed to train.py; set TAG to keep runs with different overrides
# apart (run dir: $RUNS/<config>-<graph>[-<TAG>]-seed<seed>). Summarise with
# `python experiments/summarize.py $RUNS/*`.
set -euo pipefail
configs=$1; graphs=$2; seeds=$3; shift 3
RUNS=${RUNS:?set RUNS to a folder outside the repository}
cd "$(dirname "$0")/.."
for c in $configs; do
  for g in $graphs; do
    for s in $seeds; do
      dir="$RUNS/$c-$g${TAG:+-$TAG}-seed$s"
      if [[ -f "$dir/results.json" ]]; then echo "done: $dir"; continue; fi
      resume=()
      if [[ -f "$dir/last.pt" ]]; then resume=(--resume); fi
      echo "run: $dir ${resume[*]}"
      python train.py --config "configs/$c.yaml" --set graph.kind="$g" --set train.seed="$s" \
        --set train.progress=false "$@" --run-dir "$dir" "${resume[@]}" > "$dir.log" 2>&1 \
        || echo "FAILED ($?): $dir, see $dir.log"
    done
  done
done
