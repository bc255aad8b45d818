// End to end: the metrics endpoint of the real binary (SPEC §4). A generated pipeline runs until
// SIGTERM with `metrics.listen` on a free port; /metrics is checked by `promtool check metrics`
// and against the SPEC's table of names, types and labels; /health and /ready answer; an address
// that cannot be bound stops the run before any pipeline starts, with one line and exit 78.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/http_util.h"
#include "tests/e2e/metrics_util.h"
#include "tests/e2e/socket_util.h"

namespace sluice::e2e {
namespace {

// A scrape, as the tests need it: each family's TYPE, and each sample's name, labels and value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
struct Scrape {
  std::map<std::string, std::string> types;
  std::vector<Sample> samples;

  // The value of the one sample of `name` carrying all of `labels`; -1 when there is none.
  double value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const Sample& s : samples) {
      bool match = s.name == name;
      for (const auto& [k, v] : labels) {
        match = match && s.labels.count(k) == 1 && s.labels.at(k) == v;
      }
      if (match) {
        return s.value;
      }
    }
    return -1;
  }
};

Scrape parse_scrape(const std::string& text) {
  Scrape scrape;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      scrape.types[name] = type;
      continue;
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    Sample s;
    size_t end = line.find_first_of("{ ");
    s.name = line.substr(0, end);
    size_t value_at = end + 1;
    if (line[end] == '{') {
      size_t close = line.find('}', end);
      std::string body = line.substr(end + 1, close - end - 1);
      size_t at = 0;
      while (at < body.size()) {  // name="value",... (our values hold no quotes)
        size_t eq = body.find('=', at);
        size_t value_end = body.find('"', eq + 2);
        s.labels[body.substr(at, eq - at)] = body.substr(eq + 2, value_end - eq - 2);
        at = value_end + 2;
      }
      value_at = close + 2;
    }
    s.value = std::stod(line.substr(value_at));
    scrape.samples.push_back(std::move(s));
  }
  return scrape;
}

Scrape scrape(int port) {
  HttpResponse r = http_get(port, "/metrics");
  EXPECT_EQ(r.status, 200);
  return parse_scrape(r.body);
}

struct Expected {
  const char* name;
  const char* type;
  std::set<std::string> labels;
};

// SPEC §4, plus the process start time the issue asks for.
const std::vector<Expected> kSpecMetrics{
    {"sluice_events_in_total", "counter", {"pipeline", "stage"}},
    {"sluice_events_out_total", "counter", {"pipeline", "stage"}},
    {"sluice_events_dropped_total", "counter", {"pipeline", "stage", "reason"}},
    {"sluice_bytes_in_total", "counter", {"pipeline"}},
    {"sluice_sink_events_total", "counter", {"sink"}},
    {"sluice_sink_errors_total", "counter", {"sink"}},
    {"sluice_queue_bytes", "gauge", {"pipeline", "stage"}},
    {"sluice_queue_capacity_bytes", "gauge", {"pipeline", "stage"}},
    {"sluice_memory_bytes", "gauge", {}},
    {"sluice_memory_limit_bytes", "gauge", {}},
    {"sluice_backpressure_seconds_total", "counter", {"pipeline", "stage"}},
    {"sluice_event_latency_seconds", "histogram", {"pipeline"}},
    {"sluice_kafka_consumer_lag", "gauge", {"pipeline", "topic", "partition"}},
    {"sluice_build_info", "gauge", {"version"}},
    {"sluice_config_reloads_total", "counter", {"result"}},
    {"sluice_config_last_reload_success_timestamp_seconds", "gauge", {}},
    {"process_start_time_seconds", "gauge", {}},
};

std::set<std::string> label_names(const Sample& s) {
  std::set<std::string> names;
  for (const auto& [k, v] : s.labels) {
    names.insert(k);
  }
  names.erase("le");  // a histogram bucket's bound
  return names;
}

