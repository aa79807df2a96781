#!/usr/bin/env bash
# Runs every test of leadcast. This is the README's test command and what CI runs (.ci/run).
#
# It installs what the tests need when it is missing: PostgreSQL (a throw-away cluster is started
# for the server's multi-replica tests and stopped at the end) and Chromium with chromedriver
# (the dashboard's browser test). Tests read ../shared/data beside the project.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/data ]; then
  echo "warning: ../shared/data is missing; the tests on real data will fail" >&2
fi

# A real headless browser for the dashboard test (Debian packages).
# A CJK font so the Chinese screenshots show characters, not boxes.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  echo "installing chromium, chromium-driver and a CJK font (apt)" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >&2
fi

# Python for the notebooks' headless run (nbclient and what the notebooks import) and for the
# OpenAPI conformance run (schemathesis, pinned: its checks change between releases), from PyPI.
SCHEMATHESIS=schemathesis==4.32.5
if [ ! -x target/nb-venv/bin/python ] || ! target/nb-venv/bin/python -c "import nbclient, ipykernel, pandas, matplotlib" 2>/dev/null \
  || [ "$(target/nb-venv/bin/schemathesis --version 2>/dev/null)" != "schemathesis, version ${SCHEMATHESIS##*==}" ]; then
  echo "installing the notebook runner and schemathesis into target/nb-venv (pip)" >&2
  python3 -m venv target/nb-venv >&2 || { apt-get install -y -qq python3-venv >&2 && python3 -m venv target/nb-venv >&2; }
  target/nb-venv/bin/pip install -q nbclient nbformat ipykernel pandas matplotlib "$SCHEMATHESIS" >&2
fi

# A real PostgreSQL for the server tests (LEADCAST_TEST_PG); each test makes its own database.
pg=$(bash scripts/pg.sh)
pg_dir=${pg%% *}
export LEADCAST_TEST_PG=${pg#* }
trap 'bash scripts/pg.sh stop "$pg_dir"' EXIT

# One profile (release) for tests, binaries and benchmarks: dependencies compile once.
cargo test --release --locked "$@"
