#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, a short run of every fuzz target, the API
# suite on SQLite and on the local PostgreSQL (each test makes and drops its own database), and
# the browser tests against a real server with the built web app. CI calls exactly this (.ci/run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export SLUICE_TEST_PG_URL="${SLUICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

step() { printf '\n[test] === %s\n' "$*"; }
started=$SECONDS

step "tools"
scripts/install-tools.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy -p app --target wasm32-unknown-unknown -- -D warnings

step "web app build"
scripts/build-app.sh
# The browser test (tests/api/browser.rs) runs against the app just built.
export SLUICE_BROWSER_TESTS=1

step "unit and API tests on SQLite"
# Some API tests run the binary as a child process (tests/support/process.rs).
cargo build -p server --bin sluice
SLUICE_TEST_DB=sqlite cargo test

step "fuzz (short)"
# Each fuzz target (docs/fuzzing.md) on the unit-test build just made: 10 000 inputs, or 20 s,
# whichever comes first (the plain run above gave each 256). The 1 000 000-input runs and how to
# replay a failing input are in docs/fuzzing.md.
SLUICE_FUZZ_CASES=10000 SLUICE_FUZZ_SECS=20 cargo test --lib fuzz -- --nocapture --test-threads 1

step "web app unit tests (host)"
cargo test -p app

step "API tests on PostgreSQL"
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "[test] PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  exit 1
fi
SLUICE_TEST_DB=postgres cargo test

# Databases of tests that crashed before cleaning up.
if command -v psql >/dev/null; then
  for db in $(psql "$SLUICE_TEST_PG_URL" -Atc "select datname from pg_database where datname like 'sluice_test_%' or datname like 'sluice_mig_%'" 2>/dev/null); do
    psql "$SLUICE_TEST_PG_URL" -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true
  done
fi

printf '\n[test] all tests passed in %ss\n' "$((SECONDS - started))"
