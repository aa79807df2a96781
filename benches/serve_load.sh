#!/usr/bin/env bash
# Load test of `leadcast serve` (issue 6's benchmark). On a 2-core machine the server is pinned
# to core 0 and the load generator (oha) to core 1, as a fair fight needs.
#
# Measures, in one run: a bare axum JSON echo of a 16-field lead (examples/echo_server.rs, the
# yardstick); single-lead scoring with explain=false and with explanations (max throughput at
# 16 connections, with wrk: the cheaper client, so the server is what runs out); p99 at half the
# explain=false maximum (rate-limited, with oha); a batch of 1,000 leads (p50, one connection);
# talk-track recommend and quota forecast; and the same single-lead scoring served by FastAPI +
# uvicorn + a scikit-learn pipeline (installed into target/bench-venv). Prints a table with the
# ratios.
#
# This machine's neighbours make single runs swing by ±20%, so the three throughput runs are
# interleaved (echo, score, score with explanations; echo last in even rounds) ROUNDS times
# after a warm-up, and the table shows each one's median run and the median of the per-round
# ratios to echo.
#
#   bash benches/serve_load.sh [SECONDS_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${ROUNDS:-9}
tools=target/bench-tools
oha=$tools/bin/oha
if [ ! -x "$oha" ]; then
  echo "installing oha from crates.io into $tools" >&2
  cargo install oha --locked --root "$tools" >&2
fi
if ! command -v wrk > /dev/null; then
  echo "installing wrk from Debian's packages" >&2
  sudo apt-get install -y wrk >&2 || apt-get install -y wrk >&2
fi
cargo build --release --bin leadcast --example echo_server >&2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

lead='{"lead":{"lead_id":"L-1","source":"referral","industry":"manufacturing","company_size":"201-1000","region":"east","persona":"finance","owner_id":"R001","product_interest":"CRM Pro","email_opens":4,"web_visits":2,"calls":1,"meetings":0,"created_at":"2026-09-01","converted":null,"converted_at":null},"explain":false}'
lead_explain=${lead%false\}}true}
python3 - "$work/batch.json" <<'PY'
import json, sys
lead = {"lead_id": "L-1", "source": "referral", "industry": "manufacturing", "company_size": "201-1000", "region": "east",
        "persona": "finance", "owner_id": "R001", "product_interest": "CRM Pro", "email_opens": 4, "web_visits": 2,
        "calls": 1, "meetings": 0, "created_at": "2026-09-01"}
json.dump({"leads": [dict(lead, lead_id=f"L-{i}") for i in range(1000)], "explain": False}, open(sys.argv[1], "w"))
PY

wait_up() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; exit 1; }

# run NAME URL KEY BODY CONNECTIONS [RATE] -> appends "name rps p50 p99" to $work/results
run() {
  local name=$1 url=$2 key=$3 body=$4 conns=$5 rate=${6:-}
  local extra=()
  [ -n "$rate" ] && extra=(-q "$rate")
  if [ "${body:0:1}" = "@" ]; then extra+=(-D "${body:1}"); else extra+=(-d "$body"); fi
  taskset -c 1 "$oha" -z "${secs}s" -c "$conns" "${extra[@]}" --no-tui --output-format json -m POST \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$url" > "$work/$name.json"
  python3 - "$work/$name.json" "$name" >> "$work/results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if not k.startswith("2"))
print(sys.argv[2], round(s["requestsPerSec"]), round(p["p50"] * 1e3, 3), round(p["p99"] * 1e3, 3), bad)
PY
}

: > "$work/results"
: > "$work/rounds"
# wrk NAME URL KEY BODY: max throughput at 16 connections -> appends "name rps p50 p99 bad" to $work/rounds
wrk_run() {
  local name=$1 url=$2 key=$3 body=$4
  printf '%s' "$body" > "$work/$name.body"
  cat > "$work/$name.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("$work/$name.body"); wrk.body = f:read("*a"); f:close()
LUA
  taskset -c 1 wrk -t1 -c16 -d"${secs}s" --latency -s "$work/$name.lua" "$url" > "$work/$name.wrk"
  python3 - "$work/$name.wrk" "$name" >> "$work/rounds" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
ms = lambda s: float(s[:-2]) if s.endswith("ms") else float(s[:-2]) / 1e3 if s.endswith("us") else float(s[:-1]) * 1e3
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"\n\s+50%\s+(\S+)", t).group(1))
p99 = ms(re.search(r"\n\s+99%\s+(\S+)", t).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(sys.argv[2], round(rps), round(p50, 3), round(p99, 3), int(bad.group(1)) if bad else 0)
PY
}

