#!/usr/bin/env bash
# Runs inside Stryker's sandbox (a plain copy of the repository) before the first test run: some
# tests list the repository's files with `git ls-files`, so the copy becomes a repository too.
set -euo pipefail
git init -q .
git add -A
