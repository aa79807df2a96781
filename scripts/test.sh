#!/usr/bin/env bash
# Runs every test of leadcast. This is the README's test command and what CI runs (.ci/run).
#
# It installs what the tests need when it is missing. Today that is only the Rust toolchain's
# own tools (tests read ../shared/data beside the project); PostgreSQL and Chromium join here
# with the server and dashboard tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/data ]; then
  echo "warning: ../shared/data is missing; the tests on real data will fail" >&2
fi

# One profile (release) for tests, binaries and benchmarks: dependencies compile once.
cargo test --release --locked "$@"
