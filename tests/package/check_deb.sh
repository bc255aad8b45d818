#!/usr/bin/env bash
# Builds the .deb from an already built tree (cpack runs the install rules; it compiles nothing)
# and checks it as an operator's apt would see it: unpacked with dpkg -x into a scratch root it
# holds the binary, the unit, the configuration (a conffile), the dashboard and the alert rules
# that the source tree has; Depends covers every library the binary links (dpkg-shlibdeps); the
# unpacked binary runs and accepts the shipped configuration; lintian reports no errors.
#
#   bash tests/package/check_deb.sh BUILD_DIR SOURCE_DIR      (ctest runs it as package.deb)
set -euo pipefail
build=$(realpath "${1:?usage: check_deb.sh BUILD_DIR SOURCE_DIR}")
source=$(realpath "${2:?usage: check_deb.sh BUILD_DIR SOURCE_DIR}")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# -B: a scratch output, so a parallel run or the user's own build/packages is not touched.
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" > "$scratch/cpack.log" 2>&1 ||
  { cat "$scratch/cpack.log" >&2; exit 1; }
debs=("$scratch"/out/sluice_*_amd64.deb)
[ -f "${debs[0]}" ] || { cat "$scratch/cpack.log" >&2; echo "FAIL: no sluice_*_amd64.deb" >&2; exit 1; }
deb=${debs[0]}
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

root="$scratch/root"
dpkg -x "$deb" "$root"
expect_file() {
  [ -f "$root/$1" ] || fail "the package lacks /$1"
}
expect_file usr/bin/sluice
[ -x "$root/usr/bin/sluice" ] || fail "/usr/bin/sluice is not executable"
expect_file etc/sluice/sluice.yaml
expect_file usr/share/doc/sluice/copyright
expect_file usr/share/doc/sluice/changelog.Debian.gz
expect_file usr/share/doc/sluice/README.md
# What other parts of the tree ship, wherever they exist in this tree.
if [ -f "$source/systemd/sluice.service" ]; then
  expect_file usr/lib/systemd/system/sluice.service
  cmp -s "$source/systemd/sluice.service" "$root/usr/lib/systemd/system/sluice.service" ||
    fail "the packaged unit differs from systemd/sluice.service"
fi
if [ -d "$source/grafana" ]; then
  while IFS= read -r f; do
    expect_file "usr/share/sluice/grafana/$f"
  done < <(cd "$source/grafana" && find . -type f -printf '%P\n')
fi
example="$source/config/sluice.yaml"
[ -f "$example" ] || example="$source/config/demo.yaml"
cmp -s "$example" "$root/etc/sluice/sluice.yaml" ||
  fail "/etc/sluice/sluice.yaml is not $(basename "$example")"

control=$(dpkg-deb -I "$deb")
grep -qx " Package: sluice" <<<"$control" || fail "Package is not sluice"
grep -q "^ Maintainer: .*<.*@.*>" <<<"$control" || fail "no Maintainer with an address"
grep -q "^ Section: " <<<"$control" || fail "no Section"
[ "$(dpkg-deb -I "$deb" conffiles)" = "/etc/sluice/sluice.yaml" ] ||
  fail "/etc/sluice/sluice.yaml is not the one conffile"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# The package names alone, one a line (alternatives "a | b" count for each).
depends_names=$(tr ',|' '\n\n' <<<"$depends" | awk 'NF {print $1}')
depends_on() { grep -qxF "$1" <<<"$depends_names"; }
# Every library the binary needs (DT_NEEDED) must come from a package named in Depends.
# (No early exit from a reader in these pipelines: with pipefail, the writer's SIGPIPE would
# fail the script.)
libraries=$(ldconfig -p)
owner() { dpkg -S "$1" 2>/dev/null | awk -F: 'NR == 1 {print $1}'; }
while read -r lib; do
  path=$(awk -v l="$lib" '$1 == l && /x86-64/ && !found {print $NF; found = 1}' <<<"$libraries")
  [ -n "$path" ] || { fail "cannot find $lib on this machine"; continue; }
  # dpkg knows a library by the path its package installed: /lib/... or /usr/lib/...
  pkg=$(owner "$(realpath "$path")" || true)
  [ -n "$pkg" ] || pkg=$(owner "$path" || true)
  [ -n "$pkg" ] || { fail "no package owns $path ($lib)"; continue; }
  depends_on "$pkg" || fail "Depends lacks $pkg (for $lib)"
done < <(objdump -p "$root/usr/bin/sluice" | awk '$1 == "NEEDED" {print $2}')
for pkg in libc6 libstdc++6; do
  depends_on "$pkg" || fail "Depends lacks $pkg"
done

version=$(dpkg-deb -f "$deb" Version)
said=$("$root/usr/bin/sluice" --version)
[ "$said" = "sluice ${version%-*}" ] || fail "the packaged binary says '$said', not ${version%-*}"
"$root/usr/bin/sluice" validate "$root/etc/sluice/sluice.yaml" 2> "$scratch/validate.err" ||
  fail "the packaged configuration does not validate: $(cat "$scratch/validate.err")"

# Errors fail; warnings are printed for the log (and listed in README's Install section).
if lintian --fail-on error --allow-root --tag-display-limit 0 "$deb" > "$scratch/lintian.log" 2>&1; then
  sed 's/^/lintian: /' "$scratch/lintian.log"
else
  sed 's/^/lintian: /' "$scratch/lintian.log" >&2
  fail "lintian reports errors"
fi

if ((failures)); then
  echo "package check: $failures failure(s)" >&2
  exit 1
fi
echo "package check: ok"
