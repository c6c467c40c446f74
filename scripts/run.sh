#!/usr/bin/env bash
# Entry point behind every npm script: bootstraps Node 24 + dependencies, then runs the task.
# Usage: bash scripts/run.sh <build|lint|lint-n8n|test|test-editor|emulator|start|demo|e2e|callbacks|queue|callback-wait|demo-headless|dev-build|bench> [args...]
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

# `n8n-node lint` (@n8n/node-cli, the official tool) on what an n8n-node project holds: package.json,
# eslint.config.mjs, tsconfig.json, nodes/ and credentials/, copied to a staging folder. The CLI
# runs `eslint .`, and package.json's `n8n.strict` makes it refuse an eslint.config.mjs that differs
# from its template, so the config cannot ignore our dev-only TypeScript (test/, bench/, emulator/,
# scripts/demo.ts), which the cloud rules (no process, setTimeout, node:fs ...) are not meant for.
# `--root` runs it on the whole repository as is instead.
n8n_node_lint() {
  if [ "${1:-}" = "--root" ]; then shift; n8n-node lint "$@"; return; fi
  local stage rc=0
  stage="$(mktemp -d "${TMPDIR:-/tmp}/n8n-node-lint.XXXXXX")"
  cp package.json eslint.config.mjs tsconfig.json "$stage/"
  cp -r nodes credentials "$stage/"
  ln -s "$ROOT/node_modules" "$stage/node_modules"
  # Report paths relative to the repository, not to the staging folder.
  (cd "$stage" && n8n-node lint "$@") > >(sed -u "s|$stage/||g") 2>&1 || rc=$?
  wait
  rm -rf "$stage"
  return "$rc"
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
  lint-n8n) ensure_deps; n8n_node_lint "$@" ;;
  test) ensure_deps; build_package; jest "$@" ;;
  emulator) ensure_deps; build_dev; exec node .build/emulator/cli.js "$@" ;;
  # Real n8n (pinned, installed on first run into a cache linked from e2e/.n8n-<version>):
  # the package is packed from a staging copy, so dist/ and .build/ are not touched.
  start) ensure_deps; exec node scripts/start-n8n.mjs "$@" ;;
  demo) ensure_deps; exec node scripts/demo-n8n.mjs "$@" ;;
  e2e) ensure_deps; bash e2e/run-e2e.sh "$@" ;;
  # The trigger nodes in a real `n8n start` (pinned 1.x + 2.x, or the versions given): provider
  # callbacks / webhooks from the emulator to n8n's production webhook URLs, forged ones refused.
  callbacks) ensure_deps
    vs=(); for a in "$@"; do case "$a" in --*) ;; *) vs+=("$a") ;; esac; done
    [ ${#vs[@]} -gt 0 ] || mapfile -t vs < <(node --input-type=module -e "import('$ROOT/e2e/n8n-env.mjs').then(m => console.log(m.PINNED_VERSIONS.join('\\n')))")
    for v in "${vs[@]}"; do bash e2e/install-n8n.sh "$v"; done   # a no-op when the cache holds it
    exec node e2e/callbacks.mjs "$@" ;;
  # n8n queue mode (Redis + Postgres from Debian, installed when missing; main + 2 workers; pinned 2.x).
  queue) ensure_deps
    v=2.41.1; for a in "$@"; do case "$a" in --*) ;; *) v="$a" ;; esac; done
    bash e2e/install-n8n.sh "$v"   # a no-op when the cache holds it
    exec node e2e/queue.mjs "$@" ;;
  # Wait By → Provider Callback in a real `n8n start` on the pinned versions (or those given).
  callback-wait) ensure_deps
    vs=(); for a in "$@"; do case "$a" in --*) ;; *) vs+=("$a") ;; esac; done
    [ ${#vs[@]} -gt 0 ] || mapfile -t vs < <(node --input-type=module -e "import('$ROOT/e2e/n8n-env.mjs').then(m => console.log(m.PINNED_VERSIONS.join('\\n')))")
    for v in "${vs[@]}"; do bash e2e/install-n8n.sh "$v"; done
    exec node e2e/callback-wait.mjs "$@" ;;
  # The editor in a real browser (Debian chromium + playwright-core) against the `npm start` stack.
  test-editor) ensure_deps; exec node e2e/editor.mjs "$@" ;;
  demo-headless) ensure_deps; build_package; build_dev; exec node .build/scripts/demo.js "$@" ;;
  bench) ensure_deps; build_package; build_dev; exec node .build/bench/run.js "$@" ;;
  *) echo "usage: scripts/run.sh <build|build-to|dev-build|lint|lint-n8n|test|test-editor|emulator|start|demo|e2e|callbacks|queue|callback-wait|demo-headless|bench>" >&2; exit 2 ;;
esac
