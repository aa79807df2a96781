#!/usr/bin/env bash
# Talk tracks (话术), the README figures: train on one simulated world's seed, judge against
# another seed's truth (same world, same catalog): top-1 agreement with the true best, regret,
# off-policy estimates on the held-out seed's logs, and the online simulation (50,000 decisions).
#
#   bash benches/talktrack.sh [LEADS] [DECISIONS]     # defaults: 100,000 leads, 50,000 decisions
#   SEEDS="3 4" bash benches/talktrack.sh              # train on seed 3, judge on seed 4 (default "1 2")
#
# Keeps its work directory (printed) so the report can be opened: WORK/report/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
leads=${1:-100000}
decisions=${2:-50000}
read -r seed_a seed_b <<<"${SEEDS:-1 2}"
cargo build --release --locked --quiet
bin=target/release/leadcast
work=${WORK:-$(mktemp -d)}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "work: $work"
$bin generate --out "$work/wA" --seed "$seed_a" --leads "$leads" | tail -1
$bin generate --out "$work/wB" --seed "$seed_b" --leads "$leads" | tail -1
t0=$(date +%s.%N)
$bin train talktrack --data "$work/wA" --models "$work/m"
t1=$(date +%s.%N)
$bin evaluate talktrack --models "$work/m" --data "$work/wB" --report "$work/report" --decisions "$decisions"
t2=$(date +%s.%N)
printf 'seconds: train %.1f, evaluate %.1f\n' "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)"
# The same model on its own training data: held-out = the latest 20% of touches (refitted on the rest).
$bin evaluate talktrack --models "$work/m" --data "$work/wA" --decisions "$decisions" | sed -n '1,6p'
