// End to end: the tcp source through the real binary. Clients are threads of the test on
// 127.0.0.1; sluice listens on a port the system picks (listen: 127.0.0.1:0) and names it in its
// log. Lines are numbered per connection, so loss, duplication and reordering are exact.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

// The port sluice logged it listens on ("tcp source listening on 127.0.0.1:PORT"), waiting for
// the line (bounded); 0 if it never came.
int listening_port(const TempDir& dir) {
  int port = 0;
  wait_until([&] {
    const std::string err = read_file(dir.file("sluice.err"));
    const std::string mark = "tcp source listening on 127.0.0.1:";
    const size_t at = err.find(mark);
    if (at != std::string::npos) {
      port = std::atoi(err.c_str() + at + mark.size());
    }
    return port > 0;
  });
  return port;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    fd = -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

// Ends the sending side and waits (bounded by a receive timeout) until sluice closes its end,
// which it does once it has read the whole stream.
void close_after_reading(int fd) {
  ::shutdown(fd, SHUT_WR);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char byte;
  while (::recv(fd, &byte, 1, 0) > 0) {
  }
  ::close(fd);
}

// "c007 000042 ....": client 7's line 42, padded to a fixed length.
std::string numbered_line(int client, int seq) {
  char head[32];
  std::snprintf(head, sizeof(head), "c%03d %06d ", client, seq);
  return std::string(head) + std::string(48, 'p');
}

std::string octet_frame(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

std::string config(const std::string& source_extra, const std::string& sink,
                   const std::string& top = "") {
  return top +
         "pipelines:\n"
         "  net:\n"
         "    source: { type: tcp, listen: \"127.0.0.1:0\"" +
         source_extra +
         " }\n"
         "    parse: { format: none }\n"
         "    routes: [{ to: out }]\n"
         "sinks:\n"
         "  out: " +
         sink + "\n";
}

// A daemon whose tcp source (`source_extra` added to its keys) feeds a raw file sink on a FIFO
// that the test reads (opened non-blocking, not read yet), under memory_limit 8MiB. `port` is 0
// when it did not come up. The test stops it; it is killed if the test fails first.
struct FifoSinkDaemon {
  FifoSinkDaemon(const TempDir& dir, const std::string& source_extra) {
    if (mkfifo(dir.file("out.fifo").c_str(), 0600) != 0) {
      return;
    }
    write_file(
        dir.file("c.yaml"),
        config(source_extra, "{ type: file, path: " + dir.file("out.fifo") + ", encoding: raw }",
               "memory_limit: 8MiB\n"));
    reader = ::open(dir.file("out.fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    pid = reader >= 0 ? spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path()) : -1;
    port = pid > 0 ? listening_port(dir) : 0;
  }
  ~FifoSinkDaemon() {
    if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      wait_exit(pid, 100);
    }
  }
  int reader = -1;
  pid_t pid = -1;
  int port = 0;
};

// 200 clients at once, half octet-counted and half newline-framed, into a file sink on a FIFO
// that the test drains slowly: every line arrives once, in its connection's order, and sluice's
// memory stays bounded while the sink holds the pipeline back.
TEST(TcpSource, ManyClientsWithASlowSinkDeliverEveryLineOnceInOrder) {
  constexpr int kClients = 200;
  constexpr int kLines = 300;
  TempDir dir;
  FifoSinkDaemon d(dir, ", framing: auto");
  ASSERT_GT(d.port, 0) << read_file(dir.file("sluice.err"));
  const int reader = d.reader;
  const pid_t pid = d.pid;
  const int port = d.port;

  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([c, port, &failed] {
      std::string data;
      for (int i = 0; i < kLines; ++i) {
        data += c % 2 == 0 ? octet_frame(numbered_line(c, i)) : numbered_line(c, i) + "\n";
      }
      int fd = connect_to(port);
      // Sent in pieces that cut lines and frames anywhere.
      bool ok = fd >= 0;
      for (size_t off = 0; ok && off < data.size(); off += 997) {
        ok = send_all(fd, data.substr(off, 997));
      }
      if (!ok) {
        failed.fetch_add(1);
      }
      if (fd >= 0) {
        ::close(fd);
      }
    });
  }
  // The slow sink: at most 8 KiB per millisecond, while sluice's RSS is sampled.
  const size_t expected_bytes =
      static_cast<size_t>(kClients) * kLines * (numbered_line(0, 0).size() + 1);
  std::string got;
  long rss_max = 0;
  char buf[8 << 10];
  for (int polls = 0; got.size() < expected_bytes && polls < 60000; ++polls) {
    ssize_t n = ::read(reader, buf, sizeof(buf));
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
    }
    if (polls % 50 == 0) {
      rss_max = std::max(rss_max, rss_kib(pid));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the sink's pace
  }
  for (auto& t : clients) {
    t.join();
  }
  EXPECT_EQ(failed.load(), 0);
  ::kill(pid, SIGTERM);
  // Whatever is left (nothing, if all is well) until sluice closes the FIFO.
  ::fcntl(reader, F_SETFL, 0);
  ssize_t n;
  while ((n = ::read(reader, buf, sizeof(buf))) > 0) {
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(reader);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));

  std::map<int, int> next;  // per client: the line number expected next
  size_t lines = 0;
  for (const std::string& line : split_lines(got)) {
    ++lines;
    int client = -1, seq = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "c%d %d", &client, &seq), 2) << line;
    ASSERT_EQ(seq, next[client]) << "client " << client << " out of order or duplicated";
    next[client] = seq + 1;
  }
  EXPECT_EQ(lines, static_cast<size_t>(kClients) * kLines);
  EXPECT_EQ(next.size(), static_cast<size_t>(kClients));
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(summary_value(err, "net", "in"), kClients * kLines) << err;
  EXPECT_EQ(summary_value(err, "net", "dead_lettered"), 0);
  EXPECT_NE(err.find("200 connections accepted"), std::string::npos) << err;
  if (std::getenv("SLUICE_SANITIZED") == nullptr) {  // shadow memory and quarantine move RSS
    EXPECT_LT(rss_max, 96 * 1024) << "RSS past memory_limit plus overhead";
  }
}

