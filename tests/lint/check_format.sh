#!/usr/bin/env bash
# Fails when any C++ file of the tree is not formatted as .clang-format says.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cc' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
