#!/usr/bin/env bash
# Kafka benchmark on the embedded cluster (`sluice kafka-mock`, one broker, 127.0.0.1):
#   W5  Kafka (4 partitions) -> csv parse, typed -> filter -> Kafka (json), the issue-11 pipeline
#   W6  Kafka (4 partitions) -> none -> file (raw), consume and write
# and, on the same cluster in the same run, kcat's own produce and consume rates over the same
# messages. The mock keeps at most 5 MiB or 100k messages per partition (librdkafka 2.0.2's
# rdkafka_mock.c), so EVENTS cannot sit in a topic at once: a running sluice (its group join
# costs about 3 s, paid once) is stopped (SIGSTOP), a round of ROUND events (about 4 MiB per
# partition) is produced, and the round's drain is timed from SIGCONT until the metrics endpoint
# accounts for every event of the round (sluice_sink_events_total, plus events filtered out).
# kcat then consumes the same round (`kcat -C -e` from the round's first offset), timed alike.
# Prints events/s and MB/s (message bytes) per round kind as medians, the ratios, and sluice's
# peak RSS (VmHWM) against memory_limit.
#
# Environment: SLUICE (binary, default build-bench/sluice), EVENTS (5000000 per workload),
# ROUND (160000 events, a multiple of 4), MEMORY_LIMIT (64MiB), WORKLOADS ("W6 W5"), OUT
# (bench/out). VmRSS after each round goes to OUT/kafka/NAME.rss (KiB).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
EVENTS=${EVENTS:-5000000}
ROUND=${ROUND:-160000}
MEMORY_LIMIT=${MEMORY_LIMIT:-64MiB}
WORKLOADS=${WORKLOADS:-"W6 W5"}
OUT=${OUT:-$ROOT/bench/out}/kafka
FILTER='status >= 500 or path =~ "^/api/v[0-9]+/orders"'

