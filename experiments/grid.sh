#!/usr/bin/env bash
# Train every (config, graph kind, seed) combination, skipping finished runs and resuming
# interrupted ones. Run directories go under $RUNS (keep them outside the repository).
#
#   RUNS=../runs LAMP_PYG_DATA=../shared/data \
#     bash experiments/grid.sh "emotions yeast scene" "prior full edgeless" "0 1 2" [--set KEY=VALUE ...]
#
# A config is a name in configs/ or a path to a YAML file. Extra arguments go to
# train.py; set TAG to keep runs with different overrides apart (run dir:
# $RUNS/<config>-<graph>[-<TAG>]-seed<seed>, its output in the same path + .log).
# PYTHON picks the interpreter (default: python). Summarise with `python experiments/summarize.py $RUNS/*`. Exits 1 if any run failed.
set -euo pipefail
configs=$1; graphs=$2; seeds=$3; shift 3
RUNS=${RUNS:?set RUNS to a folder outside the repository}
cd "$(dirname "$0")/.."
failed=0
for c in $configs; do
  cfg="configs/$c.yaml"
  if [[ -f "$c" ]]; then cfg=$c; c=$(basename "$c" .yaml); fi
  for g in $graphs; do
    for s in $seeds; do
      dir="$RUNS/$c-$g${TAG:+-$TAG}-seed$s"
      if [[ -f "$dir/results.json" ]]; then echo "done: $dir"; continue; fi
      resume=()
      if [[ -f "$dir/last.pt" ]]; then resume=(--resume); fi
      echo "run: $dir ${resume[*]}"
      mkdir -p "$RUNS"
      if ! "${PYTHON:-python}" train.py --config "$cfg" --set graph.kind="$g" --set train.seed="$s" \
          --set train.progress=false "$@" --run-dir "$dir" "${resume[@]}" >> "$dir.log" 2>&1; then
        echo "FAILED: $dir, see $dir.log"; failed=1
      fi
    done
  done
done
exit $failed
