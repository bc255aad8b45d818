#include "stages/socket_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace sluice {

Result<std::vector<SocketAddress>> resolve_host_port(std::string_view host_port, int socket_type,
                                                     bool passive) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::error("'" + std::string(host_port) + "' is not HOST:PORT");
  }
  std::string host(host_port.substr(0, colon));
  const std::string port(host_port.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socket_type;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Status::error("cannot resolve '" + std::string(host_port) + "': " + gai_strerror(rc));
  }
  std::vector<SocketAddress> out;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    SocketAddress address;
    std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
    address.length = a->ai_addrlen;
    out.push_back(address);
  }
  ::freeaddrinfo(found);
  if (out.empty()) {
    return Status::error("'" + std::string(host_port) + "' names no usable address");
  }
  return out;
}

void append_address(const sockaddr* address, std::string& out) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  const bool v6 = address->sa_family == AF_INET6;
  if (v6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  } else if (address->sa_family == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(address);
    ::inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
    port = ntohs(in4->sin_port);
  }
  if (v6) {
    out.push_back('[');
  }
  out.append(host);
  if (v6) {
    out.push_back(']');
  }
  out.push_back(':');
  char digits[8];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), port);
  (void)ec;
  out.append(digits, end);
}

}  // namespace sluice
