#include "stages/ingest/tcp_source.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "stages/log.h"
#include "stages/socket_address.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// How long the loop sleeps in epoll_wait or wait_for_room before it looks at stopping() again.
constexpr std::chrono::milliseconds kPollSlice{100};
// A connection's share of one turn: a busy sender yields to the others after this much.
constexpr size_t kTurnBytes = 1 << 20;
// Out of descriptors: accepting waits this long before trying again (the kernel keeps the
// connections in its backlog meanwhile).
constexpr std::chrono::seconds kAcceptPause{1};

// "address already in use" from strerror's "Address already in use".
std::string error_text(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// "127.0.0.1:54321" or "[::1]:54321".
std::string address_text(const sockaddr_storage& address) {
  std::string text;
  append_address(reinterpret_cast<const sockaddr*>(&address), text);
  return text;
}

constexpr std::array<DropReason, 1> kTcpLostReasons{DropReason::kIncompleteRecord};

}  // namespace

std::span<const DropReason> TcpSource::lost_reasons() const { return kTcpLostReasons; }

std::optional<SourceConnections> TcpSource::connections() const {
  return SourceConnections{open_.load(std::memory_order_relaxed),
                           accepted_.load(std::memory_order_relaxed),
                           refused_.load(std::memory_order_relaxed)};
}

TcpSource::TcpSource(TcpSourceOptions options, TcpConnection::FramerFactory make_framer)
    : options_(std::move(options)), make_framer_(std::move(make_framer)) {}

TcpSource::~TcpSource() {
  connections_.clear();
  if (epoll_fd_ >= 0) {
    ::close(epoll_fd_);
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
  }
}

Status TcpSource::open() {
  const std::string what = "tcp source listen " + options_.listen + ": ";
  auto addresses = resolve_host_port(options_.listen, SOCK_STREAM, /*passive=*/true);
  if (!addresses.ok()) {
    return Status::error(what + addresses.status().message());
  }
  const SocketAddress& a = addresses.value().front();
  int fd = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    int one = 1;  // a port whose last connections are in TIME_WAIT is free to listen on
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a.get(), a.length) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  if (fd < 0) {
    return Status::error(what + error_text(err));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  bound_ = address_text(bound);
  listen_fd_ = fd;
  log_info("tcp source listening on " + bound_);
  return Status();
}

void TcpSource::accept_all() {
  while (true) {
    sockaddr_storage addr{};
    socklen_t length = sizeof(addr);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      if (errno == EMFILE || errno == ENFILE) {
        log_warning("tcp source " + bound_ + ": out of file descriptors (" + error_text(errno) +
                    "); new connections wait in the backlog");
        epoll_event ev{};  // stop watching the listener; sweep() watches it again
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        accept_paused_until_ = Clock::now() + kAcceptPause;
      }
      return;  // EAGAIN: the backlog is empty
    }
    if (connections_.size() >= options_.max_connections) {
      ::close(fd);
      refused_.fetch_add(1, std::memory_order_relaxed);
      if (!warned_full_) {
        log_warning("tcp source " + bound_ + ": max_connections (" +
                    std::to_string(options_.max_connections) +
                    ") reached; further connections are closed at once (counted, said once)");
        warned_full_ = true;
      }
      continue;
    }
    auto peer = std::make_shared<const std::string>("tcp:" + address_text(addr));
    auto conn = std::make_unique<TcpConnection>(fd, std::move(peer), options_.framing, make_framer_,
                                                options_.reader);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = conn.get();
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      continue;  // out of memory for the watch: the connection is closed by its destructor
    }
    conn->index = connections_.size();
    connections_.push_back(std::move(conn));
    open_.store(connections_.size(), std::memory_order_relaxed);
    accepted_.fetch_add(1, std::memory_order_relaxed);
  }
}

bool TcpSource::serve(TcpConnection& conn, SourceContext& ctx) {
  switch (conn.serve(ctx, kTurnBytes)) {
    case TcpConnection::Step::kDrained:
      return false;
    case TcpConnection::Step::kRefused:
      return true;
    case TcpConnection::Step::kClosed:
      torn_records_.fetch_add(conn.torn_records(), std::memory_order_relaxed);
      remove(conn);
      return false;
  }
  return false;
}

