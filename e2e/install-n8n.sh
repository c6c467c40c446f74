#!/usr/bin/env bash
# Installs a real n8n@<version> into ~/.cache/n8n-nodes-talking-avatar/n8n-<version>/, linked from
# the git-ignored e2e/.n8n-<version>, using Node 24 from the
# project toolchain, for the end-to-end tests. Cached: a folder whose `.installed` marker names
# the same version is left alone. Prints timing and disk size.
#
# Usage: bash e2e/install-n8n.sh <version>        e.g. 1.123.81 or 2.40.5
#        FORCE=1 bash e2e/install-n8n.sh <version>  reinstall even if cached
#
# Quirk handled here: n8n-nodes-base depends on `xlsx` via a CDN tarball URL (cdn.sheetjs.com)
# that is unreachable from this machine, so the install folder's package.json overrides it with
# the registry's xlsx@0.18.5. This override lives ONLY in the install folder, never in the
# project package.json.
# Second quirk: the registry this machine reaches holds some recent releases but not all of their
# dependencies (e.g. linkedom@0.18.15 -> cssomnom: E404; a langchain package -> @langchain/core
# ^1.3.4: ETARGET), so resolving today's newest semver matches breaks n8n 2.4x. We therefore
# resolve the tree "as of" the n8n release: npm --before=<publish date of n8n@<version> + 7 days>.
# Override with N8N_INSTALL_BEFORE=<date> or disable with N8N_INSTALL_BEFORE=none.
# Exact pins cannot be fixed this way: n8n 2.41.3 pins @n8n/agents@0.26.2, absent here.
# Third quirk (n8n 2.x): n8n-nodes-base depends on @confluentinc/kafka-javascript, whose install
# script downloads a prebuilt librdkafka from GitHub or else builds it, downloading zlib/openssl/
# zstd/curl sources from the internet: impossible here. So we install with --ignore-scripts and
# then `npm rebuild` every package that has install scripts except those in SKIP_SCRIPTS (only the
# Kafka nodes are affected; sqlite3, isolated-vm etc. are still built against Node 24 headers).
set -euo pipefail

SKIP_SCRIPTS="${N8N_INSTALL_SKIP_SCRIPTS:-@confluentinc/kafka-javascript}"
VERSION="${1:-}"
if [ -z "$VERSION" ]; then
  echo "usage: bash e2e/install-n8n.sh <n8n-version>" >&2
  exit 2
fi

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/toolchain.sh
source "$E2E_DIR/../scripts/toolchain.sh"
ensure_node24

# The install lives in a per-version cache folder OUTSIDE the clone (CI runs in a fresh clone
# each time; reinstalling costs 4-6 min per version) and is linked from the ignored
# e2e/.n8n-<version>. Override the cache root with N8N_E2E_CACHE_DIR.
CACHE_ROOT="${N8N_E2E_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-talking-avatar}"
DEST="$CACHE_ROOT/n8n-$VERSION"
LINK="$E2E_DIR/.n8n-$VERSION"
MARKER="$DEST/.installed"
mkdir -p "$CACHE_ROOT"
# An older layout installed straight into e2e/.n8n-<version>: move it into the cache (no re-download).
if [ -d "$LINK" ] && [ ! -L "$LINK" ] && [ -f "$LINK/.installed" ] && [ ! -e "$DEST" ]; then
  mv "$LINK" "$DEST"
fi
link_install() {
  if [ ! -L "$LINK" ] || [ "$(readlink "$LINK")" != "$DEST" ]; then
    rm -rf "$LINK"
    ln -s "$DEST" "$LINK"
  fi
}

if [ -z "${FORCE:-}" ] && [ -f "$MARKER" ] && [ "$(head -n1 "$MARKER")" = "$VERSION" ] \
   && [ -x "$DEST/node_modules/.bin/n8n" ]; then
  link_install
  echo "[install-n8n] n8n@$VERSION already installed in $DEST (cached; FORCE=1 to reinstall)"
  exit 0
