#!/usr/bin/env bash
# How close can any forecast of the simulated quarter be? (issue 4, "Simulator" acceptance)
#
# For each seed, `leadcast generate --future-seed F` draws FUTURES different futures of one
# history: every contract table is the same (the script checks it), only truth/ differs. The
# spread of the 2026Q4 company bookings across them is what no model of that history could
# foresee (a lower bound: a lead's conversion and a deal's eventual discount are drawn when they
# are created, so they stay fixed). leadcast is trained once on the history and its company
# forecast is set against every future.
#
#   bash benches/forecast_noise.sh [SEEDS...]              (default seeds: 1 to 10)
#   FUTURES=40 bash benches/forecast_noise.sh 1 2 3         (futures per history; default 20)
#   LEADCAST_BIN=/tmp/leadcast-old bash benches/forecast_noise.sh   (another build, to compare)
#
# Per seed it prints the futures' median and spread, the share of futures within 5% of their own
# median (the best any P50 could do on that history), and leadcast's P50 against them: its
# distance from the futures' median (the part of its error a better model could remove), the
# share of futures it lands within 5% of, and the share its P10–P90 holds. Then the means.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
FUTURES=${FUTURES:-20}
SEEDS=("$@")
[ ${#SEEDS[@]} -eq 0 ] && SEEDS=(1 2 3 4 5 6 7 8 9 10)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# A private copy of the binary: a rebuild during the run must not mix two builds in one table.
cp "${LEADCAST_BIN:-target/release/leadcast}" "$WORK/leadcast"
BIN=$WORK/leadcast
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB; $FUTURES futures per history"
for s in "${SEEDS[@]}"; do
  : >"$WORK/futures$s.tsv"
  for f in $(seq 0 $((FUTURES - 1))); do
    d="$WORK/w$s-$f"
    $BIN generate --out "$d" --seed "$s" --future-seed "$f" >/dev/null 2>&1
    # The history must be the same in every future: compare the contract tables' checksums.
    sum=$(cd "$d" && cat ./*.csv | sha256sum | cut -c1-16)
    if [ "$f" -eq 0 ]; then
      first=$sum
    elif [ "$sum" != "$first" ]; then
      echo "seed $s future $f: the history differs from future 0's ($sum vs $first)" >&2
      exit 1
    fi
    awk -F, -v f="$f" 'NR > 1 && $2 == "2026Q4" { t += $3 } END { printf "%s\t%.2f\n", f, t }' \
      "$d/truth/bookings.csv" >>"$WORK/futures$s.tsv"
    [ "$f" -eq 0 ] || rm -rf "$d"
  done
  m="$WORK/m$s"
  $BIN train all --data "$WORK/w$s-0" --models "$m" >/dev/null 2>"$WORK/train$s.log" || { cat "$WORK/train$s.log"; exit 1; }
  $BIN forecast --models "$m" --period 2026Q4 --format json >"$WORK/company$s.json"
  rm -rf "$WORK/w$s-0" "$m"
  python3 - "$s" "$WORK/futures$s.tsv" "$WORK/company$s.json" "$WORK/results.tsv" <<'PY'
import json, statistics as st, sys
seed, futures, company, results = sys.argv[1:]
q = [float(l.split("\t")[1]) for l in open(futures).read().split("\n") if l]
c = json.load(open(company))["rows"][0]
med = st.median(q)
within = lambda p: sum(abs(p / x - 1) <= 0.05 for x in q) / len(q)
best = sum(abs(x / med - 1) <= 0.05 for x in q) / len(q)
held = sum(c["p10"] <= x <= c["p90"] for x in q) / len(q)
realised = q[0]
print(f"seed {seed}: futures median {med/1e3:,.0f}k, sd {100*st.stdev(q)/med:.1f}%, "
      f"{100*best:.0f}% of them within 5% of their median; leadcast P50 {c['p50']/1e3:,.0f}k "
      f"({100*(c['p50']/med - 1):+.1f}% from the median, {100*(c['p50']/realised - 1):+.1f}% from future 0), "
      f"within 5% of {100*within(c['p50']):.0f}% of the futures, P10–P90 holds {100*held:.0f}%")
with open(results, "a") as f:
    f.write(f"{seed}\t{st.stdev(q)/med}\t{best}\t{c['p50']/med - 1}\t{within(c['p50'])}\t{held}\n")
PY
done
python3 - "$WORK/results.tsv" <<'PY'
import statistics as st, sys
rows = [[float(x) for x in l.split("\t")] for l in open(sys.argv[1]).read().split("\n") if l]
col = lambda i: [r[i] for r in rows]
print(f"mean over {len(rows)} histories: the futures' sd {100*st.mean(col(1)):.1f}% of their median; "
      f"a P50 at the futures' median lands within 5% of {100*st.mean(col(2)):.0f}% of them; "
      f"leadcast's P50 is {100*st.mean(abs(x) for x in col(3)):.1f}% from that median on average "
      f"(mean {100*st.mean(col(3)):+.1f}%), lands within 5% of {100*st.mean(col(4)):.0f}% of the futures, "
      f"and its P10–P90 holds {100*st.mean(col(5)):.0f}% of them")
PY
