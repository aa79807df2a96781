#!/usr/bin/env bash
# Benchmark: leadcast lead scoring against scikit-learn and LightGBM baselines on real data
# (UCI bank marketing, CRM opportunities): AUC, log loss and fit time on identical splits.
#
#   bash benches/scoring_baselines.sh        # from the project root (or anywhere)
#
# Creates a Python virtualenv at target/bench-venv when missing (no root needed), installs
# scikit-learn, lightgbm, pandas and numpy into it, builds leadcast in release mode, then runs
# benches/scoring_baselines.py. If the build fails, the Python baselines still run and the
# leadcast rows read n/a. Tables go to stdout and to target/bench-data/scoring_baselines.md.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/bench-venv
py=$venv/bin/python

# Single-threaded fairness: the baselines get one core, like a single leadcast process.
export OMP_NUM_THREADS=1

if [ ! -x "$py" ]; then
  echo "creating virtualenv $venv" >&2
  mkdir -p target
  python3 -m venv "$venv" || { echo "error: python3 -m venv failed (is the venv module installed?)" >&2; exit 1; }
fi
# Install only when something is missing, so repeated runs need no network.
if ! "$py" -c 'import sklearn, lightgbm, pandas, numpy' >/dev/null 2>&1; then
  echo "installing scikit-learn, lightgbm, pandas, numpy into $venv" >&2
  "$py" -m pip install --quiet --disable-pip-version-check scikit-learn lightgbm pandas numpy
fi

extra=()
if cargo build --release --locked --quiet; then
  # Run a private copy: target/release/leadcast is shared with whoever else builds in this tree,
  # and a rebuild in the middle of the run would otherwise mix two binaries in one table.
  bin_dir=$(mktemp -d)
  trap 'rm -rf "$bin_dir"' EXIT
  cp target/release/leadcast "$bin_dir/leadcast"
  extra+=(--leadcast "$bin_dir/leadcast")
else
  echo "warning: 'cargo build --release --locked' failed; running the Python baselines only (leadcast rows are n/a)" >&2
  extra+=(--skip-leadcast)
fi

"$py" benches/scoring_baselines.py "${extra[@]}"