export LEADCAST_API_KEYS="bench:admin:bench-key"
taskset -c 0 target/release/examples/echo_server 127.0.0.1:18090 > /dev/null & pids+=($!)
taskset -c 0 target/release/leadcast serve --models models --addr 127.0.0.1:18080 --state-dir "$work/state" > /dev/null 2> "$work/serve.log" & pids+=($!)
wait_up http://127.0.0.1:18090/
wait_up http://127.0.0.1:18080/healthz
score_url=http://127.0.0.1:18080/v1/leads/score
secs_main=$secs; secs=2
wrk_run warm_echo http://127.0.0.1:18090/echo none "$lead"; wrk_run warm_score "$score_url" bench-key "$lead"
secs=$secs_main; : > "$work/rounds"
# Odd rounds run echo first, even rounds last, so an order effect cancels out.
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then wrk_run echo http://127.0.0.1:18090/echo none "$lead"; fi
  wrk_run score "$score_url" bench-key "$lead"
  wrk_run score_explain "$score_url" bench-key "$lead_explain"
  if [ $((r % 2)) = 0 ]; then wrk_run echo http://127.0.0.1:18090/echo none "$lead"; fi
done
# Each name's median run (by req/s), and the median over rounds of each round's own ratio to
# the echo run beside it (pairs cancel the slow swings of a shared machine).
python3 - "$work/rounds" >> "$work/results" <<'PY'
import sys
runs = {}
for l in open(sys.argv[1]):
    f = l.split()
    runs.setdefault(f[0], []).append(f)
med = lambda xs: sorted(xs)[len(xs) // 2]
for name, rs in runs.items():
    ratios = [float(r[1]) / float(e[1]) for r, e in zip(rs, runs["echo"])]
    by_rps = sorted(rs, key=lambda f: float(f[1]))
    print(" ".join(by_rps[len(rs) // 2]), f"{med(ratios):.2f}", "runs:" + ",".join(f[1] for f in rs))
PY
half=$(awk '$1=="score"{print int($2/2)}' "$work/results")
kill "${pids[0]}"
run score_half_rate http://127.0.0.1:18080/v1/leads/score bench-key "$lead" 16 "$half"
run batch_1000 http://127.0.0.1:18080/v1/leads/score bench-key "@$work/batch.json" 1
if curl -s http://127.0.0.1:18080/openapi.json | grep -q '/v1/talk-tracks/recommend'; then
  run recommend http://127.0.0.1:18080/v1/talk-tracks/recommend bench-key \
    '{"stage":"negotiation","persona":"finance","industry":"manufacturing","objection":"price","language":"zh","k":3}' 16
fi
if curl -s http://127.0.0.1:18080/openapi.json | grep -q '/v1/forecasts/quota'; then
  taskset -c 1 "$oha" -z "${secs}s" -c 4 --no-tui --output-format json \
    -H "Authorization: Bearer bench-key" "http://127.0.0.1:18080/v1/forecasts/quota?period=2026Q4&level=rep" > "$work/quota.json"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); s,p=r['summary'],r['latencyPercentiles']; print('quota_forecast', round(s['requestsPerSec']), round(p['p50']*1e3,3), round(p['p99']*1e3,3), sum(v for k,v in r.get('statusCodeDistribution',{}).items() if not k.startswith('2')))" "$work/quota.json" >> "$work/results"
fi
kill "${pids[-1]}"

venv=target/bench-venv
if [ ! -x "$venv/bin/uvicorn" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q fastapi uvicorn scikit-learn pandas >&2
fi
(cd benches && LEADCAST_ROOT=.. taskset -c 0 "../$venv/bin/uvicorn" fastapi_baseline:app --port 18070 --workers 1 --log-level warning) & pids+=($!)
wait_up http://127.0.0.1:18070/docs
run fastapi http://127.0.0.1:18070/v1/leads/score none "$lead" 16

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB; ${secs}s per run; server on core 0, wrk/oha on core 1; throughput: median of $rounds interleaved rounds"
echo "lead: a typical one of data/sample (every category seen in training)"
python3 - "$work/results" <<'PY'
import sys
rows = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1]) if l.strip()}
echo = float(rows["echo"][0])
print(f"{'run':<18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}  ratio")
for name, (rps, p50, p99, bad, *runs) in rows.items():
    ratio = " ".join(runs[1:])
    if name in ("score", "score_explain"):
        ratio = f"{runs[0]} of echo (median of paired rounds); " + ratio
    if name == "fastapi":
        ratio = f"leadcast is {float(rows['score'][0]) / max(float(rps), 1):.0f}x"
    print(f"{name:<18}{rps:>10}{p50:>10}{p99:>10}{bad:>9}  {ratio}")
PY
