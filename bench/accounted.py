#!/usr/bin/env python3
"""When a running sluice has accounted for EXPECTED events: events its sink `out` wrote plus
events the pipeline's filter dropped, read from /metrics every INTERVAL seconds. The benchmarks
end their clock there rather than when the daemon has exited (its stop is not throughput), and
call it from a python3 process that is already running: a python3 start costs seconds here
(a pyenv shim), which would otherwise land inside the measured interval.

As a program: accounted.py METRICS_PORT PIPELINE EXPECTED [INTERVAL] prints the wall-clock time
(ns since the epoch) it saw that; with EXPECTED 0 it waits until /metrics answers.
"""
import sys
import time
import urllib.request


def accounted(port, pipeline):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    n = 0
    for line in text.splitlines():
        if line.startswith("sluice_sink_events_total{") and 'sink="out"' in line:
            n += float(line.rsplit(" ", 1)[1])
        elif (line.startswith("sluice_events_dropped_total{") and f'pipeline="{pipeline}"' in line
              and 'reason="filtered"' in line):
            n += float(line.rsplit(" ", 1)[1])
    return int(n)


def wait_accounted(port, pipeline, expected, interval=0.005, timeout=600, exited=None):
    """Returns time.time_ns() when /metrics first shows `expected` events accounted for, or
    when `exited()` (if given) says sluice has exited: a run with finite sources stops by
    itself once drained, possibly between two polls."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if accounted(port, pipeline) >= expected:
                return time.time_ns()
        except OSError:
            pass  # not listening yet, or gone
        if exited is not None and exited():
            return time.time_ns()
        time.sleep(interval)
    raise TimeoutError(f"sluice did not account for {expected} events in {timeout} s")


if __name__ == "__main__":
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.005
    print(wait_accounted(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), interval))