// One sender and a sink that does not drain at all: sluice stops reading the socket, so the
// sender blocks (TCP backpressure) with sluice's memory bounded; when the sink drains, every line
// arrives once and in order.
TEST(TcpSource, FullPipelineStopsReadingAndTheSenderBlocks) {
  constexpr int kLines = 400000;  // about 26 MB: far more than sluice and the kernel hold
  TempDir dir;
  FifoSinkDaemon d(dir, "");
  ASSERT_GT(d.port, 0) << read_file(dir.file("sluice.err"));
  const int reader = d.reader;
  const pid_t pid = d.pid;
  const int port = d.port;
  std::string data;
  for (int i = 0; i < kLines; ++i) {
    data += numbered_line(0, i) + "\n";
  }
  std::atomic<size_t> sent{0};
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  std::thread sender([&] {
    for (size_t off = 0; off < data.size(); off += 4096) {
      if (!send_all(fd, data.substr(off, 4096))) {
        break;
      }
      sent.store(std::min(off + 4096, data.size()));
    }
    ::close(fd);
  });
  // The sender stops making progress: what sluice and the kernel's buffers hold is full.
  size_t last = 0;
  int still = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        const size_t now = sent.load();
        still = now > 0 && now == last ? still + 1 : 0;
        last = now;
        return still >= 10;
      },
      600))
      << "the sender never blocked";
  EXPECT_LT(last, data.size());
  const long rss_stalled = rss_kib(pid);
  // Drain the sink: everything comes through.
  ::fcntl(reader, F_SETFL, 0);
  std::string got;
  char buf[1 << 16];
  while (got.size() < data.size()) {
    ssize_t n = ::read(reader, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  sender.join();
  ::kill(pid, SIGTERM);
  ::close(reader);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  EXPECT_TRUE(got == data) << "output differs from what was sent (" << got.size() << " of "
                           << data.size() << " bytes)";
  if (std::getenv("SLUICE_SANITIZED") == nullptr) {
    EXPECT_LT(rss_stalled, 64 * 1024) << "RSS past memory_limit plus overhead while stalled";
  }
}

// `_source` names the peer: tcp:127.0.0.1:PORT and the record's number on its connection.
TEST(TcpSource, SourceNamesThePeerAddress) {
  TempDir dir;
  write_file(dir.file("c.yaml"), config("", "{ type: file, path: " + dir.file("out.json") +
                                                ", encoding: json, fields: [_source, message] }"));
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  const int port = listening_port(dir);
  ASSERT_GT(port, 0) << read_file(dir.file("sluice.err"));
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  sockaddr_in local{};
  socklen_t length = sizeof(local);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length), 0);
  ASSERT_TRUE(send_all(fd, "first\nsecond\ntorn"));
  close_after_reading(fd);
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("out.json"))) == 2; }));
  ::kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  const std::string peer = "tcp:127.0.0.1:" + std::to_string(ntohs(local.sin_port));
  EXPECT_EQ(read_file(dir.file("out.json")), "{\"_source\":\"" + peer +
                                                 ":1\",\"message\":\"first\"}\n{\"_source\":\"" +
                                                 peer + ":2\",\"message\":\"second\"}\n");
  // The torn last line is no event: it is a parse error (no dead letter here: dropped, counted).
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(summary_value(err, "net", "in"), 3) << err;
  EXPECT_EQ(summary_value(err, "net", "parse_error"), 1) << err;
}

