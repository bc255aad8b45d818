#!/usr/bin/env bash
# TCP ingest benchmark: SENDERS connections over loopback each send the same `sluice gen` file
# (newline-framed) to a `tcp` source, as fast as the kernel takes it (python3 socket.sendfile, so
# the senders cost little CPU). Two workloads: `none` parse -> `null` sink (the source, framing
# and queues alone) and CSV parse -> file sink (typed, csv out).
#
# The clock covers sluice's work only: it starts when every sender (bench/tcp_senders.py) is
# connected, has its file open and is released at once (a barrier; python3's start-up and the
# connects are outside), and stops when /metrics says the sink has written every event
# (bench/accounted.py, polled every 5 ms from the sender process once the senders are done);
# sluice's SIGTERM stop is outside too. "all read" ends when every sender saw sluice close its
# connection (sluice had read all its bytes). Each round also times the loopback ceiling
# (bench/tcp_ceiling.py: one python3 thread receiving the same senders with recv_into, no
# framing), and sluice's MB/s is given as a fraction of it. Prints MB/s and events/s, sluice's
# CPU seconds (whole process, start-up and stop included) and peak RSS (/usr/bin/time -v), each
# the median of RUNS rounds, with every round's MB/s beside them.
#
# Environment: SLUICE (binary, default build-bench/sluice), BASELINE (a second binary, e.g. the
# previous commit's, run alternately with SLUICE in every round; optional), EVENTS per sender
# (default 2000000), SENDERS (4), RUNS (5), WORKERS (parse workers, 1), OUT (bench/out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
EVENTS=${EVENTS:-2000000}
SENDERS=${SENDERS:-4}
RUNS=${RUNS:-5}
WORKERS=${WORKERS:-1}
OUT=${OUT:-$ROOT/bench/out}
BASELINE=${BASELINE:-}

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

# run_once BINARY NAME: prints "done_seconds cpu_seconds rss_kib read_seconds", both times from
# the barrier that releases the senders.
run_once() {
  local binary=$1 name=$2 err=$OUT/$2.err timing=$OUT/$2.time port=""
  rm -f "$OUT/$name.out"
  # stdout not inherited: a failure here must not leave sluice holding the caller's pipe open
  /usr/bin/time -v -o "$timing" "$binary" run -c "$OUT/$name.yaml" >/dev/null 2>"$err" &
  local pid=$!
  for _ in $(seq 200); do
    port=$(sed -n 's/.*tcp source listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$err")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { echo "sluice did not listen: $(cat "$err")" >&2; exit 1; }
  local start read_end done_at
  read -r start read_end done_at < <(PYTHONPATH="$ROOT/bench" "$PYTHON" "$ROOT/bench/tcp_senders.py" \
    "$port" "$DATA" "$SENDERS" "$MPORT" "$name" "$TOTAL")
  [[ -n $done_at ]] || echo "$name: the senders failed (see above); stopping sluice" >&2
  kill -TERM "$(pgrep -P "$pid" -x "$(basename "$binary")")"
  wait "$pid"
  local in cpu rss
  in=$(sed -n "s/^pipeline $name: in=\([0-9]*\).*/\1/p" "$err")
  [[ $in == "$TOTAL" ]] || { echo "$name: in=$in, expected $TOTAL" >&2; cat "$err" >&2; exit 1; }
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$timing")
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$timing")
  echo "$(awk -v a="$start" -v b="$done_at" 'BEGIN {print (b - a) / 1e9}') $cpu $rss $(awk -v a="$start" -v b="$read_end" 'BEGIN {print (b - a) / 1e9}')"
}

# ceiling_once: prints the seconds until tcp_ceiling.py had read every byte (as "read_seconds").
ceiling_once() {
  local ports=$OUT/ceiling.port
  "$PYTHON" "$ROOT/bench/tcp_ceiling.py" "$SENDERS" >"$ports" &
  local pid=$! port=""
  for _ in $(seq 200); do
    port=$(head -1 "$ports")
    [[ -n $port ]] && break
    sleep 0.05
  done
  local start read_end
  read -r start read_end _ < <(PYTHONPATH="$ROOT/bench" "$PYTHON" "$ROOT/bench/tcp_senders.py" \
    "$port" "$DATA" "$SENDERS")
  wait "$pid"
  awk -v a="$start" -v b="$read_end" 'BEGIN {print (b - a) / 1e9}'
}

# Binaries to compare, run alternately within each round: SLUICE, then BASELINE if given.
declare -A LABEL=([$SLUICE]=sluice)
BINARIES=("$SLUICE")
if [[ -n $BASELINE ]]; then
  LABEL[$BASELINE]=baseline
  BINARIES+=("$BASELINE")
fi
declare -A SECS CPUS RSSS READS EACH
CEILING=""
for _ in $(seq "$RUNS"); do
  for name in tcp_none tcp_csv; do
    for binary in "${BINARIES[@]}"; do
      read -r s c r rd < <(run_once "$binary" "$name")
      key="$name ${LABEL[$binary]}"
      SECS[$key]+=" $s" CPUS[$key]+=" $c" RSSS[$key]+=" $r" READS[$key]+=" $rd"
      EACH[$key]+=$(awk -v b="$BYTES" -v s="$s" 'BEGIN {printf "%.0f ", b / s / 1e6}')
    done
  done
  CEILING+=" $(ceiling_once)"
done

ceiling=$(echo "$CEILING" | median)
echo "TCP ingest: $SENDERS senders x $EVENTS events ($BYTES bytes in all), median of $RUNS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| workload | binary | MB/s (all written) | events/s | MB/s (all read) | of the ceiling | sluice CPU s | peak RSS MiB | MB/s of each run |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for name in tcp_none tcp_csv; do
  for binary in "${BINARIES[@]}"; do
    key="$name ${LABEL[$binary]}"
    s=$(echo "${SECS[$key]}" | median)
    awk -v n="$name" -v l="${LABEL[$binary]}" -v s="$s" -v b="$BYTES" -v e="$TOTAL" \
      -v c="$(echo "${CPUS[$key]}" | median)" -v r="$(echo "${RSSS[$key]}" | median)" \
      -v rd="$(echo "${READS[$key]}" | median)" -v ceil="$ceiling" -v each="${EACH[$key]}" \
      'BEGIN {printf "| %s | %s | %.0f | %.2f M | %.0f | %.2f | %.2f | %.0f | %s|\n", n, l, b / s / 1e6, e / s / 1e6, b / rd / 1e6, ceil / s, c, r / 1024, each}'
  done
done
awk -v b="$BYTES" -v s="$ceiling" -v all="$CEILING" \
  'BEGIN {printf "\n- loopback ceiling (tcp_ceiling.py: one python3 thread, recv_into, no framing): %.0f MB/s (seconds each round:%s)\n", b / s / 1e6, all}'
