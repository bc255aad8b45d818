#!/usr/bin/env python3
"""The loopback ceiling for tcp_ingest.sh: one thread receives SENDERS connections with
recv_into a 512 KiB buffer (epoll, no framing, nothing kept) and closes each at its end, as the
`tcp` source does. Same senders, same machine, same minutes: what sluice's MB/s is compared with.
Prints its port on the first line, then runs until all SENDERS connections have ended.

usage: tcp_ceiling.py SENDERS
"""
import selectors
import socket
import sys


def main():
    senders = int(sys.argv[1])
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    buf = bytearray(512 << 10)
    view = memoryview(buf)
    ended = 0
    while ended < senders:
        for key, _ in sel.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj
            try:
                n = conn.recv_into(view)
            except BlockingIOError:
                continue
            if n == 0:
                sel.unregister(conn)
                conn.close()
                ended += 1


if __name__ == "__main__":
    main()
