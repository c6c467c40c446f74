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

# Emulator, demo and benchmark scripts are TypeScript too; they compile into the ignored .build/.
build_dev() {
  rm -rf .build
  tsc -p tsconfig.dev.json
}

task="${1:-}"; shift || true
case "$task" in
  build) ensure_deps; build_package ;;
  dev-build) ensure_deps; build_package; build_dev ;;
  lint) ensure_deps; [ -d dist ] || build_package; node scripts/lint.mjs ;;
  test) ensure_deps; build_package; jest "$@" ;;
  emulator) ensure_deps; build_dev; exec node .build/emulator/cli.js "$@" ;;
  demo) ensure_deps; build_package; build_dev; exec node .build/scripts/demo.js "$@" ;;
  *) echo "usage: scripts/run.sh <build|dev-build|lint|test|emulator|demo>" >&2; exit 2 ;;
esac