[[ -x $SLUICE ]] || { echo "no sluice binary at $SLUICE (build first, or set SLUICE)" >&2; exit 1; }
command -v kcat >/dev/null || { echo "kcat is needed (apt-get install kcat)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
(( ROUND % 4 == 0 )) || { echo "ROUND must be a multiple of 4" >&2; exit 1; }
ROUNDS=$(( (EVENTS + ROUND - 1) / ROUND ))
rm -rf "$OUT"
mkdir -p "$OUT"

now_ns() { date +%s%N; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

MOCK_PID="" SLUICE_PID=""
cleanup() {
  [[ -n $SLUICE_PID ]] && { kill -CONT "$SLUICE_PID" 2>/dev/null; kill -KILL "$SLUICE_PID" 2>/dev/null; } || true
  [[ -n $MOCK_PID ]] && kill -TERM "$MOCK_PID" 2>/dev/null || true
  exec 4>&- 2>/dev/null || true
}
trap cleanup EXIT

# --- the cluster and the data -----------------------------------------------------------------
rm -f "$OUT/mock.in"
mkfifo "$OUT/mock.in"
"$SLUICE" kafka-mock --brokers 1 --topic w5in:4 --topic w5out:4 --topic w6in:4 \
  <"$OUT/mock.in" >"$OUT/mock.out" 2>"$OUT/mock.err" &
MOCK_PID=$!
exec 4>"$OUT/mock.in"  # the mock runs while its stdin is open
for _ in $(seq 100); do [[ -s $OUT/mock.out ]] && break; sleep 0.1; done
BOOT=$(head -1 "$OUT/mock.out")
[[ -n $BOOT ]] || { echo "kafka-mock did not start: $(cat "$OUT/mock.err")" >&2; exit 1; }

# One round of csv events, line i to partition i % 4 (the same round is produced every time).
"$SLUICE" gen --format csv --count "$ROUND" --seed 1 >"$OUT/round.csv"
for p in 0 1 2 3; do awk -v p="$p" '(NR - 1) % 4 == p' "$OUT/round.csv" >"$OUT/round.$p"; done
ROUND_BYTES=$(( $(stat -c %s "$OUT/round.csv") - ROUND ))  # message bytes: lines less newlines

# --- helpers ----------------------------------------------------------------------------------
# produce TOPIC: the round into TOPIC, one kcat per partition; prints nanoseconds.
produce() {
  local t0 t1
  t0=$(now_ns)
  for p in 0 1 2 3; do kcat -P -b "$BOOT" -t "$1" -p "$p" <"$OUT/round.$p"; done
  t1=$(now_ns)
  echo $(( t1 - t0 ))
}
# accounted PORT PIPELINE: events the sink wrote plus events filtered out, from /metrics.
accounted() {
  curl -s "http://127.0.0.1:$1/metrics" | awk -v p="$2" '
    /^sluice_sink_events_total\{/ && /sink="out"/ { n += $NF }
    /^sluice_events_dropped_total\{/ && $0 ~ "pipeline=\"" p "\"" && /reason="filtered"/ { n += $NF }
    END { printf "%d\n", n }'
}
# wait_accounted PORT PIPELINE TARGET: bounded (120 s) polling every 10 ms.
wait_accounted() {
  local deadline=$(( $(date +%s) + 120 ))
  until (( $(accounted "$1" "$2") >= $3 )); do
    (( $(date +%s) < deadline )) || { echo "timed out waiting for $3 events in $2" >&2; return 1; }
    sleep 0.01
  done
}
# kcat_consume TOPIC ROUND_INDEX: consumes that round from its first offset to the end;
# prints "nanoseconds messages".
kcat_consume() {
  local t0 t1 n
  t0=$(now_ns)
  n=$(kcat -C -b "$BOOT" -t "$1" -o $(( $2 * ROUND / 4 )) -e -q | wc -l)
  t1=$(now_ns)
  echo "$(( t1 - t0 )) $n"
}

# run_workload NAME PIPELINE_YAML: runs sluice over ROUNDS rounds; sets W_SECS, P_SECS, C_SECS
# (per-round seconds of sluice's drain, kcat -P, kcat -C) and W_RSS (peak KiB).
run_workload() {
  local name=$1 topic=$2 pipeline=$3 port
  port=$(free_port)
  cat >"$OUT/$name.yaml" <<EOF
data_dir: $OUT/data-$name
memory_limit: $MEMORY_LIMIT
metrics: { listen: "127.0.0.1:$port" }
pipelines:
  $name:
$pipeline
EOF
  "$SLUICE" run -c "$OUT/$name.yaml" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" &
  SLUICE_PID=$!
  # Warm-up round: the group join, and the first fetches.
  produce "$topic" >/dev/null
  wait_accounted "$port" "$name" "$ROUND"
  W_SECS="" P_SECS="" C_SECS=""
  local r ns got done_events=$ROUND
  for r in $(seq 1 "$ROUNDS"); do
    kill -STOP "$SLUICE_PID"
    ns=$(produce "$topic")
    P_SECS+=" $(awk -v n="$ns" 'BEGIN {printf "%.4f", n/1e9}')"
    done_events=$(( done_events + ROUND ))
    local t0 t1
    t0=$(now_ns)
    kill -CONT "$SLUICE_PID"
    wait_accounted "$port" "$name" "$done_events"
    t1=$(now_ns)
    W_SECS+=" $(awk -v n="$(( t1 - t0 ))" 'BEGIN {printf "%.4f", n/1e9}')"
    read -r ns got < <(kcat_consume "$topic" "$r")
    (( got == ROUND )) || echo "warning: kcat read $got of $ROUND messages in round $r" >&2
    C_SECS+=" $(awk -v n="$ns" 'BEGIN {printf "%.4f", n/1e9}')"
    awk '/VmRSS/ {print $2}' "/proc/$SLUICE_PID/status" >>"$OUT/$name.rss"
  done
  W_RSS=$(awk '/VmHWM/ {print $2}' "/proc/$SLUICE_PID/status")
  kill -TERM "$SLUICE_PID"
  wait "$SLUICE_PID" || echo "warning: sluice ($name) exited with $?" >&2
  SLUICE_PID=""
}

W5_PIPELINE="    source: { type: kafka, brokers: \"$BOOT\", topics: [w5in], group: bench-w5 }
    parse: { format: csv, columns: [ts, host, method, path, status, bytes, latency_ms, agent],
             types: { status: int, bytes: int, latency_ms: float } }
    filter: '$FILTER'
    routes: [{ to: out }]
sinks:
  out: { type: kafka, brokers: \"$BOOT\", topic: w5out, key: host, encoding: json }"
W6_PIPELINE="    source: { type: kafka, brokers: \"$BOOT\", topics: [w6in], group: bench-w6 }
    parse: { format: none }
    routes: [{ to: out }]
sinks:
  out: { type: file, path: $OUT/w6.out, encoding: raw }"

RESULTS=$OUT/kafka.md
{
  echo "sluice on kafka-mock (1 broker, 4 partitions): $ROUNDS rounds of $ROUND events ($ROUND_BYTES message bytes) per workload, medians, $(nproc) CPUs, memory_limit $MEMORY_LIMIT, $(date -u +%FT%TZ)"
  echo
  echo "| what | events/s | MB/s | sluice / kcat -C | peak RSS MiB | rounds (s) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
} | tee "$RESULTS"

row() {  # NAME SECS RSS CONSUME_MEDIAN
  local s
  s=$(echo "$2" | median)
  awk -v w="$1" -v s="$s" -v n="$ROUND" -v b="$ROUND_BYTES" -v rss="$3" -v c="$4" -v all="$2" 'BEGIN {
    ratio = c > 0 ? sprintf("%.2f", c / s) : ""
    printf "| %s | %.0f | %.1f | %s | %s | %s |\n", w, n / s, b / s / 1e6, ratio,
      rss == "" ? "" : sprintf("%.0f", rss / 1024), all }' | tee -a "$RESULTS"
}

for w in $WORKLOADS; do
  if [[ $w == W5 ]]; then run_workload w5 w5in "$W5_PIPELINE"; else run_workload w6 w6in "$W6_PIPELINE"; fi
  c=$(echo "$C_SECS" | median)
  row "$w sluice" "$W_SECS" "$W_RSS" "$c"
  n=${w,,}
  echo "$w VmRSS MiB after rounds 1, 2, 4, 8, ...: $(awk 'NR == 1 || NR == 2 || NR == 4 || NR == 8 || NR == 16 || NR == 32 || NR == 64 {printf "%.0f ", $1 / 1024}' "$OUT/$n.rss")" >>"$OUT/rss.txt"
  row "$w kcat -C -e (same rounds)" "$C_SECS" "" ""
  row "$w kcat -P (same rounds)" "$P_SECS" "" ""
  rm -f "$OUT/w6.out"
done
{
  echo
  echo "- W5: csv parse (typed), filter '$FILTER', json to topic w5out keyed by host (acks=all, idempotent); counted when accounted (delivered or filtered out)"
  echo "- W6: no parse, raw lines to a file; counted when written"
  echo "- sluice rounds: SIGSTOP, produce the round, SIGCONT, until /metrics accounts for it; kcat -C: from the round's first offset to the end, to a pipe; kcat -P: 4 runs, one per partition"
  echo "- goals (issue 11): W5 >= kcat -C; W6 >= 1.5 x kcat -C; RSS within memory_limit"
  cat "$OUT/rss.txt"
} | tee -a "$RESULTS"
echo
echo "table written to $RESULTS"
