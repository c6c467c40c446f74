#!/usr/bin/env bash
# Entry point behind every npm script: bootstraps Node 24 + dependencies, then runs the task.
# Usage: bash scripts/run.sh <build|lint|test|emulator|demo|dev-build> [args...]
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
  demo) ensure_deps; build_package; build_dev; exec node .build/scripts/demo.js "$@" ;;
  bench) ensure_deps; build_package; build_dev; exec node .build/bench/run.js "$@" ;;
  *) echo "usage: scripts/run.sh <build|build-to|dev-build|lint|test|emulator|demo|bench>" >&2; exit 2 ;;
esac
