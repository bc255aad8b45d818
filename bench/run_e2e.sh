#!/usr/bin/env bash
# End-to-end benchmark: generates access events with `sluice gen`, runs four workloads through
# `sluice run -c` (file source read to EOF, file sink), and prints events/s, MB/s, peak RSS and the
# ratio to a raw read ceiling (`wc -l` on the same file, page cache warm), median of RUNS runs.
# Then: a sink stalled for STALL_SECONDS (RSS must stay flat).
#
# Environment: SLUICE (binary, default build-bench/sluice), EVENTS (default 5000000), RUNS (3),
# WORKERS ("1 2": parse workers to try), STALL_SECONDS (30; 0 skips), OUT (bench/out),
# REFERENCE (the scalar W1 loop, default build-bench/sluice_reference_w1; skipped if absent).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
EVENTS=${EVENTS:-5000000}
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-"1 2"}
STALL_SECONDS=${STALL_SECONDS:-30}
OUT=${OUT:-$ROOT/bench/out}
REFERENCE=${REFERENCE:-$ROOT/build-bench/sluice_reference_w1}
FILTER='status >= 500 or path =~ "^/api/v[0-9]+/orders"'
NGINX='^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: (?P<protocol>[^"]*))?" (?P<status>\d{3}) (?P<bytes>\d+) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"'

