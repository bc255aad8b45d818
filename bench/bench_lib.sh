# Sourced by the benchmarks that drive sluice from python3 and read its /metrics (tcp_ingest.sh,
# follow_w1.sh): the checks they share, median(), the interpreter and a free port.
# Expects SLUICE to be set.

[[ -x $SLUICE ]] || { echo "no sluice binary at $SLUICE (build first, or set SLUICE)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

# The median of the whitespace-separated numbers on stdin.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# The interpreter itself, resolved once: a `python3` on PATH may be a shim (pyenv) that takes
# seconds to start, which must not land inside a timed interval.
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}

# A TCP port free on 127.0.0.1 now (for the metrics endpoint).
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# gen_csv FILE COUNT: COUNT `sluice gen` csv events (seed 1) in FILE, kept across runs while the
# count matches (FILE.count).
gen_csv() {
  if [[ ! -f $1 || $(cat "$1.count" 2>/dev/null) != "$2" ]]; then
    echo "generating $2 csv events -> $1" >&2
    "$SLUICE" gen --format csv --count "$2" --seed 1 >"$1"
    echo "$2" >"$1.count"
  fi
}