TEST(MetricsEndpoint, EveryMetricOfTheSpecIsServedWithItsTypeAndLabels) {
  TempDir dir;
  MetricsDaemon daemon(dir, 2000);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  EXPECT_EQ(http_get(daemon.port(), "/health").status, 200);
  HttpResponse r = http_get(daemon.port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  write_file(dir.file("metrics.txt"), r.body);
  RunResult check = run_program({"promtool", "check", "metrics"}, dir, dir.file("metrics.txt"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  Scrape s = parse_scrape(r.body);
  for (const Expected& e : kSpecMetrics) {
    ASSERT_EQ(s.types[e.name], e.type) << e.name;
    int samples = 0;
    for (const Sample& sample : s.samples) {
      if (sample.name.rfind(e.name, 0) == 0 &&
          (sample.name == e.name || std::string(e.type) == "histogram")) {
        EXPECT_EQ(label_names(sample), e.labels) << sample.name;
        ++samples;
      }
    }
    if (std::string(e.name) != "sluice_kafka_consumer_lag") {
      EXPECT_GT(samples, 0) << e.name;
    } else {
      EXPECT_EQ(samples, 0) << "no Kafka source, so no partition to report";
    }
  }
  for (const char* stage : {"ingest", "parse", "filter", "route"}) {
    EXPECT_GE(s.value("sluice_events_in_total", {{"pipeline", "web"}, {"stage", stage}}), 0)
        << stage;
  }
  for (const auto& [stage, reason] :
       std::vector<std::pair<std::string, std::string>>{{"ingest", "queue_full"},
                                                        {"parse", "parse_error"},
                                                        {"filter", "filtered"},
                                                        {"route", "unrouted"},
                                                        {"route", "dropped_by_sink"}}) {
    EXPECT_GE(s.value("sluice_events_dropped_total",
                      {{"pipeline", "web"}, {"stage", stage}, {"reason", reason}}),
              0)
        << stage << " " << reason;
  }
  EXPECT_EQ(s.value("sluice_memory_limit_bytes", {}), 512.0 * 1024 * 1024);
  EXPECT_EQ(s.value("sluice_build_info", {{"version", "0.1.0"}}), 1);
  EXPECT_EQ(s.value("sluice_config_reloads_total", {{"result", "success"}}), 0);
  EXPECT_EQ(s.value("sluice_config_last_reload_success_timestamp_seconds", {}),
            s.value("process_start_time_seconds", {}));
  EXPECT_GT(s.value("process_start_time_seconds", {}), 1.7e9);
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

// The counters are live: they move between two scrapes, /ready holds while running, and what the
// last scrape saw is at most what the run's summary and output file account for.
TEST(MetricsEndpoint, CountersMoveBetweenScrapesAndAgreeWithTheSummary) {
  TempDir dir;
  MetricsDaemon daemon(dir, 5000);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  const std::map<std::string, std::string> ingest{{"pipeline", "web"}, {"stage", "ingest"}};
  Scrape first = scrape(daemon.port());
  Scrape second;
  ASSERT_TRUE(wait_until([&] {
    second = scrape(daemon.port());
    return second.value("sluice_sink_events_total", {{"sink", "out"}}) >
               first.value("sluice_sink_events_total", {{"sink", "out"}}) &&
           second.value("sluice_events_in_total", ingest) >
               first.value("sluice_events_in_total", ingest);
  }));
  EXPECT_GT(second.value("sluice_bytes_in_total", {{"pipeline", "web"}}),
            first.value("sluice_bytes_in_total", {{"pipeline", "web"}}));
  EXPECT_GT(second.value("sluice_events_dropped_total",
                         {{"pipeline", "web"}, {"stage", "filter"}, {"reason", "filtered"}}),
            0);
  EXPECT_GT(second.value("sluice_event_latency_seconds_count", {{"pipeline", "web"}}), 0);
  EXPECT_EQ(http_get(daemon.port(), "/ready").status, 200);
  EXPECT_EQ(http_get(daemon.port(), "/health").status, 200);

  ASSERT_EQ(daemon.stop(), 0) << daemon.err();
  const long long in = summary_value(daemon.err(), "web", "in");
  const long long out = summary_value(daemon.err(), "web", "out");
  const auto lines = static_cast<long long>(count_lines(read_file(dir.file("out.ndjson"))));
  EXPECT_EQ(lines, out);
  EXPECT_LE(second.value("sluice_sink_events_total", {{"sink", "out"}}), static_cast<double>(out));
  EXPECT_LE(second.value("sluice_events_in_total", ingest), static_cast<double>(in));
}

// `sluice top --once` against the real endpoint (its frame layout is tested on canned scrapes in
// top_test.cc): the pipeline, each stage, the drop reasons, memory and the sink are shown, with
// rates that are not zero because events flow.
TEST(MetricsEndpoint, TopOnceShowsTheRunningDaemon) {
  TempDir dir;
  MetricsDaemon daemon(dir, 5000);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  RunResult r =
      run_sluice({"top", "--once", "-u", "http://127.0.0.1:" + std::to_string(daemon.port())});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& f = r.out;
  auto has_line = [&](const std::string& pattern) {
    return std::regex_search(f, std::regex("(^|\n)" + pattern + "(\n|$)"));
  };
  EXPECT_TRUE(has_line("pipeline web")) << f;
  const std::string rate = "[0-9.]+k?";
  const std::string nonzero = "[1-9][0-9.]*k?";
  EXPECT_TRUE(has_line("  ingest +" + rate + " +" + nonzero + " .*")) << f;
  for (const char* stage : {"parse", "filter", "route"}) {
    EXPECT_TRUE(has_line(std::string("  ") + stage + " +" + nonzero + " .*")) << stage << "\n" << f;
  }
  EXPECT_TRUE(has_line("  dropped/s +filtered " + nonzero + ".*")) << f;
  EXPECT_TRUE(has_line("memory +.* of 512\\.0 MiB .*")) << f;
  EXPECT_TRUE(has_line("  out +" + nonzero + " +0 +0")) << f;
  ASSERT_EQ(daemon.stop(), 0) << daemon.err();
}

// While SIGTERM drains the queues, /ready says 503 (a load balancer stops sending) and /health
// still says 200. The drain is held open by a FIFO sink whose reader waits until the test has
// seen both answers, then reads everything: nothing is lost and the run exits 0.
TEST(MetricsEndpoint, ReadyIs503WhileStoppingAndHealthStays200) {
  TempDir dir;
  ASSERT_EQ(mkfifo(dir.file("out.fifo").c_str(), 0600), 0);
  int reader = open(dir.file("out.fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const int port = free_port();
  write_file(dir.file("c.yaml"), "metrics: { listen: 127.0.0.1:" + std::to_string(port) +
                                     " }\npipelines:\n  p:\n    source: { type: generate }\n"
                                     "    parse: { format: none }\n    routes: [{ to: out }]\n"
                                     "sinks:\n  out: { type: file, path: " +
                                     dir.file("out.fifo") + ", encoding: raw }\n");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return http_get(port, "/ready", 1000).status == 200; }, 200))
      << read_file(dir.file("sluice.err"));
  // The FIFO is full: the sink is blocked and the queues behind it hold more than it.
  ASSERT_TRUE(wait_until([&] {
    int queued = 0;
    return ioctl(reader, FIONREAD, &queued) == 0 && queued >= 60000;
  }));
  kill(pid, SIGTERM);
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/ready", 1000).status == 503; }));
  EXPECT_EQ(http_get(port, "/health").status, 200);
  fcntl(reader, F_SETFL, 0);
  char buf[1 << 16];
  size_t lines = 0;
  for (ssize_t n; (n = read(reader, buf, sizeof(buf))) > 0;) {
    lines += static_cast<size_t>(std::count(buf, buf + n, '\n'));
  }
  close(reader);
  EXPECT_EQ(wait_exit(pid), 0) << read_file(dir.file("sluice.err"));
  EXPECT_EQ(static_cast<long long>(lines),
            summary_value(read_file(dir.file("sluice.err")), "p", "in"));
}

// The address cannot be bound: one line naming it and why, exit 78, and nothing started (the
// file sink, opened when the pipelines start, was never created).
void expect_refused(const TempDir& dir, const std::string& listen, const std::string& why) {
  write_file(dir.file("c.yaml"), "metrics: { listen: " + listen +
                                     " }\npipelines:\n  p:\n    source: { type: generate, count: "
                                     "10 }\n    routes: [{ to: out }]\nsinks:\n  out: { type: "
                                     "file, path: " +
                                     dir.file("out.ndjson") + " }\n");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, "sluice: error: metrics.listen " + listen + ": " + why + "\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.ndjson")));
}

