#!/usr/bin/env bash
# The real CRM export end to end (issue 4, "Real CRM export" acceptance): import it through
# data/mappings/crm-opportunities.toml, train the opportunity and forecast models, forecast the
# month after the export (2018-01) by rep, team and region, and backtest monthly forecasts.
#
#   bash benches/forecast_crm.sh [PERIODS]      (default: 6 monthly origins)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=${LEADCAST_BIN:-target/release/leadcast}
PERIODS=${1:-6}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB"
$BIN import --data ../shared/data/crm-opportunities --mapping data/mappings/crm-opportunities.toml --out "$WORK/crm" 2>/dev/null | tail -1
$BIN train opportunity --data "$WORK/crm" --models "$WORK/m" | grep -E "held out|model" | head -2
$BIN train forecast --data "$WORK/crm" --models "$WORK/m"
for by in company region team; do
  $BIN forecast --models "$WORK/m" --period 2018-01 --by "$by"
done
/usr/bin/time -f "backtest: %e s wall, %M KiB peak" \
  $BIN backtest --data "$WORK/crm" --grain month --periods "$PERIODS" --report "$WORK/report"
