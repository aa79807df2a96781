#!/usr/bin/env bash
# Forecast accuracy against the simulator's truth (issue 4, "Simulator" acceptance):
# for each seed, generate a world (defaults: 50,000 leads, 40 reps, 12 quarters to 2026-09-30),
# train every model on it, forecast the quarter after --as-of (2026Q4) by rep and for the
# company, and compare with truth/bookings.csv.
#
#   bash benches/forecast_sim.sh [SEEDS...]        (default seeds: 1 to 10)
#   LEADCAST_BIN=/tmp/leadcast-old bash benches/forecast_sim.sh   (another build, to compare)
#
# Prints one line per seed (company P50 vs truth, rep-level 80% interval coverage) and a summary:
# the mean and spread of the company P50 error, how often P10–P90 held the truth, and the
# truth's own spread across the seeds. Every seed is the same world (the same laws) with other
# noise, so that spread is what no forecast can remove: even the world's expected bookings
# would miss a seed's realised quarter by about that much.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=${LEADCAST_BIN:-target/release/leadcast}
SEEDS=("$@")
[ ${#SEEDS[@]} -eq 0 ] && SEEDS=(1 2 3 4 5 6 7 8 9 10)
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
  python3 - "$s" "$d/truth/bookings.csv" "$WORK/rep$s.json" "$WORK/company$s.json" "$(echo "$t1 - $t0" | bc)" "$WORK/results.tsv" <<'PY'
import csv, json, sys
seed, truth, rep, company, secs, results = sys.argv[1:]
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
with open(results, "a") as f:
    f.write(f"{seed}\t{total}\t{c['p50']}\t{int(inside)}\t{cov}\n")
PY
done
python3 - "$WORK/results.tsv" <<'PY'
import statistics as st, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
truth = [float(r[1]) for r in rows]
err = [float(r[2]) / float(r[1]) - 1 for r in rows]
n = len(rows)
sd = lambda v: st.stdev(v) if len(v) > 1 else float("nan")
print(f"summary over {n} seeds: company P50 error mean {100*st.mean(err):+.1f}% (sd {100*sd(err):.1f}%), "
      f"mean |error| {100*st.mean(abs(e) for e in err):.1f}%, within 5% on {sum(abs(e) <= 0.05 for e in err)}; "
      f"P10–P90 held the truth on {sum(int(r[3]) for r in rows)}; reps covered {st.mean(float(r[4]) for r in rows):.2f} on average")
m = st.mean(truth)
print(f"the truth itself: mean {m/1e3:,.0f}k, sd {100*sd(truth)/m:.1f}% across the seeds; "
      f"{sum(abs(t/m - 1) <= 0.05 for t in truth)} of {n} lie within 5% of that mean")
PY