TEST(MetricsEndpoint, TakenPortIsOneLineAndExit78) {
  TempDir dir;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  expect_refused(dir, "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                 "address already in use");
  close(fd);
}

TEST(MetricsEndpoint, AddressNotOfThisMachineIsOneLineAndExit78) {
  TempDir dir;
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
  expect_refused(dir, "192.0.2.1:9598", "cannot assign requested address");
}

// A TCP connection to 127.0.0.1:`port` that has sent `data`; -1 when it could not connect.
int connect_and_send(int port, const std::string& data) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to = loopback(port);
  if (fd >= 0 &&
      (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0 ||
       send(fd, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size()))) {
    close(fd);
    fd = -1;
  }
  return fd;
}

// Scrapes `port` and runs `promtool check metrics` on what it served.
Scrape scrape_and_check(int port, const TempDir& dir) {
  HttpResponse r = http_get(port, "/metrics");
  EXPECT_EQ(r.status, 200);
  write_file(dir.file("metrics.txt"), r.body);
  RunResult check = run_program({"promtool", "check", "metrics"}, dir, dir.file("metrics.txt"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  return parse_scrape(r.body);
}

// Writes DIR/c.yaml, a metrics endpoint on `port` followed by `config` (pipelines and sinks),
// starts `sluice run` on it and waits until /ready says 200. The pid, or -1 (the test has
// failed then, with sluice's stderr).
pid_t start_with_metrics(const TempDir& dir, int port, const std::string& config) {
  write_file(dir.file("c.yaml"),
             "metrics: { listen: 127.0.0.1:" + std::to_string(port) + " }\n" + config);
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  EXPECT_GT(pid, 0);
  if (pid > 0 && !wait_until([&] { return http_get(port, "/ready", 1000).status == 200; }, 200)) {
    ADD_FAILURE() << "never ready: " << read_file(dir.file("sluice.err"));
    kill(pid, SIGKILL);
    wait_exit(pid, 600);
    return -1;
  }
  return pid;
}

// The tcp source's losses are events under SPEC names: a record cut off when sluice closes an
// idle connection is sluice_events_dropped_total{stage="ingest",reason="incomplete_record"}
// (present at 0 from the start), one torn by the peer's close is a parse error; both are in
// `in`, so the books close.
TEST(MetricsEndpoint, TcpSourceCountsRecordsCutOffWithTheirConnections) {
  TempDir dir;
  const int port = free_port();
  const int tcp_port = free_port();
  const pid_t pid = start_with_metrics(
      dir, port,
      "pipelines:\n  net:\n    source: { type: tcp, listen: \"127.0.0.1:" +
          std::to_string(tcp_port) + "\", idle_timeout: 300ms }\n" +
          "    parse: { format: none }\n    routes: [{ to: out }]\n" +
          "sinks:\n  out: { type: file, path: " + dir.file("out.log") + ", encoding: raw }\n");
  ASSERT_GT(pid, 0);
  const std::map<std::string, std::string> cut{
      {"pipeline", "net"}, {"stage", "ingest"}, {"reason", "incomplete_record"}};
  const std::map<std::string, std::string> torn{
      {"pipeline", "net"}, {"stage", "parse"}, {"reason", "parse_error"}};
  const std::map<std::string, std::string> ingest{{"pipeline", "net"}, {"stage", "ingest"}};
  Scrape s = scrape_and_check(port, dir);
  EXPECT_EQ(s.value("sluice_events_dropped_total", cut), 0) << "the series is there from the start";

  // Goes silent in the middle of its second record: closed when idle, the record dropped.
  int idle = connect_and_send(tcp_port, "complete\ncut off");
  ASSERT_GE(idle, 0);
  ASSERT_TRUE(wait_until([&] {
    s = scrape(port);
    return s.value("sluice_events_dropped_total", cut) == 1 &&
           s.value("sluice_events_in_total", ingest) == 2;
  })) << read_file(dir.file("sluice.err"));
  // Closes in the middle of a record: the fragment is a parse error (no dead letter: dropped).
  int closing = connect_and_send(tcp_port, "torn");
  ASSERT_GE(closing, 0);
  close(closing);
  ASSERT_TRUE(wait_until([&] {
    s = scrape_and_check(port, dir);
    return s.value("sluice_events_dropped_total", torn) == 1;
  })) << read_file(dir.file("sluice.err"));
  EXPECT_EQ(s.value("sluice_events_dropped_total", cut), 1);
  EXPECT_EQ(s.value("sluice_events_in_total", ingest), 3);
  close(idle);
  ASSERT_TRUE(wait_for_sigterm_blocked(pid));
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(summary_value(err, "net", "in"), 3) << err;
  EXPECT_EQ(summary_value(err, "net", "out"), 1) << err;
  EXPECT_EQ(summary_value(err, "net", "dropped"), 2) << err;
  EXPECT_EQ(summary_value(err, "net", "incomplete_record"), 1) << err;
  EXPECT_EQ(summary_value(err, "net", "parse_error"), 1) << err;
  EXPECT_EQ(read_file(dir.file("out.log")), "complete\n");
}

// A tcp source's connections are served from the start: the ones open now as a gauge, and
// those accepted and those refused over max_connections as counters; the gauge falls as peers
// leave. A pipeline without connections has no such series.
TEST(MetricsEndpoint, TcpSourceServesItsOpenAcceptedAndRefusedConnections) {
  TempDir dir;
  const int port = free_port();
  const int tcp_port = free_port();
  const pid_t pid =
      start_with_metrics(dir, port,
                         "pipelines:\n  net:\n    source: { type: tcp, listen: \"127.0.0.1:" +
                             std::to_string(tcp_port) + "\", max_connections: 2 }\n" +
                             "    parse: { format: none }\n    routes: [{ to: out }]\n" +
                             "  gen:\n    source: { type: generate, count: 1 }\n" +
                             "    parse: { format: none }\n    routes: [{ to: out }]\n" +
                             "sinks:\n  out: { type: \"null\" }\n");
  ASSERT_GT(pid, 0);
  const std::map<std::string, std::string> net{{"pipeline", "net"}};
  const std::map<std::string, std::string> accepted{{"pipeline", "net"}, {"result", "accepted"}};
  const std::map<std::string, std::string> refused{{"pipeline", "net"}, {"result", "refused"}};
  Scrape s = scrape_and_check(port, dir);
  EXPECT_EQ(s.types["sluice_source_open_connections"], "gauge");
  EXPECT_EQ(s.types["sluice_source_connections_total"], "counter");
  EXPECT_EQ(s.value("sluice_source_open_connections", net), 0) << "present from the start";
  EXPECT_EQ(s.value("sluice_source_connections_total", accepted), 0);
  EXPECT_EQ(s.value("sluice_source_connections_total", refused), 0);
  EXPECT_EQ(s.value("sluice_source_open_connections", {{"pipeline", "gen"}}), -1);

  const int first = connect_and_send(tcp_port, "first\n");
  const int second = connect_and_send(tcp_port, "second\n");
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  ASSERT_TRUE(wait_until([&] {
    s = scrape(port);
    return s.value("sluice_source_open_connections", net) == 2;
  })) << read_file(dir.file("sluice.err"));
  EXPECT_EQ(s.value("sluice_source_connections_total", accepted), 2);
  // Over max_connections: accepted by the kernel, closed by sluice at once, counted.
  const int third = connect_and_send(tcp_port, "third\n");
  ASSERT_GE(third, 0);
  ASSERT_TRUE(wait_until([&] {
    s = scrape(port);
    return s.value("sluice_source_connections_total", refused) == 1;
  })) << read_file(dir.file("sluice.err"));
  EXPECT_EQ(s.value("sluice_source_open_connections", net), 2);
  EXPECT_EQ(s.value("sluice_source_connections_total", accepted), 2);
  close(first);
  ASSERT_TRUE(wait_until([&] {
    s = scrape_and_check(port, dir);
    return s.value("sluice_source_open_connections", net) == 1;
  })) << read_file(dir.file("sluice.err"));
  EXPECT_EQ(s.value("sluice_source_connections_total", accepted), 2) << "a counter never falls";
  close(second);
  close(third);
  ASSERT_TRUE(wait_for_sigterm_blocked(pid));
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
}

// Datagrams the kernel drops for a full socket buffer are served while the daemon runs, as
// sluice_events_dropped_total{stage="ingest",reason="udp_overflow"}, a series present at 0
// from the start (a counter that first appears at N hides its first increase from rate()).
TEST(MetricsEndpoint, UdpOverflowIsServedFromTheStartAndWhileItHappens) {
  TempDir dir;
  const int port = free_port();
  const int udp_port = free_udp_port();
  // The parse worker holds its first batch: the source stops reading and the socket overflows.
  ::setenv("SLUICE_TEST_STALL_STAGE", "parse", 1);
  const pid_t pid = start_with_metrics(
      dir, port,
      "pipelines:\n  u:\n    source: { type: udp, listen: \"127.0.0.1:" + std::to_string(udp_port) +
          "\", receive_buffer: 4KiB }\n" +
          "    parse: { format: none }\n    queue: { max_bytes: 2MiB }\n" +
          "    threads: { parse: 1 }\n    routes: [{ to: out }]\n" +
          "sinks:\n  out: { type: \"null\" }\n");
  ::unsetenv("SLUICE_TEST_STALL_STAGE");
  ASSERT_GT(pid, 0);
  const std::map<std::string, std::string> overflow{
      {"pipeline", "u"}, {"stage", "ingest"}, {"reason", "udp_overflow"}};
  Scrape s = scrape_and_check(port, dir);
  EXPECT_EQ(s.value("sluice_events_dropped_total", overflow), 0)
      << "the series is there from the start";
  int sender = bind_udp(0);
  ASSERT_GE(sender, 0);
  const sockaddr_in to = loopback(udp_port);
  const std::string padding(1400, 'x');
  for (int i = 1; i <= 4000; ++i) {
    const std::string datagram = zero_padded(i) + " " + padding + "\n";
    sendto(sender, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to),
           sizeof(to));
  }
  close(sender);
  ASSERT_TRUE(wait_until([&] {
    s = scrape(port);
    return s.value("sluice_events_dropped_total", overflow) > 0;
  })) << read_file(dir.file("sluice.err"));
  const double served = s.value("sluice_events_dropped_total", overflow);
  EXPECT_GE(s.value("sluice_events_in_total", {{"pipeline", "u"}, {"stage", "ingest"}}), served);
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_GE(static_cast<double>(summary_value(err, "u", "udp_overflow")), served) << err;
  EXPECT_EQ(summary_value(err, "u", "in"), 4000) << err;
}

}  // namespace
}  // namespace sluice::e2e
