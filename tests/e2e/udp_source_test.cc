// The udp source through the real binary (SPEC §2, §3): numbered events in datagrams of one to
// three lines, sent at a pace the socket can take, all arrive once and in order, each with its
// sender as `_source`; a burst into a tiny receive buffer while the pipeline is stalled is
// counted, datagram by datagram, as udp_overflow so that sent = out + dropped exactly; a port in
// use is one line and exit 78.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/kafka_util.h"
#include "tests/e2e/socket_util.h"

namespace sluice::e2e {
namespace {

// Sends datagrams to 127.0.0.1:port from one socket (so one sender address).
class Sender {
 public:
  explicit Sender(int port) : fd_(bind_udp(0)) {
    sockaddr_in to = loopback(port);
    ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  ~Sender() { ::close(fd_); }
  bool send(const std::string& datagram) {
    return ::send(fd_, datagram.data(), datagram.size(), 0) ==
           static_cast<ssize_t>(datagram.size());
  }
  int port() const { return local_port(fd_); }

 private:
  int fd_;
};

std::string config(const std::string& dir, int port, const std::string& source_extra,
                   const std::string& pipeline_extra) {
  return "pipelines:\n  p:\n    source: { type: udp, listen: \"127.0.0.1:" + std::to_string(port) +
         "\"" + source_extra + " }\n    parse: { format: none }\n" + pipeline_extra +
         "    routes: [{ to: out }]\n"
         "sinks:\n  out: { type: file, path: " +
         dir + "/out.ndjson, encoding: json, fields: [message, _source] }\n";
}

// The daemon has bound its port when we no longer can.
bool wait_bound(int port) {
  return wait_until([port] {
    int fd = bind_udp(port);
    if (fd >= 0) {
      ::close(fd);
      return false;
    }
    return true;
  });
}

// Every line of the output as its number; fails the test on a line that is not ours.
std::vector<std::string> output_numbers(const std::string& path, const std::string& source) {
  std::vector<std::string> numbers;
  for (const std::string& line : split_lines(read_file(path))) {
    const std::string expected_tail = "\",\"_source\":\"" + source + "\"}";
    EXPECT_EQ(line.rfind("{\"message\":\"", 0), 0u) << line;
    EXPECT_EQ(line.size(), 12 + 10 + expected_tail.size()) << line;
    EXPECT_EQ(line.substr(22), expected_tail) << line;
    numbers.push_back(line.substr(12, 10));
  }
  return numbers;
}

TEST(UdpSource, EveryEventOfEveryDatagramArrivesOnceInOrderWithItsSender) {
  TempDir dir;
  const int port = free_udp_port();
  write_file(dir.file("c.yaml"), config(dir.path(), port, ", receive_buffer: 1MiB", ""));
  SpawnedSluice sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(sluice.started());
  ASSERT_TRUE(wait_bound(port));
  Sender sender(port);
  const int n = 6000;
  int next = 1;
  int datagram = 0;
  while (next <= n) {
    // 1, 2 or 3 lines; every 4th datagram's last line has no newline; every 50th is empty.
    if (++datagram % 50 == 0) {
      ASSERT_TRUE(sender.send(""));
    }
    std::string text;
    const int lines = 1 + datagram % 3;
    for (int l = 0; l < lines && next <= n; ++l) {
      text += zero_padded(next++) + "\n";
    }
    if (datagram % 4 == 0) {
      text.pop_back();
    }
    ASSERT_TRUE(sender.send(text));
    // Paced: at most about 400 events (under 300 datagrams) in flight, far below what even the
    // smallest default socket buffer holds (net.core.rmem_max 208 KiB: about 400 datagrams).
    if (datagram % 100 == 0) {
      const size_t sent = static_cast<size_t>(next - 1);
      ASSERT_TRUE(
          wait_until([&] { return count_lines(read_file(dir.file("out.ndjson"))) >= sent - 200; }));
    }
  }
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(read_file(dir.file("out.ndjson"))) >= static_cast<size_t>(n); }));
  EXPECT_EQ(sluice.stop(), 0);
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(summary_value(err, "p", "in"), n) << err;
  EXPECT_EQ(summary_value(err, "p", "out"), n) << err;
  EXPECT_EQ(summary_value(err, "p", "dropped"), 0) << err;
  const std::vector<std::string> got =
      output_numbers(dir.file("out.ndjson"), "udp:127.0.0.1:" + std::to_string(sender.port()));
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  for (int i = 1; i <= n; ++i) {
    ASSERT_EQ(got[static_cast<size_t>(i - 1)], zero_padded(i)) << "event " << i;
  }
}

// The pipeline is stalled (its parse worker holds its first batch) and the queue is small, so
// the source stops reading; a burst of 4000 datagrams of 1.4 KB each into a 4 KiB socket buffer
// overflows it. Every datagram is in the books: out + udp_overflow = sent, exactly.
TEST(UdpSource, DatagramsTheKernelDropsAreCountedExactly) {
  TempDir dir;
  const int port = free_udp_port();
  write_file(dir.file("c.yaml"),
             config(dir.path(), port, ", receive_buffer: 4KiB",
                    "    queue: { max_bytes: 2MiB }\n    threads: { parse: 1 }\n"));
  // The daemon inherits this test's environment: the switch is set around its start only.
  ::setenv("SLUICE_TEST_STALL_STAGE", "parse", 1);
  SpawnedSluice sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ::unsetenv("SLUICE_TEST_STALL_STAGE");
  ASSERT_TRUE(sluice.started());
  ASSERT_TRUE(wait_bound(port));
  Sender sender(port);
  const int n = 4000;
  const std::string padding(1400, 'x');
  for (int i = 1; i <= n; ++i) {
    ASSERT_TRUE(sender.send(zero_padded(i) + " " + padding + "\n"));
  }
  EXPECT_EQ(sluice.stop(), 0);
  const std::string err = read_file(dir.file("sluice.err"));
  const long long in = summary_value(err, "p", "in");
  const long long out = summary_value(err, "p", "out");
  const long long overflow = summary_value(err, "p", "udp_overflow");
  EXPECT_EQ(in, n) << err;
  EXPECT_GT(overflow, 0) << err;
  EXPECT_GT(out, 0) << err;
  EXPECT_EQ(out + overflow, n) << err;
  EXPECT_EQ(summary_value(err, "p", "dropped"), overflow) << err;
  EXPECT_NE(err.find("dropped because the socket buffer was full"), std::string::npos) << err;
  // What arrived is exactly `out` distinct events of ours.
  std::set<std::string> distinct;
  size_t lines = 0;
  for (const std::string& line : split_lines(read_file(dir.file("out.ndjson")))) {
    ++lines;
    distinct.insert(line.substr(12, 10));
  }
  EXPECT_EQ(lines, static_cast<size_t>(out));
  EXPECT_EQ(distinct.size(), lines);
}

TEST(UdpSource, PortInUseIsOneLineAndExit78) {
  TempDir dir;
  const int taken = bind_udp(0);
  ASSERT_GE(taken, 0);
  const int port = local_port(taken);
  write_file(dir.file("c.yaml"), config(dir.path(), port, "", ""));
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ::close(taken);
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("pipeline p: udp source 127.0.0.1:" + std::to_string(port) +
                       ": cannot listen: Address already in use"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace sluice::e2e
