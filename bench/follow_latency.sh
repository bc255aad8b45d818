#!/usr/bin/env bash
# Append -> output latency of a followed file: a file -> file pipeline (`format: none`, raw
# output) follows in.log; one line at a time is appended and timed until the sink file holds it
# (the output's size is polled every 0.2 ms by python3). COUNT appends per mode, each after a
# pause drawn from GAP_MS..GAP_MS+220 ms (fixed seed): the source is idle at each append, as with a
# line from a quiet service, and the appends do not lock onto the phase of a 200 ms poll.
# Modes: `inotify` (the default) and `polling` (SLUICE_TEST_INOTIFY=unavailable: the source
# wakes only at poll_interval, 200 ms by default, as every follow did before inotify); with
# BEFORE=path/to/older/sluice also that binary, unmodified. Prints the median, p90 and max.
# Usage: bench/follow_latency.sh [BUILD_DIR] [COUNT]    env: GAP_MS (10), BEFORE
set -euo pipefail
build="${1:-build}"
count="${2:-200}"
gap_ms="${GAP_MS:-10}"
sluice="$(cd "$build" && pwd)/sluice"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run_mode() {  # LABEL BINARY [ENV=VALUE]
  local label="$1" bin="$2" env_kv="${3:-}" dir="$work/$1"
  mkdir -p "$dir"
  : > "$dir/in.log"
  cat > "$dir/c.yaml" <<YAML
data_dir: $dir/data
pipelines:
  p:
    source: { type: file, paths: [$dir/in.log], follow: true }
    parse: { format: none }
    routes: [ { to: out } ]
sinks:
  out: { type: file, path: $dir/out.log, encoding: raw }
YAML
  if [ -n "$env_kv" ]; then
    env "$env_kv" "$bin" run -c "$dir/c.yaml" 2> "$dir/err" &
  else
    "$bin" run -c "$dir/c.yaml" 2> "$dir/err" &
  fi
  local pid=$!
  python3 - "$dir/in.log" "$dir/out.log" "$count" "$gap_ms" "$label" <<'PY'
import os, random, statistics, sys, time
src, out, count, gap_ms, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
def size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
# The sink's file appears once sluice runs; the first line also waits out the start.
with open(src, "ab", buffering=0) as f:
    f.write(b"warmup\n")
    deadline = time.monotonic() + 30
    while size(out) < 7:
        if time.monotonic() > deadline:
            sys.exit(f"{label}: sluice delivered nothing in 30 s")
        time.sleep(0.001)
    latencies = []
    rng = random.Random(1)
    want = size(out)
    for i in range(count):
        time.sleep((gap_ms + rng.uniform(0, 220)) / 1000)
        line = f"{i:08d}\n".encode()
        want += len(line)
        start = time.monotonic()
        f.write(line)
        while size(out) < want:
            if time.monotonic() - start > 10:
                sys.exit(f"{label}: line {i} not delivered in 10 s")
            time.sleep(0.0002)
        latencies.append((time.monotonic() - start) * 1000)
latencies.sort()
print(f"{label:8s} appends {count}: median {statistics.median(latencies):7.2f} ms, "
      f"p90 {latencies[int(len(latencies) * 0.9) - 1]:7.2f} ms, max {latencies[-1]:7.2f} ms")
PY
  kill -TERM "$pid"
  wait "$pid" || true
}

if [ -n "${BEFORE:-}" ]; then
  run_mode before "$BEFORE"
fi
run_mode polling "$sluice" SLUICE_TEST_INOTIFY=unavailable
run_mode inotify "$sluice"
