#!/usr/bin/env bash
# Entry point behind every npm script: bootstraps Node 24 + dependencies, then runs the task.
# Usage: bash scripts/run.sh <build|lint|test|emulator|start|demo|e2e|demo-headless|dev-build|bench> [args...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$ROOT"

build_package() {
  rm -rf dist
  tsc -p tsconfig.json
  gulp build:icons >/dev/null
}

# A complete package (package.json + dist/) in another folder, for parallel work:
# engine tests load it with TEST_PACKAGE_DIR=<dir>.
build_package_to() {
  local out="$1"
  rm -rf "$out" && mkdir -p "$out"
  # Dev-only: others' unfinished files may not type-check yet; tsc still emits, so warn and go on.
  tsc -p tsconfig.json --outDir "$out/dist" --incremental false || echo "[build-to] type errors above (emitted anyway)" >&2
  (cd "$ROOT" && find nodes credentials -name '*.svg' -o -name '*.png' | while read -r f; do mkdir -p "$out/dist/$(dirname "$f")"; cp "$f" "$out/dist/$f"; done)
  cp package.json "$out/"
}

# Emulator, demo and benchmark scripts are TypeScript too; they compile into the ignored .build/.
build_dev() {
  rm -rf .build
  tsc -p tsconfig.dev.json
}

task="${1:-}"; shift || true
case "$task" in
  build) ensure_deps; build_package ;;
  dev-build) ensure_deps; build_package; build_dev ;;
  build-to) ensure_deps; build_package_to "${1:?usage: build-to <dir>}" ;;
  lint) ensure_deps; [ -d dist ] || build_package; node scripts/lint.mjs ;;
  test) ensure_deps; build_package; jest "$@" ;;
  emulator) ensure_deps; build_dev; exec node .build/emulator/cli.js "$@" ;;
  # Real n8n (pinned, installed on first run into a cache linked from e2e/.n8n-<version>):
  # the package is packed from a staging copy, so dist/ and .build/ are not touched.
  start) ensure_deps; exec node scripts/start-n8n.mjs "$@" ;;
  demo) ensure_deps; exec node scripts/demo-n8n.mjs "$@" ;;
  e2e) ensure_deps; bash e2e/run-e2e.sh "$@" ;;
  demo-headless) ensure_deps; build_package; build_dev; exec node .build/scripts/demo.js "$@" ;;
  bench) ensure_deps; build_package; build_dev; exec node .build/bench/run.js "$@" ;;
  *) echo "usage: scripts/run.sh <build|build-to|dev-build|lint|test|emulator|start|demo|e2e|demo-headless|bench>" >&2; exit 2 ;;
esac
