#!/usr/bin/env bash
# `npm run test:e2e` (= bash scripts/run.sh e2e): makes sure every pinned n8n is installed (cached
# by version in ~/.cache/n8n-nodes-talking-avatar, so only the first run pays 4-6 min per
# version), then runs every examples/ workflow in the real n8n CLI against the emulator
# (run-examples.mjs), then the retry suite and the error-output suite in a real `n8n start` server
# (retries.mjs, error-output.mjs).
# Usage: bash e2e/run-e2e.sh [versions...] [--keep]     (default: the pinned versions)
set -euo pipefail
E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/toolchain.sh
source "$E2E_DIR/../scripts/toolchain.sh"
ensure_node24
versions=()
for a in "$@"; do [[ "$a" == --* ]] || versions+=("$a"); done
if [ ${#versions[@]} -eq 0 ]; then
  mapfile -t versions < <(node --input-type=module -e "import('$E2E_DIR/n8n-env.mjs').then(m => console.log(m.PINNED_VERSIONS.join('\n')))")
fi
for v in "${versions[@]}"; do
  bash "$E2E_DIR/install-n8n.sh" "$v"
done
# Pack once for both suites (unless a tarball is given).
if [ -z "${E2E_PACKAGE_TARBALL:-}" ]; then
  E2E_PACKAGE_TARBALL="$(node "$E2E_DIR/n8n-env.mjs" pack)"
  export E2E_PACKAGE_TARBALL
fi
status=0
node "$E2E_DIR/run-examples.mjs" "$@" || status=$?
# Retry On Fail / Executions-list Retry in a real `n8n start` (task ledger), same versions.
node "$E2E_DIR/retries.mjs" "$@" || status=$?
# On Error → Continue (error output / regular output) in a real `n8n start`, same versions.
node "$E2E_DIR/error-output.mjs" "$@" || status=$?
exit "$status"
