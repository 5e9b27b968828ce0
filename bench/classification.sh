#!/usr/bin/env bash
# Full-size classification runs of issue #10 (the examples at their paper sizes), one data set
# per call: bash bench/classification.sh mnist|fashion-mnist. Logs go to bench/results/.
set -euo pipefail
dataset=${1:-mnist}
log=bench/results/classification-$dataset.log
: >"$log"
run() { echo "== $*" | tee -a "$log"; npx tsx "$@" --dataset "$dataset" 2>&1 | grep -v 'nodedir' | tee -a "$log"; }
run examples/rbm-classifier.ts --epochs 10 --tune 100 --hidden 500 --out "runs/$dataset/rbm-classifier"
run examples/discriminative-rbm.ts --epochs 40 --hidden 500 --out "runs/$dataset/discriminative-rbm"
run examples/discriminative-rbm.ts --epochs 30 --hidden 500 --alpha 0.01 --out "runs/$dataset/hybrid-rbm"
run examples/dbn-classifier.ts --epochs 5 --tune 100 --hidden 500,500,2000 --out "runs/$dataset/dbn-classifier"
