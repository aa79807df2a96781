#!/usr/bin/env bash
# Lead and opportunity scoring against the simulator's oracle (issue 3, "Simulator vs oracle"):
# for each pair of seeds A B, generate two worlds of the same laws (world 0), train on A
# (100,000 leads), and judge the lead and the opportunity model on B against truth/ — AUC beside
# the oracle's (the true probabilities), ECE (10 bins), log loss.
#
#   bash benches/scoring_sim.sh [A:B ...]        (default pairs: 1:2 3:4 5:6)
#   EVAL_LEADS=100000 bash benches/scoring_sim.sh
#
# World B has EVAL_LEADS leads (default 300,000, about 41,000 ended deals). With 100,000 leads
# it has about 13,600 deals, and a 10-bin ECE on so few rows is mostly sampling noise: the
# oracle's own ECE there is 0.007–0.016, against 0.003–0.006 on 300,000 leads.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/leadcast
PAIRS=("$@")
EVAL_LEADS=${EVAL_LEADS:-300000}
[ ${#PAIRS[@]} -eq 0 ] && PAIRS=(1:2 3:4 5:6)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB"
printf '%-6s %-12s %-9s %-7s %-7s %-8s %-7s %-14s\n' pair model chosen AUC oracle gap ECE "log loss (oracle)"
for pair in "${PAIRS[@]}"; do
  a=${pair%%:*}; b=${pair##*:}
  [ -d "$WORK/w$a" ] || $BIN generate --out "$WORK/w$a" --seed "$a" --leads 100000 >/dev/null 2>&1
  [ -d "$WORK/e$b" ] || $BIN generate --out "$WORK/e$b" --seed "$b" --leads "$EVAL_LEADS" >/dev/null 2>&1
  m="$WORK/m$a"
  $BIN train scoring --data "$WORK/w$a" --models "$m" >/dev/null 2>&1
  $BIN train opportunity --data "$WORK/w$a" --models "$m" >/dev/null 2>&1
  for kind in scoring opportunity; do
    $BIN evaluate "$kind" --models "$m" --data "$WORK/e$b" --report "$WORK/r$a-$kind" >/dev/null 2>&1
    python3 - "$pair" "$kind" "$WORK/r$a-$kind/metrics.json" <<'PY'
import json, sys
pair, kind, path = sys.argv[1:]
m = json.load(open(path)); o = m["oracle"]
print(f"{pair:<6} {kind:<12} {m['model']:<9} {m['auc']:.4f}  {o['auc']:.4f}  {m['auc'] - o['auc']:+.4f}  "
      f"{m['ece']:.4f}  {m['log_loss']:.4f} ({o['log_loss']:.4f}); oracle ECE {o['ece']:.4f}, rows {m['rows']}")
PY
  done
done