void TcpSource::remove(TcpConnection& conn) {
  if (conn.fd() >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn.fd(), nullptr);
  }
  const size_t at = conn.index;
  if (at + 1 != connections_.size()) {
    connections_[at] = std::move(connections_.back());
    connections_[at]->index = at;
  }
  connections_.pop_back();  // destroys `conn` (or the moved-from slot), closing its socket
  open_.store(connections_.size(), std::memory_order_relaxed);
}

void TcpSource::sweep(Clock::time_point now, SourceContext& ctx) {
  if (accept_paused_until_ && now >= *accept_paused_until_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    accept_paused_until_.reset();
  }
  if (options_.idle_timeout.count() <= 0) {
    return;
  }
  for (size_t i = connections_.size(); i-- > 0;) {
    TcpConnection& conn = *connections_[i];
    int queued = 0;
    if (now - conn.last_read < options_.idle_timeout ||
        (::ioctl(conn.fd(), FIONREAD, &queued) == 0 && queued > 0)) {
      continue;  // data waiting in the socket: not idle, only not read (the pipeline is full)
    }
    if (conn.unframed_bytes() > 0) {
      log_warning("tcp source " + bound_ + ": closing idle " + conn.peer() +
                  " with an incomplete record of " + std::to_string(conn.unframed_bytes()) +
                  " bytes; dropped");
      dropped_records_.fetch_add(1, std::memory_order_relaxed);
      ctx.count_lost(DropReason::kIncompleteRecord, 1);
    }
    closed_idle_.fetch_add(1, std::memory_order_relaxed);
    remove(conn);
  }
}

void TcpSource::finish(SourceContext& ctx) {
  ::close(listen_fd_);  // refuse new connections at once
  listen_fd_ = -1;
  for (auto& conn : connections_) {
    if (conn->finish(ctx) > 0) {
      dropped_records_.fetch_add(1, std::memory_order_relaxed);
      ctx.count_lost(DropReason::kIncompleteRecord, 1);
    }
  }
  connections_.clear();
  open_.store(0, std::memory_order_relaxed);
  log_info("tcp source " + bound_ + ": stopped; " + std::to_string(accepted()) +
           " connections accepted, " + std::to_string(refused()) +
           " refused over max_connections, " + std::to_string(closed_idle()) + " closed idle; " +
           std::to_string(torn_records()) + " incomplete records dead-lettered at a close, " +
           std::to_string(dropped_records()) + " dropped (idle close or stop)");
}

Status TcpSource::run(SourceContext& ctx) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    return Status::error("tcp source " + bound_ + ": epoll: " + error_text(errno));
  }
  epoll_event listener{};
  listener.events = EPOLLIN;
  listener.data.ptr = nullptr;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listener);
  const auto sweep_every = std::clamp<Clock::duration>(
      options_.idle_timeout / 4, std::chrono::milliseconds(100), std::chrono::seconds(1));
  auto next_sweep = Clock::now() + sweep_every;
  TcpConnection* refused_at = nullptr;  // the connection the pipeline refused, served first
  std::array<epoll_event, 64> events{};
  while (!ctx.stopping()) {
    if (refused_at != nullptr) {
      // The pipeline is full: no socket is read (senders feel it) until there is room.
      ctx.wait_for_room(refused_at->next_batch_bytes(), kPollSlice);
      if (!ctx.stopping() && !serve(*refused_at, ctx)) {
        refused_at = nullptr;
      }
      continue;
    }
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kPollSlice.count()));
    for (int i = 0; i < n && refused_at == nullptr; ++i) {
      if (events[i].data.ptr == nullptr) {
        accept_all();
        continue;
      }
      auto* conn = static_cast<TcpConnection*>(events[i].data.ptr);
      if (serve(*conn, ctx)) {
        refused_at = conn;  // the others stay readable and are reported again
      }
    }
    const auto now = Clock::now();
    if (now >= next_sweep) {
      sweep(now, ctx);
      next_sweep = now + sweep_every;
    }
  }
  finish(ctx);
  return Status();
}

}  // namespace sluice