[[ -x $SLUICE ]] || { echo "no sluice binary at $SLUICE (build first, or set SLUICE)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
mkdir -p "$OUT"

now_ns() { date +%s%N; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# --- data ------------------------------------------------------------------------------------
declare -A FILE=([csv]=$OUT/events.csv [text]=$OUT/events.log [json]=$OUT/events.ndjson)
for fmt in csv text json; do
  f=${FILE[$fmt]}
  if [[ ! -f $f || $(cat "$f.count" 2>/dev/null) != "$EVENTS" ]]; then
    echo "generating $EVENTS $fmt events -> $f" >&2
    "$SLUICE" gen --format "$fmt" --count "$EVENTS" --seed 1 >"$f"
    echo "$EVENTS" >"$f.count"
  fi
done

# --- configs ---------------------------------------------------------------------------------
# write_config NAME INPUT WORKERS PARSE_BLOCK FILTER ENCODING
write_config() {
  local name=$1 input=$2 workers=$3 parse=$4 filter=$5 encoding=$6
  {
    echo "data_dir: $OUT/data-$name"
    echo "pipelines:"
    echo "  $name:"
    echo "    source: { type: file, paths: [$input], read_from: beginning, follow: false }"
    echo "    parse:"
    echo "$parse"
    if [[ -n $filter ]]; then echo "    filter: '$filter'"; fi
    echo "    routes:"
    echo "      - to: out"
    echo "    threads: { parse: $workers }"
    echo "sinks:"
    echo "  out: { type: file, path: $OUT/$name.out, encoding: $encoding }"
  } >"$OUT/$name.yaml"
}

CSV_PARSE='      format: csv
      columns: [ts, host, method, path, status, bytes, latency_ms, agent]
      types: { status: int, bytes: int, latency_ms: float }'
TEXT_PARSE="      format: regex
      pattern: '$NGINX'
      types: { status: int, bytes: int }"
JSON_PARSE='      format: json
      types: { status: int, bytes: int, latency_ms: float }'
NONE_PARSE='      format: none'

# workload -> "input parse filter encoding"
WORKLOADS=(W1 W2 W3 W4)
declare -A W_INPUT=([W1]=csv [W2]=text [W3]=text [W4]=json)
declare -A W_PARSE=([W1]=$CSV_PARSE [W2]=$TEXT_PARSE [W3]=$NONE_PARSE [W4]=$JSON_PARSE)
declare -A W_FILTER=([W1]=$FILTER [W2]=$FILTER [W3]="" [W4]=$FILTER)
declare -A W_ENC=([W1]=json [W2]=json [W3]=raw [W4]=json)
declare -A W_DESC=([W1]="csv, typed, filter, json out" [W2]="regex nginx, filter, json out"
  [W3]="none, raw out" [W4]="json in, filter, json out")

# --- raw ceiling -----------------------------------------------------------------------------
# CEIL_S: `wc -l` (read + count lines), the ceiling the ratio is against. COPY_S: `cat f > file`
# (read + write to a file on the same disk), what a passthrough at best costs with its write side.
declare -A CEIL_S COPY_S
for fmt in csv text json; do
  f=${FILE[$fmt]}
  cat "$f" >/dev/null  # page cache warm
  times="" copies=""
  for _ in 1 2 3; do
    t0=$(now_ns); wc -l "$f" >/dev/null; t1=$(now_ns)
    times+=" $(( t1 - t0 ))"
    rm -f "$OUT/ceiling.copy"
    t0=$(now_ns); cat "$f" >"$OUT/ceiling.copy"; t1=$(now_ns)
    copies+=" $(( t1 - t0 ))"
  done
  rm -f "$OUT/ceiling.copy"
  CEIL_S[$fmt]=$(echo "$times" | median | awk '{printf "%.4f", $1/1e9}')
  COPY_S[$fmt]=$(echo "$copies" | median | awk '{printf "%.4f", $1/1e9}')
done

# --- W1 reference loop ----------------------------------------------------------------------
# The single-threaded scalar W1 program the W1 target was calibrated against (issue 3: about
# 4.7 M events/s where W1 must reach 8 M, a ratio of 1.70). Measured here, in the same run, so W1
# can be judged as a ratio on a machine whose speed drifts.
REF_S=""
if [[ -x $REFERENCE ]]; then
  times=""
  for _ in 1 2 3; do
    t0=$(now_ns); "$REFERENCE" "${FILE[csv]}" "$OUT/reference.out" >/dev/null; t1=$(now_ns)
    times+=" $(( t1 - t0 ))"
  done
  rm -f "$OUT/reference.out"
  REF_S=$(echo "$times" | median | awk '{printf "%.4f", $1/1e9}')
fi

# --- runs ------------------------------------------------------------------------------------
# One run: prints "nanoseconds rss_kib in out cpu_seconds" (cpu = user + system).
run_once() {
  local name=$1
  rm -rf "$OUT/data-$name" "$OUT/$name.out"
  local t0 t1
  t0=$(now_ns)
  /usr/bin/time -v -o "$OUT/$name.time" "$SLUICE" run -c "$OUT/$name.yaml" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
  t1=$(now_ns)
  local rss in out cpu
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$OUT/$name.time")
  in=$(grep -o ' in=[0-9]*' "$OUT/$name.stderr" "$OUT/$name.stdout" | head -1 | cut -d= -f2)
  out=$(grep -o ' out=[0-9]*' "$OUT/$name.stderr" "$OUT/$name.stdout" | head -1 | cut -d= -f2)
  cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$OUT/$name.time")
  echo "$(( t1 - t0 )) $rss ${in:-?} ${out:-?} $cpu"
}

RESULTS=$OUT/e2e.md
{
  echo "sluice end-to-end: $EVENTS events per workload, median of $RUNS runs, $(nproc) CPUs, $(date -u +%FT%TZ)"
  echo
  echo "| workload | parse workers | events/s | MB/s (input) | peak RSS MiB | raw ceiling MB/s | ratio to ceiling | cat>file MB/s | CPU s (user+sys) | kept | all runs (s) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
} | tee "$RESULTS"

declare -A W1_S
for w in "${WORKLOADS[@]}"; do
  fmt=${W_INPUT[$w]}
  f=${FILE[$fmt]}
  bytes=$(stat -c %s "$f")
  for k in $WORKERS; do
    name="${w}_p$k"
    write_config "$name" "$f" "$k" "${W_PARSE[$w]}" "${W_FILTER[$w]}" "${W_ENC[$w]}"
    cat "$f" >/dev/null
    secs="" rsss="" cpus="" kept="?" seen="?"
    for _ in $(seq "$RUNS"); do
      read -r ns rss in out cpu < <(run_once "$name")
      cpus+=" $cpu"
      secs+=" $(awk -v n="$ns" 'BEGIN {printf "%.3f", n/1e9}')"
      rsss+=" $rss"
      kept=$out seen=$in
    done
    s=$(echo "$secs" | median)
    [[ $w == W1 ]] && W1_S[$k]=$s
    r=$(echo "$rsss" | median)
    cpu_med=$(echo "$cpus" | median)
    awk -v w="$w" -v k="$k" -v s="$s" -v r="$r" -v b="$bytes" -v n="$EVENTS" -v c="${CEIL_S[$fmt]}" \
      -v kept="$kept" -v seen="$seen" -v all="$secs" -v cpu="$cpu_med" -v cp="${COPY_S[$fmt]}" 'BEGIN {
        printf "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.3f | %.0f | %.2f | %s of %s | %s |\n",
          w, k, n / s, b / s / 1e6, r / 1024, b / c / 1e6, c / s, b / cp / 1e6, cpu, kept, seen, all }' | tee -a "$RESULTS"
    rm -f "$OUT/$name.out"
  done
done
{
  echo
  for w in "${WORKLOADS[@]}"; do echo "- $w: ${W_DESC[$w]}; input $(basename "${FILE[${W_INPUT[$w]}]}") ($(stat -c %s "${FILE[${W_INPUT[$w]}]}") bytes)"; done
  echo "- raw ceiling: median of 3 \`wc -l\` over the same file, page cache warm; cat>file: median of 3 \`cat FILE > bench/out/ceiling.copy\`"
  echo "- CPU s: user + system time of the run (median); wall time above it means waiting or a busy machine"
  if [[ -n $REF_S ]]; then
    ratios=""
    for k in $WORKERS; do
      ratios+=$(awk -v r="$REF_S" -v s="${W1_S[$k]}" -v k="$k" 'BEGIN {printf " %d worker(s) %.2f x;", k, r / s}')
    done
    awk -v r="$REF_S" -v n="$EVENTS" -v ratios="$ratios" 'BEGIN {
      printf "- W1 reference loop (one thread, scalar, mmap; median of 3): %.2f M events/s; W1 against it:%s target 8 M / 4.7 M = 1.70 x\n",
        n / r / 1e6, ratios }'
  fi
  echo "- latency p50/p99 ingest-to-sink: printed on each run's summary line (see RESULTS.md for the rate sweep)"
} | tee -a "$RESULTS"

