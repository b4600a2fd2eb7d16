#!/usr/bin/env bash
# Installs the offline toolchain for the admin web app (stack.md §2, pitfalls P1–P3, P9, P12):
#   rust target wasm32-unknown-unknown, trunk 0.21.14, wasm-bindgen-cli 0.2.130,
#   npm tools (binaryen 132 = wasm-opt, playwright-core 1.65.1, pixelmatch 8 + pngjs 7 for the
#   screenshot comparisons, @directus/sdk 18.0.3 for
#   tests/sdk), Debian chromium and Debian nginx.
# Idempotent and fast: every step first checks what is installed and skips when it matches.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
WASM_BINDGEN_VERSION="0.2.130"
WASM_OPT_VERSION="version_132"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[install-tools] %s\n' "$*"; }
die() { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the output of `cmd --version`, or nothing when cmd is missing or fails.
version_of() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | head -n 1 || true; }

command -v cargo >/dev/null || die "cargo not found (install Rust 1.95 with rustup first)"
command -v rustup >/dev/null || die "rustup not found"

# 1. Rust wasm target.
if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
  log "ok: rust target wasm32-unknown-unknown"
else
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. Trunk. 0.22.x needs rustc 1.96.1 (P1), so pin 0.21.14 with --locked.
if [[ "$(version_of trunk)" == "trunk $TRUNK_VERSION" ]]; then
  log "ok: trunk $TRUNK_VERSION"
else
  log "installing trunk $TRUNK_VERSION (about 7 min on 2 cores; found: '$(version_of trunk)')"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# 3. wasm-bindgen-cli: must equal the wasm-bindgen in Cargo.lock. No --locked (P2).
if [[ "$(version_of wasm-bindgen)" == "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  log "ok: wasm-bindgen $WASM_BINDGEN_VERSION"
else
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 min; found: '$(version_of wasm-bindgen)')"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 4. npm tools from tools/package-lock.json (exact pins). Skipped when every locked package is
#    installed with the same version and integrity (npm's own node_modules/.package-lock.json).
command -v node >/dev/null || die "node not found (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm)"
npm_in_sync() {
  node -e '
    const fs = require("fs");
    const dir = process.argv[1];
    const read = (p) => JSON.parse(fs.readFileSync(p, "utf8"));
    let want, have;
    try {
      want = read(dir + "/package-lock.json").packages;
      have = read(dir + "/node_modules/.package-lock.json").packages;
    } catch (e) { process.exit(1); }
    for (const [path, pkg] of Object.entries(want)) {
      if (path === "") continue;
      const got = have[path];
      if (!got || got.version !== pkg.version || got.integrity !== pkg.integrity) process.exit(1);
      if (!fs.existsSync(dir + "/" + path + "/package.json")) process.exit(1);
    }
  ' "$ROOT/tools"
}
if npm_in_sync; then
  log "ok: npm tools in tools/node_modules match tools/package-lock.json"
else
  log "installing npm tools: npm ci --prefix tools"
  npm ci --prefix "$ROOT/tools" --no-audit --no-fund
fi
wasm_opt_version="$("$ROOT/tools/node_modules/.bin/wasm-opt" --version)"
[[ "$wasm_opt_version" == *"($WASM_OPT_VERSION)"* ]] \
  || die "tools/node_modules/.bin/wasm-opt reports '$wasm_opt_version', expected $WASM_OPT_VERSION"
log "ok: $wasm_opt_version (tools/node_modules/.bin)"

# 5. Debian packages: chromium for browser tests (`npx playwright install` cannot work offline,
#    P9) and nginx, the load balancer of the multi-instance test (tests/api/cluster.rs).
apt_missing=()
if [[ -x /usr/bin/chromium ]]; then
  log "ok: $(/usr/bin/chromium --version 2>/dev/null | head -n 1 || echo /usr/bin/chromium)"
else
  apt_missing+=(chromium chromium-driver)
fi
if [[ -x /usr/sbin/nginx ]]; then
  log "ok: $(/usr/sbin/nginx -v 2>&1 | head -n 1)"
else
  apt_missing+=(nginx-light)
fi
if (( ${#apt_missing[@]} )); then
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null || die "${apt_missing[*]} missing and this user is not root (no sudo)"
    SUDO="sudo"
  fi
  log "installing ${apt_missing[*]} with apt-get"
  $SUDO apt-get update
  # The package's own service is not wanted: the tests start nginx with their own config.
  $SUDO env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends "${apt_missing[@]}"
fi

# Debian binaryen 108 builds a wasm that fails at runtime (P3); build-app.sh puts the npm
# wasm-opt first on PATH, but say so if the Debian one is installed.
if [[ -x /usr/bin/wasm-opt ]]; then
  log "note: /usr/bin/wasm-opt (Debian binaryen) is installed; never put it first on PATH (P3)"
fi

log "all tools present"
