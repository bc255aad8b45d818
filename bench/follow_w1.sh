#!/usr/bin/env bash
# W1 in follow mode: the W1 pipeline of run_e2e.sh (csv, typed, filter, json to a file sink) on a
# `file` source with `follow: true`, while a writer appends the W1 input to the followed file at
# full speed (python3, 64 KiB writes that cut lines anywhere, as a busy logger's appends do).
# Timed from the writer's first write until /metrics accounts for every event (written by the
# sink or filtered out; bench/accounted.py every 10 ms). Beside it, in the same run and
# alternating with it, the EOF run of W1 (`follow: false` over the finished file), timed from
# sluice's launch to the same accounting or to its exit, whichever it shows first (its start-up
# is inside its time); and a third run that follows the finished file (`follow: true`, timed as
# the EOF run), which is following without a writer competing for the same cores. Prints
# events/s of each, the ratios to EOF (issue 13's goal: 1.0), the writer's own MB/s, sluice's CPU
# seconds and peak RSS; medians of RUNS rounds. The writer shares the cores: compare sluice's CPU
# seconds too, which the writer does not inflate.
#
# Environment: SLUICE (binary, default build-bench/sluice), EVENTS (default 5000000), RUNS (5),
# WORKERS (parse workers, 1), OUT (bench/out), WRITE_DIR (where the followed file and the sinks'
# output are written, default OUT; a tmpfs such as /dev/shm takes the disk's noise out: on this
# machine's ext4, writing right after the last run's output was deleted makes some runs' sinks
# several times slower).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build-bench/sluice}
EVENTS=${EVENTS:-5000000}
RUNS=${RUNS:-5}
WORKERS=${WORKERS:-1}
OUT=${OUT:-$ROOT/bench/out}
WRITE_DIR=${WRITE_DIR:-$OUT}
FILTER='status >= 500 or path =~ "^/api/v[0-9]+/orders"'

. "$ROOT/bench/bench_lib.sh"
MPORT=$(free_port)
mkdir -p "$OUT"

INPUT=$OUT/events.csv  # the same file run_e2e.sh generates
gen_csv "$INPUT" "$EVENTS"
BYTES=$(stat -c %s "$INPUT")
FOLLOWED=$WRITE_DIR/follow-w1.csv

# write_config NAME PATH FOLLOW
write_config() {
  cat >"$OUT/$1.yaml" <<YAML
data_dir: $OUT/data-$1
metrics: { listen: "127.0.0.1:$MPORT" }
pipelines:
  $1:
    source: { type: file, paths: [$2], read_from: beginning, follow: $3 }
    parse:
      format: csv
      columns: [ts, host, method, path, status, bytes, latency_ms, agent]
      types: { status: int, bytes: int, latency_ms: float }
    filter: '$FILTER'
    routes: [{ to: out }]
    threads: { parse: $WORKERS }
sinks:
  out: { type: file, path: $WRITE_DIR/$1.out, encoding: json }
YAML
}
write_config w1_eof "$INPUT" false
write_config w1_follow "$FOLLOWED" true
write_config w1_follow_written "$INPUT" true