# --- stalled sink ----------------------------------------------------------------------------
# The sink is a FIFO whose reader never reads: after the pipe buffer fills, every write blocks.
# The source (generate, endless) must be held back by the bounded queues: RSS stays flat.
if (( STALL_SECONDS > 0 )); then
  fifo=$OUT/stall.fifo
  rm -rf "$fifo" "$OUT/data-stall"
  mkfifo "$fifo"
  cat >"$OUT/stall.yaml" <<EOF
data_dir: $OUT/data-stall
shutdown_timeout: 2s
pipelines:
  stall:
    source: { type: generate, format: csv, seed: 1 }
    parse:
$CSV_PARSE
    routes:
      - to: out
sinks:
  out: { type: file, path: $fifo, encoding: json }
EOF
  sleep $(( STALL_SECONDS + 60 )) <"$fifo" &
  reader=$!
  "$SLUICE" run -c "$OUT/stall.yaml" >"$OUT/stall.stdout" 2>"$OUT/stall.stderr" &
  daemon=$!
  samples=""
  for s in $(seq 0 "$STALL_SECONDS"); do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo 0)
    samples+=" $rss"
    (( s < STALL_SECONDS )) && sleep 1
  done
  kill -TERM "$daemon" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  kill "$reader" 2>/dev/null || true
  wait "$reader" 2>/dev/null || true
  rm -f "$fifo"
  echo "$samples" | awk -v secs="$STALL_SECONDS" '{
      # skip the first 2 s (start-up, queues filling)
      min = 1e18; max = 0
      for (i = 3; i <= NF; i++) { if ($i < min) min = $i; if ($i > max) max = $i }
      printf "\nstalled sink for %d s (generate -> csv -> json to a FIFO nobody reads): VmRSS at 1 s %.1f MiB, over 2..%d s min %.1f MiB, max %.1f MiB, growth %.1f MiB\n",
        secs, $2 / 1024, secs, min / 1024, max / 1024, ($NF - $3) / 1024
      printf "VmRSS samples (KiB, 1/s):%s\n", $0
    }' | tee -a "$RESULTS"
fi
echo
echo "table written to $RESULTS"
