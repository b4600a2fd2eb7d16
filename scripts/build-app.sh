#!/usr/bin/env bash
# Builds the admin web app into dist/ with `trunk build --release` (stack.md §2).
# Skips the build when dist/ is up to date with app/, style/, index.html, Trunk.toml,
# Cargo.toml and Cargo.lock; `--force` rebuilds. Tools come from scripts/install-tools.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAMP="$ROOT/dist/.release-build"

log() { printf '[build-app] %s\n' "$*"; }
die() { printf '[build-app] ERROR: %s\n' "$*" >&2; exit 1; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help)
      echo "usage: scripts/build-app.sh [--force]"
      exit 0
      ;;
    *) die "unknown argument: $arg (usage: scripts/build-app.sh [--force])" ;;
  esac
done

cd "$ROOT"

# The stamp is written after a successful release build. Trunk empties dist/ on every build,
# so a later `trunk serve` (debug build into dist/, pitfall P10) removes it and forces a rebuild.
if [[ "$force" -eq 0 && -f "$STAMP" ]]; then
  newer="$(find app style index.html Trunk.toml Cargo.toml Cargo.lock -type f -newer "$STAMP" -print -quit)"
  if [[ -z "$newer" ]]; then
    log "dist/ is up to date (use --force to rebuild)"
    exit 0
  fi
  log "rebuilding: $newer changed"
fi

# npm binaryen@132 wasm-opt must come first on PATH (never Debian binaryen 108, pitfall P3).
export PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true

for tool in trunk wasm-bindgen wasm-opt; do
  command -v "$tool" >/dev/null || die "$tool not found; run scripts/install-tools.sh"
done
[[ "$(command -v wasm-opt)" == "$ROOT/tools/node_modules/.bin/wasm-opt" ]] \
  || die "wasm-opt does not come from tools/node_modules; run scripts/install-tools.sh"

log "trunk build --release"
start=$SECONDS
# Stamp with the time the build started, so edits made during the build trigger the next one.
marker="$(mktemp)"
trap 'rm -f "$marker"' EXIT
trunk build --release
touch -r "$marker" "$STAMP"
log "done in $((SECONDS - start)) s: $(cd dist && ls | tr '\n' ' ')"
