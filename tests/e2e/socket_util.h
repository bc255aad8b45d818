// Socket helpers for end-to-end tests that talk to sluice over UDP and TCP on 127.0.0.1: the
// loopback address of a port, a bound UDP socket and its port, and the zero-padded numbers that
// numbered events carry. Nothing here waits.
#pragma once

#include <netinet/in.h>

#include <string>

namespace sluice::e2e {

// 127.0.0.1:`port`.
sockaddr_in loopback(int port);
// A UDP socket bound to 127.0.0.1:`port` (0: any free one); -1 when the port is taken.
int bind_udp(int port);
// The local port of a bound socket.
int local_port(int fd);
// A UDP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_udp_port();
// "0000000042": numbered events sort and compare as text.
std::string zero_padded(int i);

}  // namespace sluice::e2e
