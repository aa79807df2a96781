#!/usr/bin/env bash
# Benchmark: file-to-file batch scoring of 1,000,000 simulated leads with `leadcast score`,
# for the linear and the tree model, with and without explanations. Prints rows per second.
#
#   bash benches/score_speed.sh [LEADS]      # default 1,000,000
set -euo pipefail
cd "$(dirname "$0")/.."
leads=${1:-1000000}
cargo build --release --locked --quiet
bin=target/release/leadcast
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
$bin generate --out "$work/world" --leads "$leads" >/dev/null 2>&1
rows=$(($(wc -l < "$work/world/leads.csv") - 1))
printf '%-28s %10s %10s %12s\n' run rows seconds rows/s
for model in logistic gbdt; do
  $bin train scoring --data data/sample --model "$model" --models "$work/m-$model" >/dev/null 2>&1
  for explain in "" "--explain"; do
    start=$(date +%s.%N)
    $bin score --models "$work/m-$model" --input "$work/world/leads.csv" --output "$work/out.csv" $explain >/dev/null 2>&1
    end=$(date +%s.%N)
    secs=$(echo "$end - $start" | bc -l)
    printf '%-28s %10d %10.2f %12.0f\n' "$model ${explain:-(no explain)}" "$rows" "$secs" "$(echo "$rows / $secs" | bc -l)"
  done
done