// Past max_connections a connection is closed at once; a silent one is closed after
// idle_timeout; both are counted in the stop line.
TEST(TcpSource, ConnectionsOverTheLimitAndIdleOnesAreClosed) {
  TempDir dir;
  write_file(dir.file("c.yaml"),
             config(", max_connections: 1, idle_timeout: 300ms", "{ type: \"null\" }"));
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  const int port = listening_port(dir);
  ASSERT_GT(port, 0) << read_file(dir.file("sluice.err"));
  int first = connect_to(port);
  ASSERT_GE(first, 0);
  ASSERT_TRUE(send_all(first, "one\n"));
  // The backlog is first in, first out: the first connection is accepted, the second refused.
  int second = connect_to(port);
  ASSERT_GE(second, 0);
  // Each recv ends when sluice closes that connection: the second at once, the first when idle.
  timeval timeout{10, 0};
  char byte;
  ::setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  EXPECT_EQ(::recv(second, &byte, 1, 0), 0) << "the connection over the limit was not closed";
  ::setsockopt(first, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  EXPECT_EQ(::recv(first, &byte, 1, 0), 0) << "the idle connection was not closed";
  ::close(first);
  ::close(second);
  ::kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_NE(err.find("max_connections (1) reached"), std::string::npos) << err;
  EXPECT_NE(err.find("1 connections accepted, 1 refused over max_connections, 1 closed idle"),
            std::string::npos)
      << err;
  EXPECT_EQ(summary_value(err, "net", "in"), 1) << err;
}

TEST(TcpSource, PortInUseIsOneLineAndExit78) {
  int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  TempDir dir;
  write_file(dir.file("c.yaml"),
             "pipelines:\n  net:\n    source: { type: tcp, listen: \"" + listen +
                 "\" }\n    routes: [{ to: out }]\nsinks:\n  out: { type: \"null\" }\n");
  RunResult r = run_sluice({"run", "-q", "-c", dir.file("c.yaml")});
  ::close(taken);
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, "sluice: error: pipeline net: tcp source listen " + listen +
                       ": address already in use\n");
}

TEST(TcpSource, BadFramingIsAValidateErrorWithItsPosition) {
  TempDir dir;
  write_file(dir.file("c.yaml"), config(", framing: lines", "{ type: \"null\" }"));
  RunResult r = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, dir.file("c.yaml") +
                       ":3:58: pipelines.net.source.framing: unknown value 'lines'; expected one "
                       "of newline, octet_counting, auto\n");
}

}  // namespace
}  // namespace sluice::e2e
