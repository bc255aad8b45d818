// SocketAddress: a HOST:PORT of the configuration (`listen`, `address`; checked by
// config/host_port) turned into addresses the socket calls take, and a peer's address turned back
// into text for `_source` and log lines. Resolving may ask DNS, so it runs where a source or sink
// opens its socket, never per event.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "stages/status.h"

namespace sluice {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The addresses `host_port` ("127.0.0.1:5514", "[::1]:9000", "collector:5170") names for
// `socket_type` (SOCK_STREAM or SOCK_DGRAM), in the resolver's order. An error is one line
// naming the address (unknown host, bad port).
Result<std::vector<SocketAddress>> resolve_host_port(std::string_view host_port, int socket_type,
                                                     bool passive);

// "127.0.0.1:5514" or "[::1]:5514" into `out` (appended), without allocating when `out` has room.
void append_address(const sockaddr* address, std::string& out);

}  // namespace sluice
