// End to end: real configurations through the real binary, checking what comes out by bytes or
// by counts, and that every event is accounted for (SPEC §3: nothing is lost silently).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

// Reads a FIFO opened with O_NONBLOCK to its end (every writer gone), blocking, then closes it.
std::string drain_and_close(int fd) {
  fcntl(fd, F_SETFL, 0);
  std::string got;
  char buf[1 << 16];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return got;
}

TEST(Pipeline, GeneratedEventsAreAllAccountedFor) {
  TempDir dir;
  std::string config = R"(
data_dir: )" + dir.path() +
                       R"(
pipelines:
  web:
    source: { type: generate, format: csv, count: 200000, seed: 5 }
    parse:
      format: csv
      columns: [ts, host, method, path, status, bytes, latency_ms, agent]
      types: { status: int, bytes: int, latency_ms: float }
    filter: 'status >= 500 or path =~ "^/api/v[0-9]+/orders"'
    routes:
      - when: 'status >= 500'
        to: errors
      - when: 'path =~ "^/api/v1/"'
        to: v1
sinks:
  errors: { type: file, path: )" +
                       dir.file("errors.ndjson") + R"(, encoding: json }
  v1: { type: file, path: )" +
                       dir.file("v1.ndjson") + R"(, encoding: json }
)";
  write_file(dir.file("c.yaml"), config);
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  long long in = summary_value(r.err, "web", "in");
  long long out = summary_value(r.err, "web", "out");
  long long filtered = summary_value(r.err, "web", "filtered");
  long long dead = summary_value(r.err, "web", "dead_lettered");
  long long dropped = summary_value(r.err, "web", "dropped");
  long long unrouted = summary_value(r.err, "web", "unrouted");
  EXPECT_EQ(in, 200000) << r.err;
  EXPECT_EQ(in, out + filtered + dead + dropped) << r.err;
  EXPECT_GT(filtered, 0);
  EXPECT_GT(unrouted, 0) << "v2 orders match the filter but no route";
  size_t errors = count_lines(read_file(dir.file("errors.ndjson")));
  size_t v1 = count_lines(read_file(dir.file("v1.ndjson")));
  EXPECT_GT(errors, 0u);
  EXPECT_GT(v1, 0u);
  EXPECT_EQ(static_cast<long long>(errors + v1), out);
}

TEST(Pipeline, CsvFixtureIsWrittenByteForByte) {
  TempDir dir;
  std::string fixture = source_dir() + "/tests/fixtures/access.csv";
  std::string config = R"(
data_dir: )" + dir.path() +
                       R"(
pipelines:
  fixture:
    source: { type: file, paths: [")" +
                       fixture + R"("], follow: false }
    parse: { format: csv, header: true, types: { status: int, bytes: int } }
    routes:
      - to: out
    dead_letter: rejects
sinks:
  out: { type: file, path: )" +
                       dir.file("out.ndjson") + R"(, encoding: json }
  rejects: { type: file, path: )" +
                       dir.file("rejects.ndjson") + R"(, encoding: json }
)";
  write_file(dir.file("c.yaml"), config);
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir.file("out.ndjson")),
            read_file(source_dir() + "/tests/fixtures/access.expected.ndjson"));
  std::string rejects = read_file(dir.file("rejects.ndjson"));
  EXPECT_EQ(count_lines(rejects), 2u) << rejects;
  EXPECT_NE(rejects.find("{\"_raw\":\"2026-01-01T00:00:03Z,web-04,/short,200\",\"_source\":\"" +
                         fixture + ":7\",\"_error\":\""),
            std::string::npos)
      << rejects;
  EXPECT_NE(rejects.find("{\"_raw\":\"2026-01-01T00:00:04Z,web-05,/x,abc,1,a\",\"_source\":\"" +
                         fixture + ":8\",\"_error\":\""),
            std::string::npos)
      << rejects;
  EXPECT_EQ(summary_value(r.err, "fixture", "in"), 7);
  EXPECT_EQ(summary_value(r.err, "fixture", "out"), 5);
  EXPECT_EQ(summary_value(r.err, "fixture", "dead_lettered"), 2);
}

