#!/bin/bash
# Checks systemd/sluice.service without a running systemd (there is none as PID 1 here):
#  - it asks for what SPEC §5 promises (Type=notify with the watchdog, reload by SIGHUP, the
#    state directory, the hardening the issue names);
#  - `systemd-analyze verify` accepts it, run on a copy whose ExecStart is the binary just built
#    (verify refuses a unit whose ExecStart does not exist, and /usr/bin/sluice may not);
#  - `systemd-analyze security --offline=true` scores its exposure at 2.0 or lower
#    (--threshold takes the score times ten: systemd 252 compares it with exposure x 10).
# Usage: check_unit.sh UNIT_FILE SLUICE_BINARY
set -euo pipefail

unit=$1
bin=$(realpath "$2")
fail() {
  echo "check_unit: $*" >&2
  exit 1
}
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (Debian package systemd)"
[ -x "$bin" ] || fail "$bin is not an executable"

# shellcheck disable=SC2016  # $MAINPID is meant literally: it is the unit file's text.
for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=30s' \
  'ExecStart=/usr/bin/sluice run -c /etc/sluice/sluice.yaml' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'StateDirectory=sluice' \
  'DynamicUser=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
  'PrivateDevices=yes' 'NoNewPrivileges=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
  'SystemCallFilter=@system-service' 'SystemCallArchitectures=native' \
  'MemoryDenyWriteExecute=yes' 'CapabilityBoundingSet='; do
  grep -qxF "$line" "$unit" || fail "$unit lacks the line '$line'"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#^ExecStart=/usr/bin/sluice #ExecStart=$bin #" "$unit" >"$tmp/sluice.service"
grep -qF "ExecStart=$bin run" "$tmp/sluice.service" || fail "could not point ExecStart at $bin"
# verify reports problems on stderr, some of them with exit status 0: any output is a failure.
if ! out=$(systemd-analyze verify "$tmp/sluice.service" 2>&1) || [ -n "$out" ]; then
  fail "systemd-analyze verify: $out"
fi

out=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>&1) ||
  fail "systemd-analyze security: exposure above 2.0 (or an error): $(echo "$out" | tail -n 1)"
score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "no exposure level in: $(echo "$out" | tail -n 3)"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score is above 2.0"
echo "check_unit: verify clean; exposure $score (at most 2.0)"
