#!/usr/bin/env bash
# The scoring latency right after a start, on a one-core server: while the server draws its
# dashboard in the background (at start and after each reload).
#
# Each round starts `leadcast serve --models models --data data/sample` (the README's first
# command, so there is a dashboard to draw) pinned to core 0, waits for /healthz,
# then at once asks oha (pinned to core 1) for RATE requests/s of `POST /v1/leads/score`
# (`explain=false`, 16 connections) for SECONDS, and again for SECONDS from 25 s after the
# start, when the draw is long done. It prints the p50 / p99 / p99.9 of both runs per round
# and their medians over the rounds. The server's binary is LEADCAST_BIN (default
# target/release/leadcast), so two builds can be compared on the same machine.
#
#   bash benches/serve_cold.sh [ROUNDS] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
rate=${2:-12000}
secs=${3:-4}
bin=${LEADCAST_BIN:-target/release/leadcast}
tools=target/bench-tools
oha=$tools/bin/oha
if [ ! -x "$oha" ]; then
  echo "installing oha from crates.io into $tools" >&2
  cargo install oha --locked --root "$tools" >&2
fi
if [ -z "${LEADCAST_BIN:-}" ]; then cargo build --release --bin leadcast >&2; fi
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

lead='{"lead":{"lead_id":"L-1","source":"referral","industry":"manufacturing","company_size":"201-1000","region":"east","persona":"finance","owner_id":"R001","product_interest":"CRM Pro","email_opens":4,"web_visits":2,"calls":1,"meetings":0,"created_at":"2026-09-01","converted":null,"converted_at":null},"explain":false}'
export LEADCAST_API_KEYS="bench:admin:bench-key"

# load NAME -> appends "NAME p50 p99 p99.9 rps" (ms) to $work/results
load() {
  taskset -c 1 "$oha" -z "${secs}s" -c 16 -q "$rate" --no-tui --output-format json -m POST -d "$lead" \
    -H "Authorization: Bearer bench-key" -H 'Content-Type: application/json' \
    http://127.0.0.1:18081/v1/leads/score > "$work/out.json"
  python3 - "$work/out.json" "$1" >> "$work/results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p, codes = r["latencyPercentiles"], r.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if not k.startswith("2"))
if bad:
    sys.exit(f"{bad} responses were not 2xx")
print(sys.argv[2], *(round(p[k] * 1e3, 3) for k in ("p50", "p99", "p99.9")), round(r["summary"]["requestsPerSec"]))
PY
}

if curl -s -o /dev/null http://127.0.0.1:18081/healthz; then
  echo "error: something already answers on 127.0.0.1:18081 (a server left from an earlier run?)" >&2
  exit 1
fi
: > "$work/results"
for r in $(seq "$rounds"); do
  rm -rf "$work/state"
  start=$(date +%s.%N)
  taskset -c 0 "$bin" serve --models models --data data/sample --addr 127.0.0.1:18081 --state-dir "$work/state" > /dev/null 2> "$work/serve.log" &
  pid=$!
  for _ in $(seq 1 600); do curl -s -o /dev/null http://127.0.0.1:18081/healthz && break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null || { echo "error: the server exited:" >&2; cat "$work/serve.log" >&2; exit 1; }
  load cold
  sleep "$(python3 -c "import time; print(max(0.0, 25 - (time.time() - $start)))")"
  load steady
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); binary $bin; $rounds rounds, $rate req/s for ${secs} s; server on core 0, oha on core 1"
python3 - "$work/results" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
print("| run | p50 ms | p99 ms | p99.9 ms | req/s |")
print("|---|---|---|---|---|")
for name, label in (("cold", "from the first answer"), ("steady", "25 s after the start")):
    rs = [[float(x) for x in r[1:]] for r in rows if r[0] == name]
    cols = list(zip(*rs))
    print(f"| {label} (per round) | " + " | ".join(", ".join(f"{v:g}" for v in c) for c in cols) + " |")
    print(f"| {label} (median) | " + " | ".join(f"{st.median(c):g}" for c in cols) + " |")
PY
