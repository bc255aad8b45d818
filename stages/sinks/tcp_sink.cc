#include "stages/sinks/tcp_sink.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "stages/fd_io.h"
#include "stages/log.h"
#include "stages/socket_address.h"

namespace sluice {
namespace {

// Connects `fd` (non-blocking) to `address` within `timeout`; errno-style message on failure.
Status connect_within(int fd, const SocketAddress& address, std::chrono::milliseconds timeout) {
  if (::connect(fd, address.get(), address.length) == 0) {
    return Status();
  }
  if (errno != EINPROGRESS) {
    return Status::error(std::strerror(errno));
  }
  pollfd p{fd, POLLOUT, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready < 0) {
    // EINTR: the runner interrupts a sink only to end it (shutdown timeout).
    return Status::error(std::strerror(errno));
  }
  if (ready == 0) {
    return Status::error("no answer within " + std::to_string(timeout.count()) + " ms");
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    return Status::error(std::strerror(err != 0 ? err : errno));
  }
  return Status();
}

}  // namespace

Status TcpSink::outage(const std::string& first_failure) {
  ++failed_attempts_;
  if (!in_outage_) {
    in_outage_ = true;
    outage_since_ = std::chrono::steady_clock::now();
    outage_message_ =
        first_failure + "; holding its events and reconnecting with backoff (said once per outage)";
  }
  return Status::error(outage_message_);
}

Status TcpSink::connect() {
  auto addresses = resolve_host_port(options_.address, SOCK_STREAM, /*passive=*/false);
  if (!addresses.ok()) {
    return outage(addresses.status().message());
  }
  std::string last_error;
  for (const SocketAddress& address : addresses.value()) {
    int fd = ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (Status s = connect_within(fd, address, options_.connect_timeout); !s.ok()) {
      last_error = s.message();
      ::close(fd);
      continue;
    }
    // Blocking writes from here on: a peer that reads slowly is backpressure, and the runner's
    // interrupt ends a blocked write at shutdown.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const int one = 1;
    // Batches are written whole; a small last one should not wait for Nagle's timer.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fd_ = fd;
    ++connections_;
    if (in_outage_) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - outage_since_).count();
      char took[64];
      std::snprintf(took, sizeof(took), "%.1f s and %llu failed attempt(s)", seconds,
                    static_cast<unsigned long long>(failed_attempts_));
      log_info("sink " + options_.name + ": connected to " + options_.address + " again after " +
               took + "; sending what it held");
    }
    in_outage_ = false;
    failed_attempts_ = 0;
    return Status();
  }
  return outage("cannot connect to " + options_.address + ": " + last_error);
}

bool TcpSink::peer_closed() {
  char scratch[4096];
  // Bounded: a peer that keeps sending is not worth more than a few reads per write.
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(fd_, scratch, sizeof(scratch), MSG_DONTWAIT);
    if (n > 0) {
      continue;  // the peer talks back; nothing of ours to read, so it is discarded
    }
    if (n == 0) {
      return true;
    }
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }
  return false;
}

void TcpSink::disconnect() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Result<bool> TcpSink::prepare() {
  if (fd_ >= 0 && peer_closed()) {
    // Closed between batches: nothing of the next batch was written to it, nothing is lost.
    disconnect();
  }
  if (fd_ >= 0) {
    return false;
  }
  if (Status s = connect(); !s.ok()) {
    return s;
  }
  return true;
}

Status TcpSink::write(std::span<const std::string_view> parts, size_t& written) {
  written = 0;
  if (fd_ < 0) {
    return outage("not connected to " + options_.address);
  }
  Status s = write_all(fd_, parts, written, options_.address);
  if (!s.ok()) {
    // The next prepare() reconnects and the runner sends every unresolved batch again.
    disconnect();
    return outage(s.message());
  }
  return s;
}

void TcpSink::idle() {
  if (fd_ >= 0 && peer_closed()) {
    disconnect();
    log_info("sink " + options_.name + ": " + options_.address +
             " closed the connection; reconnecting at the next write");
  }
}

}  // namespace sluice
