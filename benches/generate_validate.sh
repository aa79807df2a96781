#!/usr/bin/env bash
# Benchmark: generate a large simulated world, then load + validate it; rows per second and
# peak memory (max RSS) of each step.
#
#   bash benches/generate_validate.sh [LEADS]      # default 1,000,000 leads
#
# Needs GNU time (/usr/bin/time; Debian package `time`), installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
leads=${1:-1000000}
if [ ! -x /usr/bin/time ]; then apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }; fi
cargo build --release --locked --quiet
bin=target/release/leadcast
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # label, command...
  local label=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null 2>"$out/stderr.log" || { cat "$out/stderr.log"; exit 1; }
  read -r secs kb < "$log"
  echo "$label $secs $kb"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
read -r _ gsecs gkb < <(measure generate $bin generate --out "$out/w" --leads "$leads")
rows=0
for f in "$out"/w/*.csv; do rows=$((rows + $(wc -l < "$f") - 1)); done
read -r _ vsecs vkb < <(measure validate $bin validate --data "$out/w")
printf '%-22s %12s %10s %14s %12s\n' step rows seconds rows/s "peak MiB"
printf '%-22s %12d %10.2f %14.0f %12.0f\n' "generate (${leads} leads)" "$rows" "$gsecs" "$(echo "$rows / $gsecs" | bc -l)" "$(echo "$gkb / 1024" | bc -l)"
printf '%-22s %12d %10.2f %14.0f %12.0f\n' "load + validate" "$rows" "$vsecs" "$(echo "$rows / $vsecs" | bc -l)" "$(echo "$vkb / 1024" | bc -l)"
du -sh "$out/w" | awk '{print "data size on disk: " $1}'
