#!/usr/bin/env bash
# Forecast accuracy against the simulator's truth (issue 4, "Simulator" acceptance):
# for each seed, generate a world (defaults: 50,000 leads, 40 reps, 12 quarters to 2026-09-30),
# train every model on it, forecast the quarter after --as-of (2026Q4) by rep and for the
# company, and compare with truth/bookings.csv.
#
#   bash benches/forecast_sim.sh [SEEDS...]        (default seeds: 1 2 3 4 5)
#
# Prints one line per seed (company P50 vs truth, rep-level 80% interval coverage) and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/leadcast
SEEDS=("$@")
[ ${#SEEDS[@]} -eq 0 ] && SEEDS=(1 2 3 4 5)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB"
for s in "${SEEDS[@]}"; do
  d="$WORK/w$s"; m="$WORK/m$s"
  $BIN generate --out "$d" --seed "$s" >/dev/null 2>&1
  t0=$(date +%s.%N)
  $BIN train all --data "$d" --models "$m" >/dev/null 2>"$WORK/train$s.log" || { cat "$WORK/train$s.log"; exit 1; }
  t1=$(date +%s.%N)
  $BIN forecast --models "$m" --period 2026Q4 --by rep --format json >"$WORK/rep$s.json"
  $BIN forecast --models "$m" --period 2026Q4 --format json >"$WORK/company$s.json"
  python3 - "$s" "$d/truth/bookings.csv" "$WORK/rep$s.json" "$WORK/company$s.json" "$(echo "$t1 - $t0" | bc)" <<'PY'
import csv, json, sys
seed, truth, rep, company, secs = sys.argv[1:]
actual = {r["rep_id"]: float(r["amount"]) for r in csv.DictReader(open(truth)) if r["period"] == "2026Q4"}
reps = json.load(open(rep))["rows"]
c = json.load(open(company))["rows"][0]
total = sum(actual.values())
cov = sum(1 for r in reps if r["p10"] <= actual.get(r["key"], 0.0) <= r["p90"]) / len(reps)
err = (c["p50"] - total) / total
inside = c["p10"] <= total <= c["p90"]
print(f"seed {seed}: truth {total/1e3:,.0f}k, P50 {c['p50']/1e3:,.0f}k ({100*err:+.1f}%), "
      f"P10–P90 {c['p10']/1e3:,.0f}k–{c['p90']/1e3:,.0f}k ({'covers' if inside else 'misses'}); "
      f"reps covered {cov:.2f} ({len(reps)} reps); train all {float(secs):.1f}s; method: {c['method']}")
PY
done
