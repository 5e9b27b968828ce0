#!/usr/bin/env bash
# Full-size classification runs (the examples at their paper sizes), one data set per call:
# bash bench/classification.sh mnist|fashion-mnist. Each run's output goes to
# bench/results/raw/classification-<dataset>-<n>.log, and its test errors and times to the
# records bench/results/classification-<dataset>-<model>.json (bench/record-classification.ts).
set -euo pipefail
dataset=${1:-mnist}
mkdir -p bench/results/raw
log=bench/results/raw/classification-$dataset.log
: >"$log"
runs=0
run() {
  runs=$((runs + 1))
  local run_log=bench/results/raw/classification-$dataset-$runs.log
  echo "== $*" | tee -a "$log"
  npx tsx "$@" --dataset "$dataset" 2>&1 | grep -v 'nodedir' | tee "$run_log" | tee -a "$log"
  npx tsx bench/record-classification.ts "$run_log" "bash bench/classification.sh $dataset" "$@" --dataset "$dataset"
}
run examples/rbm-classifier.ts --epochs 10 --tune 100 --hidden 500 --out "runs/$dataset/rbm-classifier"
run examples/discriminative-rbm.ts --epochs 40 --hidden 500 --out "runs/$dataset/discriminative-rbm"
run examples/discriminative-rbm.ts --epochs 30 --hidden 500 --alpha 0.01 --out "runs/$dataset/hybrid-rbm"
run examples/dbn-classifier.ts --epochs 5 --tune 100 --hidden 500,500,2000 --out "runs/$dataset/dbn-classifier"
