#!/usr/bin/env bash
# Runs Sluice on a fresh machine: installs missing tools, builds the web app and the server
# (release), and starts it on SQLite (./data.db) at http://127.0.0.1:8055 with the app at /admin.
# Any Directus variable (PORT, DB_CLIENT=pg, DB_CONNECTION_STRING, ADMIN_EMAIL, …) can be set in
# the environment or in ./.env.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

scripts/install-tools.sh
scripts/build-app.sh
echo "[run] cargo build --release -p server"
cargo build --release -p server
export SLUICE_APP_DIR="${SLUICE_APP_DIR:-$ROOT/dist}"
echo "[run] starting Sluice: API http://127.0.0.1:${PORT:-8055}  app http://127.0.0.1:${PORT:-8055}/admin"
exec "$ROOT/target/release/sluice"
