// The tcp sink through the real binary (SPEC §2, §3) into a listener the test owns on
// 127.0.0.1: numbered lines arrive exactly once and in order; when the listener stops mid-run
// (a graceful stop: it half-closes and reads what was sent to it until sluice closes its end)
// and comes back on the same port, the sink holds its events while it cannot connect, says so
// once, and then delivers everything, with no duplicate (a duplicate needs a write that failed
// half-way, which a graceful stop never causes).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/kafka_util.h"
#include "tests/e2e/socket_util.h"

namespace sluice::e2e {
namespace {

// A TCP server on 127.0.0.1 that accepts connections one after another and keeps every byte it
// reads. stop() is graceful: no new connection, the open one is half-closed and read until the
// peer closes its end (bounded), so nothing the peer wrote before it noticed is thrown away.
class Listener {
 public:
  explicit Listener(int port = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr = loopback(port);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Listener() { stop(); }

  bool ok() const { return fd_ >= 0; }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  std::string received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  // True when the peer closed its end of the connection being stopped (set by stop()).
  bool drained_to_eof() const { return eof_at_stop_.load(); }
  void stop() {
    stopping_.store(true);
    if (thread_.joinable()) {
      thread_.join();
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  void serve() {
    int conn = -1;
    bool half_closed = false;
    // Bounded: 10 s after stop() it gives up waiting for the peer's end.
    int polls_after_stop = 0;
    char buf[65536];
    while (true) {
      if (stopping_.load()) {
        if (fd_ >= 0 && !half_closed) {
          ::shutdown(fd_, SHUT_RDWR);  // no new connection
        }
        if (conn < 0) {
          return;
        }
        if (!half_closed) {
          ::shutdown(conn, SHUT_WR);
          half_closed = true;
        }
        if (++polls_after_stop > 200) {
          ::close(conn);
          return;
        }
      }
      pollfd p{conn >= 0 ? conn : fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      if (conn < 0) {
        conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn >= 0) {
          accepted_.fetch_add(1);
        }
        continue;
      }
      const ssize_t n = ::read(conn, buf, sizeof(buf));
      if (n > 0) {
        std::lock_guard lock(mu_);
        received_.append(buf, static_cast<size_t>(n));
        continue;
      }
      ::close(conn);
      conn = -1;
      if (half_closed) {
        eof_at_stop_.store(n == 0);
        return;
      }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> eof_at_stop_{false};
  std::atomic<int> accepted_{0};
  mutable std::mutex mu_;
  std::string received_;
};

std::string numbered(int from, int to) {
  std::string text;
  for (int i = from; i <= to; ++i) {
    text += zero_padded(i) + "\n";
  }
  return text;
}

std::string sink_line(int port) {
  return "  net: { type: tcp, address: \"127.0.0.1:" + std::to_string(port) +
         "\", encoding: raw }\n";
}

TEST(TcpSink, EveryLineArrivesOnceInOrder) {
  Listener listener;
  ASSERT_TRUE(listener.ok());
  TempDir dir;
  const int n = 100000;
  write_file(dir.file("in.log"), numbered(1, n));
  write_file(dir.file("c.yaml"), "pipelines:\n  p:\n    source: { type: file, paths: [" +
                                     dir.file("in.log") +
                                     "], follow: false }\n    parse: { format: none }\n"
                                     "    routes: [{ to: net }]\nsinks:\n" +
                                     sink_line(listener.port()));
  RunResult run = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "out"), n) << run.err;
  // The finite run closed its connection after the last byte.
  ASSERT_TRUE(wait_until([&] { return count_lines(listener.received()) >= n; }));
  EXPECT_EQ(listener.received(), numbered(1, n));
  EXPECT_EQ(listener.accepted(), 1);
}

TEST(TcpSink, HoldsItsEventsWhileThePeerIsDownAndDeliversThemOnceWhenItIsBack) {
  auto first = std::make_unique<Listener>();
  ASSERT_TRUE(first->ok());
  const int port = first->port();
  TempDir dir;
  FollowedDaemon daemon(dir, "    parse: { format: none }\n    routes: [{ to: net }]\n",
                        sink_line(port));
  const int n1 = 20000, n2 = 30000;
  daemon.append(numbered(1, n1));
  ASSERT_TRUE(wait_until([&] { return count_lines(first->received()) >= n1; }));
  // The peer stops: sluice notices the closed connection, and cannot connect again.
  first->stop();
  EXPECT_TRUE(first->drained_to_eof()) << "sluice closed its end once the peer closed";
  const std::string before = first->received();
  first.reset();
  daemon.append(numbered(n1 + 1, n1 + n2));
  ASSERT_TRUE(wait_until([&] {
    return daemon.err().find("cannot connect to 127.0.0.1:" + std::to_string(port)) !=
           std::string::npos;
  })) << daemon.err();
  // Back on the same port: what was held arrives.
  Listener second(port);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(wait_until([&] { return count_lines(second.received()) >= n2; }));
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  second.stop();

  // Every line exactly once over both connections, in order; duplicates counted (none here).
  std::map<std::string, int> seen;
  for (const std::string& line : split_lines(before + second.received())) {
    ++seen[line];
  }
  int duplicates = 0;
  for (const auto& [line, times] : seen) {
    duplicates += times - 1;
  }
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(seen.size(), static_cast<size_t>(n1 + n2));
  EXPECT_EQ(before, numbered(1, n1));
  EXPECT_EQ(second.received(), numbered(n1 + 1, n1 + n2));
  EXPECT_EQ(second.accepted(), 1);
  const std::string err = daemon.err();
  EXPECT_EQ(summary_value(err, "p", "out"), n1 + n2) << err;
  // The outage is said once, however many attempts it took, and its end once.
  size_t outage_lines = 0;
  for (size_t at = err.find("holding its events"); at != std::string::npos;
       at = err.find("holding its events", at + 1)) {
    ++outage_lines;
  }
  EXPECT_EQ(outage_lines, 1u) << err;
  EXPECT_NE(err.find("connected to 127.0.0.1:" + std::to_string(port) + " again"),
            std::string::npos)
      << err;
}

// Nobody listens: the events wait, SIGTERM gives up after shutdown_timeout and counts them.
TEST(TcpSink, APeerThatNeverComesIsOneLineAndShutdownCountsEverythingUndelivered) {
  TempDir dir;
  int port = 0;
  {
    Listener gone;  // a port that was free a moment ago, closed again
    port = gone.port();
  }
  write_file(dir.file("c.yaml"),
             "shutdown_timeout: 500ms\npipelines:\n  p:\n"
             "    source: { type: generate, count: 300 }\n"
             "    parse: { format: none }\n    routes: [{ to: net }]\nsinks:\n" +
                 sink_line(port));
  SpawnedSluice sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(sluice.started());
  ASSERT_TRUE(wait_until([&] {
    return read_file(dir.file("sluice.err")).find("cannot connect") != std::string::npos;
  }));
  EXPECT_EQ(sluice.stop(), 1);
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(summary_value(err, "p", "in"), 300) << err;
  EXPECT_EQ(summary_value(err, "p", "out"), 0) << err;
  EXPECT_EQ(summary_value(err, "p", "undelivered"), 300) << err;
  size_t attempts_said = 0;
  for (size_t at = err.find("cannot connect"); at != std::string::npos;
       at = err.find("cannot connect", at + 1)) {
    ++attempts_said;
  }
  EXPECT_EQ(attempts_said, 1u) << err;
}

}  // namespace
}  // namespace sluice::e2e
