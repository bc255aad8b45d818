#!/usr/bin/env bash
# TCP ingest benchmark: SENDERS connections over loopback each send the same `sluice gen` file
# (newline-framed) to a `tcp` source, as fast as the kernel takes it (python3 socket.sendfile, so
# the senders cost little CPU). Two workloads: `none` parse -> `null` sink (the source, framing
# and queues alone) and CSV parse -> file sink (raw). Prints MB/s and events/s from the first
# byte sent until sluice has drained and exited (SIGTERM once the senders are done), with sluice's
# CPU seconds and peak RSS (/usr/bin/time -v). Median of RUNS runs.
#
# Environment: SLUICE (binary, default build-bench/sluice), EVENTS per sender (default 2000000),
# SENDERS (4), RUNS (3), WORKERS (parse workers, 1), OUT (bench/out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
EVENTS=${EVENTS:-2000000}
SENDERS=${SENDERS:-4}
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-1}
OUT=${OUT:-$ROOT/bench/out}

[[ -x $SLUICE ]] || { echo "no sluice binary at $SLUICE (build first, or set SLUICE)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
mkdir -p "$OUT"
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

DATA=$OUT/tcp-events.csv
if [[ ! -f $DATA || $(cat "$DATA.count" 2>/dev/null) != "$EVENTS" ]]; then
  echo "generating $EVENTS csv events -> $DATA" >&2
  "$SLUICE" gen --format csv --count "$EVENTS" --seed 1 >"$DATA"
  echo "$EVENTS" >"$DATA.count"
fi
BYTES=$(($(stat -c %s "$DATA") * SENDERS))
TOTAL=$((EVENTS * SENDERS))

# write_config NAME PARSE_FLOW SINK_FLOW
write_config() {
  cat >"$OUT/$1.yaml" <<YAML
data_dir: $OUT/data-$1
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

# run_once NAME: prints "seconds cpu_seconds rss_kib in read_seconds" (read_seconds: until every
# sender saw sluice close its connection, i.e. sluice had read everything; the rest is the drain
# and the stop)
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
  local start end read_end
  start=$(date +%s%N)
  python3 - "$port" "$DATA" "$SENDERS" <<'PY'
import socket, sys, threading
port, path, senders = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def send():
    with socket.create_connection(("127.0.0.1", port)) as s, open(path, "rb") as f:
        s.sendfile(f)
        # Wait for sluice to close its end: it has then read everything (a stop would leave
        # bytes still in the socket unread).
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
threads = [threading.Thread(target=send) for _ in range(senders)]
for t in threads: t.start()
for t in threads: t.join()
PY
  read_end=$(date +%s%N)
  kill -TERM "$(pgrep -P "$pid" -x sluice)"
  wait "$pid"
  end=$(date +%s%N)
  local in cpu rss
  in=$(sed -n "s/^pipeline $name: in=\([0-9]*\).*/\1/p" "$err")
  [[ $in == "$TOTAL" ]] || { echo "$name: in=$in, expected $TOTAL" >&2; cat "$err" >&2; exit 1; }
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$timing")
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$timing")
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN {print (b - a) / 1e9}') $cpu $rss $in $(awk -v a="$start" -v b="$read_end" 'BEGIN {print (b - a) / 1e9}')"
}

echo "| workload | senders | MB/s (to exit) | events/s (to exit) | MB/s (read) | sluice CPU s | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for name in tcp_none tcp_csv; do
  secs=() cpus=() rsss=() reads=()
  for _ in $(seq "$RUNS"); do
    read -r s c r _ rd < <(run_once "$name")
    secs+=("$s") cpus+=("$c") rsss+=("$r") reads+=("$rd")
  done
  rd=$(echo "${reads[@]}" | median)
  s=$(echo "${secs[@]}" | median)
  c=$(echo "${cpus[@]}" | median)
  r=$(echo "${rsss[@]}" | median)
  awk -v n="$name" -v k="$SENDERS" -v s="$s" -v b="$BYTES" -v e="$TOTAL" -v c="$c" -v r="$r" -v rd="$rd" \
    'BEGIN {printf "| %s | %d | %.0f | %.2f M | %.0f | %.2f | %.0f |\n", n, k, b / s / 1e6, e / s / 1e6, b / rd / 1e6, c, r / 1024}'
done
