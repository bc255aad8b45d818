// A tiny HTTP server for tests of `sluice top` and http_get: one thread on 127.0.0.1 (a free
// port) that answers the n-th connection with the n-th canned answer (the last one repeats).
// An empty answer means "accept, read the request, never answer" (a hung daemon). Header-only:
// used by the daemon and the e2e test binaries. Stopped and joined by its destructor.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace sluice {

class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::vector<std::string> answers) : answers_(std::move(answers)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // the kernel picks a free port
    socklen_t len = sizeof(addr);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::listen(listen_fd_, 16) == 0 &&
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedHttpServer() {
    uint64_t one = 1;
    ssize_t ignored = ::write(stop_fd_, &one, sizeof(one));
    (void)ignored;
    thread_.join();
    for (int fd : held_) {
      ::close(fd);
    }
    ::close(listen_fd_);
    ::close(stop_fd_);
  }
  CannedHttpServer(const CannedHttpServer&) = delete;
  CannedHttpServer& operator=(const CannedHttpServer&) = delete;

  // 0 when the socket could not be set up (the test then fails on connecting).
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

  static std::string ok(const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }
  // The body in chunks of at most `chunk` bytes (Transfer-Encoding: chunked).
  static std::string chunked(const std::string& body, size_t chunk) {
    std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (size_t at = 0; at < body.size(); at += chunk) {
      std::string part = body.substr(at, chunk);
      char size[20];
      std::snprintf(size, sizeof(size), "%zx\r\n", part.size());
      out += size + part + "\r\n";
    }
    return out + "0\r\n\r\n";
  }

 private:
  // Waits for `fd` to be readable; false once the server is asked to stop.
  bool wait_readable(int fd) const {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (::poll(fds, 2, -1) < 0) {
    }
    return (fds[1].revents & POLLIN) == 0;
  }

  void serve() {
    while (wait_readable(listen_fd_)) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos && wait_readable(fd)) {
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0) {
          break;
        }
        request.append(buffer, static_cast<size_t>(n));
      }
      int n = requests_.fetch_add(1);
      const std::string& answer = answers_[std::min<size_t>(n, answers_.size() - 1)];
      if (answer.empty()) {
        held_.push_back(fd);  // a hung daemon: the client must give up by itself
        continue;
      }
      size_t sent = 0;
      while (sent < answer.size()) {
        ssize_t w = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
        if (w <= 0) {
          break;
        }
        sent += static_cast<size_t>(w);
      }
      ::close(fd);
    }
  }

  std::vector<std::string> answers_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::vector<int> held_;  // touched by the server thread only, until it is joined
  std::thread thread_;
};

}  // namespace sluice
