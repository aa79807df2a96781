#!/usr/bin/env bash
# Tourism benchmark: leadcast forecast-series vs statsforecast AutoETS and Theta, one core.
# Usage: bash benches/tourism.sh [--validate | --holdout K] [--sets quarterly,monthly] [--skip-statsforecast] [--with-arima]
# Creates (once) a Python venv under target/bench-venv with statsforecast, builds leadcast in
# release, then runs benches/tourism.py pinned to CPU 0 (taskset -c 0), statsforecast with n_jobs=1.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/bench-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import statsforecast' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet statsforecast
fi
cargo build --release --quiet
# One core for everything: statsforecast (n_jobs=1) and the leadcast process it launches.
NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    taskset -c 0 "$VENV/bin/python" benches/tourism.py "$@"
