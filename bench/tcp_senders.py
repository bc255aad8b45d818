#!/usr/bin/env python3
"""The senders of tcp_ingest.sh: SENDERS threads each connect to 127.0.0.1:PORT, open FILE and
wait at a barrier; the barrier releases them all at once and marks the start. Each sends the
file with socket.sendfile (the kernel copies; little CPU here), shuts its side and waits until
the receiver closes the connection: then it has read every byte. Prints three wall-clock times
in ns: the start, when the last connection was closed by the receiver, and when the receiver's
/metrics accounted for TOTAL events (bench/accounted.py; the second time again when METRICS_PORT
is 0, for a receiver without metrics).

usage: tcp_senders.py PORT FILE SENDERS [METRICS_PORT PIPELINE TOTAL]
"""
import socket
import sys
import threading
import time

from accounted import wait_accounted


def main():
    port, path, senders = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    mport = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    start = []
    barrier = threading.Barrier(senders, action=lambda: start.append(time.time_ns()))
    read_ends = []

    def send():
        with socket.create_connection(("127.0.0.1", port)) as s, open(path, "rb") as f:
            barrier.wait()
            s.sendfile(f)
            s.shutdown(socket.SHUT_WR)
            s.recv(1)  # returns when the receiver closes: it has read everything
            read_ends.append(time.time_ns())

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    read_end = max(read_ends)
    done = wait_accounted(mport, sys.argv[5], int(sys.argv[6])) if mport else read_end
    print(start[0], read_end, done)


if __name__ == "__main__":
    main()
