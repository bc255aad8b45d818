#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy) over every source of stages/, daemon/ and config/,
# using the compile commands of a configured build (default: build/). Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
git ls-files -- 'stages/*.cc' 'daemon/*.cc' 'config/*.cc' |
  xargs -P"$(nproc)" -n8 clang-tidy -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option \
    > "$build/clang-tidy.log" 2>&1 || { grep -E "warning:|error:" "$build/clang-tidy.log"; exit 1; }
if grep -qE "(warning|error): " "$build/clang-tidy.log"; then
  grep -E "(warning|error): " "$build/clang-tidy.log"
  exit 1
fi
echo "clang-tidy: clean"