TEST(Pipeline, StdinJsonToStdout) {
  TempDir dir;
  write_file(dir.file("c.yaml"), R"(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: json }
    filter: 'level != "debug"'
    routes: [ { to: out } ]
sinks:
  out: { type: stdout, encoding: json }
)");
  std::string input =
      "{\"level\":\"info\",\"msg\":\"a\\tb\",\"n\":1}\n"
      "{\"level\":\"debug\",\"msg\":\"skip\"}\n"
      "not json\n"
      "{\"level\":\"error\",\"ctx\":{\"id\":7},\"ok\":true}";
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"level\":\"info\",\"msg\":\"a\\tb\",\"n\":1}\n"
            "{\"level\":\"error\",\"ctx\":{\"id\":7},\"ok\":true}\n");
  EXPECT_EQ(summary_value(r.err, "p", "in"), 4);
  EXPECT_EQ(summary_value(r.err, "p", "filtered"), 1);
  EXPECT_EQ(summary_value(r.err, "p", "parse_error"), 1);
}

TEST(Pipeline, ParallelParseWorkersKeepOrder) {
  TempDir dir;
  RunResult gen = run_sluice({"gen", "--format", "csv", "--count", "300000", "--seed", "11"});
  ASSERT_EQ(gen.exit_code, 0);
  write_file(dir.file("in.csv"), gen.out);
  write_file(dir.file("c.yaml"), R"(
pipelines:
  p:
    source: { type: file, paths: [)" +
                                     dir.file("in.csv") + R"(], follow: false }
    parse: { format: csv, columns: [ts, host, method, path, status, bytes, latency_ms, agent] }
    routes: [ { to: out } ]
    threads: { parse: 3 }
sinks:
  out: { type: file, path: )" + dir.file("out.csv") +
                                     R"(, encoding: raw }
)");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_file(dir.file("out.csv")) == gen.out) << "output differs from input";
}

TEST(Pipeline, ConfigErrorShowsLineAndColumn) {
  TempDir dir;
  write_file(dir.file("bad.yaml"), R"(pipelines:
  p:
    source: { type: stdin }
    sourse: 1
    routes: [ { to: nowhere } ]
sinks:
  out: { type: stdout }
)");
  RunResult v = run_sluice({"validate", dir.file("bad.yaml")});
  EXPECT_EQ(v.exit_code, 78);
  EXPECT_NE(v.err.find(dir.file("bad.yaml") + ":4:5: "), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("nowhere"), std::string::npos) << v.err;
  RunResult r = run_sluice({"run", "-c", dir.file("bad.yaml")});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, v.err);
}

// Every line of the followed input, unchanged, to out.log.
constexpr const char* kPassThrough = "    parse: { format: none }\n    routes: [ { to: out } ]\n";
std::string out_log_sink(const TempDir& dir) {
  return "  out: { type: file, path: " + dir.file("out.log") + ", encoding: raw }\n";
}

TEST(Pipeline, SigtermDrainsAFollowedFileAndExitsZero) {
  TempDir dir;
  RunResult gen = run_sluice({"gen", "--format", "csv", "--count", "50000", "--seed", "2"});
  FollowedDaemon d(dir, kPassThrough, out_log_sink(dir));
  ASSERT_GT(d.pid(), 0);
  d.append(gen.out);
  // Wait (bounded) until everything is through, then stop.
  ASSERT_TRUE(
      wait_until([&] { return count_lines(read_file(dir.file("out.log"))) >= 50000; }, 600));
  ASSERT_EQ(count_lines(read_file(dir.file("out.log"))), 50000u);
  EXPECT_EQ(d.stop(), 0) << d.err();
  EXPECT_EQ(read_file(dir.file("out.log")), gen.out);
}

