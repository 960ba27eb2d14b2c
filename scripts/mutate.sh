#!/usr/bin/env bash
# Mutation testing of the routing-critical code (StrykerJS), outside `npm test`: slow on 2 cores.
#   npm run mutate                                   # every module in mutation/stryker.config.mjs
#   MUTATE=src/router/classify-error.ts npm run mutate   # one module (comma-separated globs)
# Incremental: mutation/incremental.json (committed) holds the last run's results, so a run after
# a small change re-tests only the mutants whose code or covering tests changed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x mutation/node_modules/.bin/stryker ] || [ mutation/package.json -nt mutation/node_modules ]; then
  echo "setup: installing StrykerJS into mutation/node_modules" >&2
  # Peers (vitest) come from the project's own node_modules, one directory up.
  (cd mutation && npm install --legacy-peer-deps --no-audit --no-fund --no-package-lock >&2)
  touch mutation/node_modules
fi
# The CLI tests spawn dist/cli.js, which the sandbox copies as built.
npm run build >&2
exec mutation/node_modules/.bin/stryker run mutation/stryker.config.mjs "$@"
