#!/usr/bin/env bash
# TCP ingest benchmark: SENDERS connections over loopback each send the same `sluice gen` file
# (newline-framed) to a `tcp` source, as fast as the kernel takes it (python3 socket.sendfile, so
# the senders cost little CPU). Two workloads: `none` parse -> `null` sink (the source, framing
# and queues alone) and CSV parse -> file sink (typed, csv out).
#
# The clock covers sluice's work only: it starts when every sender is connected, has its file
# open and is released at once (a barrier; python3's start-up and the connects are outside), and
# stops when /metrics says the sink has written every event (bench/accounted.py, polled every
# 5 ms once the senders are done); sluice's SIGTERM stop is outside too. "all read" ends when
# every sender saw sluice close its connection (sluice had read all its bytes). Prints MB/s and
# events/s, sluice's CPU seconds (whole process, start-up and stop included) and peak RSS
# (/usr/bin/time -v), each the median of RUNS runs, with every run's MB/s beside them.
#
# Environment: SLUICE (binary, default build-bench/sluice), EVENTS per sender (default 2000000),
# SENDERS (4), RUNS (5), WORKERS (parse workers, 1), OUT (bench/out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
EVENTS=${EVENTS:-2000000}
SENDERS=${SENDERS:-4}
RUNS=${RUNS:-5}
WORKERS=${WORKERS:-1}
OUT=${OUT:-$ROOT/bench/out}

. "$ROOT/bench/bench_lib.sh"
MPORT=$(free_port)
mkdir -p "$OUT"

DATA=$OUT/tcp-events.csv
gen_csv "$DATA" "$EVENTS"
BYTES=$(($(stat -c %s "$DATA") * SENDERS))
TOTAL=$((EVENTS * SENDERS))

# write_config NAME PARSE_FLOW SINK_FLOW
write_config() {
  cat >"$OUT/$1.yaml" <<YAML
data_dir: $OUT/data-$1
metrics: { listen: "127.0.0.1:$MPORT" }
pipelines:
  $1:
    source: { type: tcp, listen: "127.0.0.1:0" }
    parse: $2
    routes: [{ to: out }]
    threads: { parse: $WORKERS }
sinks:
  out: $3
YAML
}
write_config tcp_none '{ format: none }' '{ type: "null", encoding: raw }'
write_config tcp_csv \
  '{ format: csv, columns: [ts, host, method, path, status, bytes, latency_ms, agent], types: { status: int, bytes: int, latency_ms: float } }' \
  "{ type: file, path: $OUT/tcp_csv.out, encoding: csv }"

# run_once NAME: prints "done_seconds cpu_seconds rss_kib in read_seconds", both times from the
# barrier that releases the senders.
run_once() {
  local name=$1 err=$OUT/$1.err timing=$OUT/$1.time port=""
  rm -f "$OUT/$name.out"
  /usr/bin/time -v -o "$timing" "$SLUICE" run -c "$OUT/$name.yaml" 2>"$err" &
  local pid=$!
  for _ in $(seq 200); do
    port=$(sed -n 's/.*tcp source listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$err")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { echo "sluice did not listen: $(cat "$err")" >&2; exit 1; }
  local start read_end done_at
  read -r start read_end done_at < <(PYTHONPATH="$ROOT/bench" "$PYTHON" - "$port" "$DATA" "$SENDERS" "$MPORT" "$name" "$TOTAL" <<'PY'
import socket, sys, threading, time
from accounted import wait_accounted
port, path, senders = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
mport, pipeline, total = int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
start = []
barrier = threading.Barrier(senders, action=lambda: start.append(time.time_ns()))
read_ends = []
def send():
    with socket.create_connection(("127.0.0.1", port)) as s, open(path, "rb") as f:
        barrier.wait()
        s.sendfile(f)
        # Wait for sluice to close its end: it has then read everything.
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
        read_ends.append(time.time_ns())
threads = [threading.Thread(target=send) for _ in range(senders)]
for t in threads: t.start()
for t in threads: t.join()
print(start[0], max(read_ends), wait_accounted(mport, pipeline, total))
PY
  )
  kill -TERM "$(pgrep -P "$pid" -x sluice)"
  wait "$pid"
  local in cpu rss
  in=$(sed -n "s/^pipeline $name: in=\([0-9]*\).*/\1/p" "$err")
  [[ $in == "$TOTAL" ]] || { echo "$name: in=$in, expected $TOTAL" >&2; cat "$err" >&2; exit 1; }
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$timing")
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$timing")
  echo "$(awk -v a="$start" -v b="$done_at" 'BEGIN {print (b - a) / 1e9}') $cpu $rss $in $(awk -v a="$start" -v b="$read_end" 'BEGIN {print (b - a) / 1e9}')"
}

echo "| workload | senders | MB/s (all written) | events/s | MB/s (all read) | sluice CPU s | peak RSS MiB | MB/s of each run |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for name in tcp_none tcp_csv; do
  secs=() cpus=() rsss=() reads=() each=""
  for _ in $(seq "$RUNS"); do
    read -r s c r _ rd < <(run_once "$name")
    secs+=("$s") cpus+=("$c") rsss+=("$r") reads+=("$rd")
    each+=$(awk -v b="$BYTES" -v s="$s" 'BEGIN {printf "%.0f ", b / s / 1e6}')
  done
  rd=$(echo "${reads[@]}" | median)
  s=$(echo "${secs[@]}" | median)
  c=$(echo "${cpus[@]}" | median)
  r=$(echo "${rsss[@]}" | median)
  awk -v n="$name" -v k="$SENDERS" -v s="$s" -v b="$BYTES" -v e="$TOTAL" -v c="$c" -v r="$r" -v rd="$rd" -v each="$each" \
    'BEGIN {printf "| %s | %d | %.0f | %.2f M | %.0f | %.2f | %.0f | %s|\n", n, k, b / s / 1e6, e / s / 1e6, b / rd / 1e6, c, r / 1024, each}'
done