TEST(Pipeline, SighupKeepsTheRunningConfigAndTheDaemonServing) {
  TempDir dir;
  FollowedDaemon d(dir, kPassThrough, out_log_sink(dir));
  ASSERT_GT(d.pid(), 0);
  d.append("one\ntwo\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir.file("out.log")) == "one\ntwo\n"; }));
  kill(d.pid(), SIGHUP);
  ASSERT_TRUE(wait_until([&] { return d.err().find("SIGHUP") != std::string::npos; }));
  d.append("three\n");
  EXPECT_TRUE(wait_until([&] { return read_file(dir.file("out.log")) == "one\ntwo\nthree\n"; }));
  EXPECT_EQ(d.stop(), 0) << d.err();
}

TEST(Pipeline, RunsOneWorkerPerCpuUnlessToldOtherwise) {
  TempDir dir;
  FollowedDaemon d(dir, kPassThrough, out_log_sink(dir));
  ASSERT_GT(d.pid(), 0);
  d.append("one\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir.file("out.log")) == "one\n"; }));
  int workers = 0;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(d.pid()) + "/task")) {
    workers += read_file(task.path().string() + "/comm").rfind("worker", 0) == 0;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(workers, std::min(CPU_COUNT(&set), 16));
  EXPECT_EQ(d.stop(), 0) << d.err();
}

}  // namespace
}  // namespace sluice::e2e

namespace sluice::e2e {
namespace {

TEST(Pipeline, UnterminatedQuoteAtEndOfStdinIsADeadLetter) {
  TempDir dir;
  write_file(dir.file("c.yaml"), R"(
pipelines:
  p:
    source: { type: stdin }
    parse: { format: csv, columns: [a, b] }
    routes: [ { to: out } ]
    dead_letter: rejects
sinks:
  out: { type: stdout, encoding: json }
  rejects: { type: file, path: )" + dir.file("rejects.ndjson") +
                                     R"(, encoding: json }
)");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")}, "1,2\n3,\"open");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"a\":\"1\",\"b\":\"2\"}\n");
  EXPECT_EQ(read_file(dir.file("rejects.ndjson")),
            "{\"_raw\":\"3,\\\"open\",\"_source\":\"stdin:2\",\"_error\":\"unterminated quoted "
            "field\"}\n");
}

}  // namespace
}  // namespace sluice::e2e

namespace sluice::e2e {
namespace {

TEST(Pipeline, DropNewestKeepsReadingAndCountsWhatItDrops) {
  TempDir dir;
  RunResult gen = run_sluice({"gen", "--format", "csv", "--count", "1000000", "--seed", "4"});
  ASSERT_EQ(gen.exit_code, 0);
  write_file(dir.file("in.csv"), gen.out);
  ASSERT_EQ(mkfifo(dir.file("out.fifo").c_str(), 0600), 0);
  write_file(dir.file("c.yaml"), R"(
pipelines:
  p:
    source: { type: file, paths: [)" +
                                     dir.file("in.csv") + R"(], follow: false }
    parse: { format: none }
    routes: [ { to: out } ]
    queue: { max_bytes: 4MiB, on_full: drop_newest }
sinks:
  out: { type: file, path: )" + dir.file("out.fifo") +
                                     R"(, encoding: raw }
)");
  int reader = open(dir.file("out.fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  // While the FIFO is not read, the source must go on to the end of its file (dropping).
  // (-1 once seen: the source finished the file and closed it.)
  const long long size = static_cast<long long>(gen.out.size());
  bool seen = false, finished = false;
  for (int i = 0; i < 600 && !finished; ++i) {
    long long pos = read_position(pid, dir.file("in.csv"));
    seen = seen || pos >= 0;
    finished = pos == size || (seen && pos == -1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(finished) << "the source stopped reading although on_full is drop_newest";
  std::string got = drain_and_close(reader);
  EXPECT_EQ(wait_exit(pid), 0);
  std::string err = read_file(dir.file("sluice.err"));
  long long in = summary_value(err, "p", "in");
  long long out = summary_value(err, "p", "out");
  long long dropped = summary_value(err, "p", "queue_full");
  EXPECT_EQ(in, 1000000) << err;
  EXPECT_GT(dropped, 0) << err;
  EXPECT_EQ(in, out + dropped) << err;
  EXPECT_EQ(static_cast<long long>(count_lines(got)), out);
}

}  // namespace
}  // namespace sluice::e2e