# run_once NAME: prints "seconds rss_kib writer_seconds cpu_seconds" (writer_seconds: 0 for the
# EOF run; cpu_seconds: sluice's user + system time, start-up and stop included).
# One python3 process launches sluice, writes and polls, so no process start is timed.
run_once() {
  local name=$1
  rm -rf "$OUT/data-$name" "$WRITE_DIR/$name.out"
  cat "$INPUT" >/dev/null  # page cache warm for both
  PYTHONPATH="$ROOT/bench" "$PYTHON" - "$SLUICE" "$OUT/$name.yaml" "$name" "$MPORT" "$EVENTS" \
    "$INPUT" "$FOLLOWED" "$OUT/$name.err" <<'PY'
import os, signal, subprocess, sys, time
from accounted import wait_accounted
sluice, config, name, mport, events, src, followed, err = sys.argv[1:9]
mport, events, follow = int(mport), int(events), name == "w1_follow"
# w1_follow_written follows the finished file: timed as the EOF run is, so that it shows what
# following costs sluice by itself, without a writer on the same cores.
writer_ns = 0
if follow:
    open(followed, "wb").close()
    p = subprocess.Popen([sluice, "run", "-c", config], stderr=open(err, "wb"))
    wait_accounted(mport, name, 0, 0.01)  # /metrics answers: the source has opened the file
    start = time.time_ns()
    out = os.open(followed, os.O_WRONLY | os.O_APPEND)
    with open(src, "rb") as f:
        while block := f.read(64 << 10):
            os.write(out, block)
    os.close(out)
    writer_ns = time.time_ns() - start
else:
    start = time.time_ns()
    p = subprocess.Popen([sluice, "run", "-c", config], stderr=open(err, "wb"))
usage = None
def exited():
    global usage
    pid, _, rusage = os.wait4(p.pid, os.WNOHANG)
    usage = rusage if pid != 0 else None
    return pid != 0
done = wait_accounted(mport, name, events, 0.01, exited=exited)
if usage is None:
    p.send_signal(signal.SIGTERM)
    _, _, usage = os.wait4(p.pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(f"{(done - start) / 1e9:.4f} {usage.ru_maxrss} {writer_ns / 1e9:.4f} {cpu:.3f}")
PY
}

eof_s="" follow_s="" writer_s="" eof_rss="" follow_rss="" ratios="" eof_cpu="" follow_cpu=""
written_s="" written_rss="" written_cpu="" written_ratios=""
for _ in $(seq "$RUNS"); do
  read -r e er _ ec < <(run_once w1_eof)
  read -r f fr w fc < <(run_once w1_follow)
  read -r p pr _ pc < <(run_once w1_follow_written)
  eof_s+=" $e" follow_s+=" $f" writer_s+=" $w" eof_rss+=" $er" follow_rss+=" $fr"
  eof_cpu+=" $ec" follow_cpu+=" $fc"
  written_s+=" $p" written_rss+=" $pr" written_cpu+=" $pc"
  ratios+=" $(awk -v e="$e" -v f="$f" 'BEGIN {printf "%.3f", e / f}')"
  written_ratios+=" $(awk -v e="$e" -v f="$p" 'BEGIN {printf "%.3f", e / f}')"
done
w=$(echo "$writer_s" | median)
echo "W1 follow vs EOF: $EVENTS events ($BYTES bytes), $WORKERS parse worker(s), median of $RUNS pairs, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | events/s | MB/s (input) | seconds (each run) | sluice CPU s | peak RSS MiB |"
echo "| --- | ---: | ---: | --- | ---: | ---: |"
# row LABEL SECONDS RSS_KIB CPU_SECONDS: one table row from each run's numbers, by their medians.
row() {
  awk -v label="$1" -v n="$EVENTS" -v b="$BYTES" -v s="$(echo "$2" | median)" -v all="$2" \
    -v r="$(echo "$3" | median)" -v c="$(echo "$4" | median)" \
    'BEGIN {printf "| %s | %.2f M | %.0f | %s | %.2f | %.0f |\n", label, n / s / 1e6, b / s / 1e6, all, c, r / 1024}'
}
row "W1 EOF (follow: false)" "$eof_s" "$eof_rss" "$eof_cpu"
row "W1 follow, writer appending" "$follow_s" "$follow_rss" "$follow_cpu"
row "W1 follow, file already written" "$written_s" "$written_rss" "$written_cpu"
echo
awk -v all="$written_ratios" -v m="$(echo "$written_ratios" | median)" \
  'BEGIN {printf "- follow (file already written) / EOF events/s ratio: median %s (each pair:%s)\n", m, all}'
awk -v w="$w" -v b="$BYTES" -v all="$ratios" -v m="$(echo "$ratios" | median)" \
  'BEGIN {printf "- follow / EOF events/s ratio: median %s (each pair:%s); the writer alone took %.2f s (%.0f MB/s)\n", m, all, w, b / w / 1e6}'