fi

rm -rf "$DEST"
mkdir -p "$DEST"
cat > "$DEST/package.json" <<JSON
{
  "name": "n8n-e2e-install-$VERSION",
  "private": true,
  "description": "Throwaway install of n8n@$VERSION for e2e tests (created by e2e/install-n8n.sh)",
  "dependencies": {
    "n8n": "$VERSION"
  },
  "overrides": {
    "xlsx": "0.18.5"
  }
}
JSON

BEFORE="${N8N_INSTALL_BEFORE:-}"
if [ -z "$BEFORE" ]; then
  published="$(npm view "n8n@$VERSION" time --json 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s)[process.argv[1]];if(t)console.log(new Date(Date.parse(t)+7*864e5).toISOString().slice(0,10))})' "$VERSION" || true)"
  BEFORE="${published:-none}"
fi
BEFORE_ARGS=()
[ "$BEFORE" != "none" ] && BEFORE_ARGS=(--before="$BEFORE")

echo "[install-n8n] installing n8n@$VERSION with node $(node --version) / npm $(npm --version 2>/dev/null) into $DEST (resolve before: $BEFORE)"
echo "[install-n8n] log: $DEST/install.log"
start=$(date +%s)
set +e
(
  cd "$DEST"
  # npm_config_yes: ~/.npmrc has yes=false; some lifecycle scripts use npx.
  # npm_config_nodedir (from ensure_node24): native modules (sqlite3, isolated-vm, ...) build
  # against Node 24 headers; no prebuilt binaries can be downloaded from GitHub here.
  # Scripts are run in a second step so that packages whose native build cannot work offline
  # can be skipped (see SKIP_SCRIPTS above).
  npm_config_yes=true npm install --no-audit --no-fund --loglevel=warn --prefer-offline \
    --ignore-scripts "${BEFORE_ARGS[@]}" || exit $?
  mapfile -t with_scripts < <(node "$E2E_DIR/lib/packages-with-install-scripts.mjs" node_modules "$SKIP_SCRIPTS")
  echo "[install-n8n] running install scripts of ${#with_scripts[@]} packages: ${with_scripts[*]}"
  echo "[install-n8n] skipped install scripts of: $SKIP_SCRIPTS"
  if [ ${#with_scripts[@]} -gt 0 ]; then
    npm_config_yes=true npm rebuild --no-audit --no-fund --loglevel=warn "${with_scripts[@]}" || exit $?
  fi
) >"$DEST/install.log" 2>&1
rc=$?
set -e
end=$(date +%s)
secs=$((end - start))

if [ $rc -ne 0 ] || [ ! -x "$DEST/node_modules/.bin/n8n" ]; then
  echo "[install-n8n] FAILED after ${secs}s (exit $rc). Last lines of the log:" >&2
  grep -E 'npm (error|ERR!)' "$DEST/install.log" | head -n 20 >&2 || tail -n 30 "$DEST/install.log" >&2
  exit 1
fi

# Sanity check: the CLI starts and reports the expected version.
reported="$(cd "$DEST" && N8N_USER_FOLDER="$DEST/.probe-home" N8N_DIAGNOSTICS_ENABLED=false \
  node_modules/.bin/n8n --version 2>/dev/null | tail -n1 || true)"
rm -rf "$DEST/.probe-home"
size="$(du -sh "$DEST" | cut -f1)"
printf '%s\ninstalled_at=%s\nseconds=%s\nsize=%s\nnode=%s\nreported=%s\nbefore=%s\n' \
  "$VERSION" "$(date -u +%FT%TZ)" "$secs" "$size" "$(node --version)" "$reported" "$BEFORE" >"$MARKER"
link_install
echo "[install-n8n] n8n@$VERSION installed in ${secs}s, $size on disk (n8n --version: ${reported:-?})"
