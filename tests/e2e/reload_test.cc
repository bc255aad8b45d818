// SIGHUP reloads the configuration for real (SPEC §3): through the real binary, with numbered
// events so that a pause, a gap or a duplicate shows. An unchanged pipeline keeps its threads and
// counters while a changed one restarts on its new config; a removed one drains and stops while a
// new one starts; an invalid file changes nothing and says where; a route moved from one sink to
// another under load delivers every event to one of them exactly once.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/http_util.h"
#include "tests/e2e/kafka_util.h"

namespace sluice::e2e {
namespace {

// Generated events carry a timestamp one millisecond after the one before, from midnight: the
// event's number. -1 for a line that is not one.
long event_number(const std::string& line) {
  int h = 0, m = 0, s = 0, ms = 0;
  if (std::sscanf(line.c_str(), "2026-01-01T%2d:%2d:%2d.%3dZ,", &h, &m, &s, &ms) != 4) {
    return -1;
  }
  return ((h * 60L + m) * 60L + s) * 1000L + ms;
}

// The thread id of the thread named `name` (pipeline threads are "<stage>:<pipeline>"), or -1.
long thread_id(pid_t pid, const std::string& name) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(tasks.c_str());
  long found = -1;
  while (d != nullptr) {
    dirent* e = ::readdir(d);
    if (e == nullptr) {
      break;
    }
    const std::string comm = read_file(tasks + "/" + e->d_name + "/comm");
    if (comm == name + "\n") {
      found = std::strtol(e->d_name, nullptr, 10);
    }
  }
  if (d != nullptr) {
    ::closedir(d);
  }
  return found;
}

// How many times `what` occurs in `text`.
size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// The value of the sample `series` (name with its labels, as served) in a /metrics answer, or -1.
double sample(const std::string& body, const std::string& series) {
  size_t at = body.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::strtod(body.c_str() + at + series.size() + 2, nullptr);
}

// A daemon on dir/c.yaml whose configuration a test rewrites and reloads with SIGHUP.
class ReloadedDaemon {
 public:
  ReloadedDaemon(const TempDir& dir, const std::string& config)
      : dir_(dir),
        sluice_((write_file(dir.file("c.yaml"), config),
                 std::vector<std::string>{"run", "-c", dir.file("c.yaml")}),
                dir.path()) {}
  pid_t pid() const { return sluice_.pid(); }
  std::string err() const { return read_file(dir_.file("sluice.err")); }
  // Writes `config` and sends SIGHUP; true once the daemon logged the reload's outcome (`said`).
  bool reload(const std::string& config, const std::string& said) {
    const size_t before = occurrences(err(), said);
    write_file(dir_.file("c.yaml"), config);
    return ::kill(pid(), SIGHUP) == 0 &&
           wait_until([&] { return occurrences(err(), said) > before; }, 400);
  }
  int stop() { return sluice_.stop(); }

 private:
  const TempDir& dir_;
  SpawnedSluice sluice_;
};

void expect_books_close(const std::string& err, const std::string& pipeline) {
  const long long in = summary_value(err, pipeline, "in");
  EXPECT_GT(in, 0) << err;
  EXPECT_EQ(in, summary_value(err, pipeline, "out") + summary_value(err, pipeline, "filtered") +
                    summary_value(err, pipeline, "dead_lettered") +
                    summary_value(err, pipeline, "dropped"))
      << err;
  EXPECT_EQ(summary_value(err, pipeline, "undelivered"), 0) << err;
}

std::string generated(const std::string& name, int seed, const std::string& filter) {
  return "  " + name +
         ":\n    source: { type: generate, format: csv, rate: 2000, seed: " + std::to_string(seed) +
         " }\n    parse: { format: none }\n" +
         (filter.empty() ? "" : "    filter: '" + filter + "'\n") + "    routes: [ { to: " + name +
         "_out } ]\n";
}

std::string file_sink(const TempDir& dir, const std::string& name) {
  return "  " + name + "_out: { type: file, path: " + dir.file(name + ".out") +
         ", encoding: raw }\n";
}

TEST(Reload, UnchangedPipelineRunsOnWhileTheChangedOneRestartsOnItsNewFilter) {
  TempDir dir;
  const std::string head = "data_dir: " + dir.path() + "\nshutdown_timeout: 5s\npipelines:\n";
  const std::string sinks = "sinks:\n" + file_sink(dir, "steady") + file_sink(dir, "changing");
  ReloadedDaemon d(dir, head + generated("steady", 1, "") +
                            generated("changing", 2, "message =~ \",GET,\"") + sinks);
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(wait_until([&] {
    return count_lines(read_file(dir.file("steady.out"))) >= 500 &&
           count_lines(read_file(dir.file("changing.out"))) >= 50;
  })) << d.err();
  const long steady_ingest = thread_id(d.pid(), "ingest:steady");
  const long changing_ingest = thread_id(d.pid(), "ingest:changing");
  ASSERT_GT(steady_ingest, 0);

  // `steady` rewritten in another layout with a comment: the same by value, so it is kept.
  const std::string steady_again =
      "  # unchanged, only written differently\n  steady:\n    routes:\n      - to: steady_out\n"
      "    parse:\n      format: none\n"
      "    source: { seed: 1, rate: 2000, format: csv, type: generate }\n";
  ASSERT_TRUE(
      d.reload(head + steady_again + generated("changing", 2, "message !~ \",GET,\"") + sinks,
               "SIGHUP: reloaded"))
      << d.err();
  EXPECT_NE(d.err().find("kept steady; restarted changing"), std::string::npos) << d.err();
  const size_t steady_at_reload = count_lines(read_file(dir.file("steady.out")));
  ASSERT_TRUE(wait_until([&] {
    return read_file(dir.file("changing.out")).find(",GET,") != std::string::npos &&  // from before
           count_lines(read_file(dir.file("steady.out"))) >= steady_at_reload + 500 &&
           split_lines(read_file(dir.file("changing.out"))).back().find(",GET,") ==
               std::string::npos;
  })) << d.err();
  EXPECT_EQ(thread_id(d.pid(), "ingest:steady"), steady_ingest) << "the same thread ran on";
  EXPECT_NE(thread_id(d.pid(), "ingest:changing"), changing_ingest) << "restarted";
  ASSERT_EQ(d.stop(), 0) << d.err();

  // steady: events 0, 1, 2, ... each once, in order: no pause lost one, none came twice.
  const auto steady = split_lines(read_file(dir.file("steady.out")));
  for (size_t i = 0; i < steady.size(); ++i) {
    ASSERT_EQ(event_number(steady[i]), static_cast<long>(i)) << "line " << i;
  }
  // changing: GET lines (the old filter), then none (the new one).
  const auto changing = split_lines(read_file(dir.file("changing.out")));
  size_t switched = 0;
  while (switched < changing.size() && changing[switched].find(",GET,") != std::string::npos) {
    ++switched;
  }
  EXPECT_GT(switched, 0u);
  EXPECT_LT(switched, changing.size());
  for (size_t i = switched; i < changing.size(); ++i) {
    ASSERT_EQ(changing[i].find(",GET,"), std::string::npos) << "line " << i;
  }
  // The counters went on across the restart: the summary covers both runs.
  const std::string err = d.err();
  EXPECT_EQ(summary_value(err, "steady", "out"), static_cast<long long>(steady.size())) << err;
  EXPECT_EQ(summary_value(err, "changing", "out"), static_cast<long long>(changing.size())) << err;
  expect_books_close(err, "steady");
  expect_books_close(err, "changing");
}

std::string followed(const TempDir& dir, const std::string& name) {
  return "  " + name + ":\n    source: { type: file, paths: [" + dir.file(name + ".log") +
         "], follow: true }\n    parse: { format: none }\n    routes: [ { to: " + name +
         "_out } ]\n";
}

std::string numbered(const std::string& prefix, int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) {
    out += prefix + std::to_string(i) + "\n";
  }
  return out;
}

// Lines of `text` that start with `prefix`, each with its newline.
std::string lines_of(const std::string& text, const std::string& prefix) {
  std::string out;
  for (const std::string& line : split_lines(text)) {
    if (line.rfind(prefix, 0) == 0) {
      out += line + "\n";
    }
  }
  return out;
}

TEST(Reload, RemovedPipelineDrainsAndStopsWhileANewOneStarts) {
  TempDir dir;
  const std::string head = "data_dir: " + dir.path() + "\nshutdown_timeout: 5s\npipelines:\n";
  const std::string input = numbered("old-", 0, 200000);
  write_file(dir.file("old.log"), input);
  write_file(dir.file("stay.log"), numbered("stay-", 0, 1000));
  write_file(dir.file("new.log"), numbered("new-", 0, 1000));
  // `old` and `stay` share a sink that stays: it may still hold old's batches when old is gone.
  auto into_shared = [&](const std::string& name) {
    std::string text = followed(dir, name);
    return text.replace(text.find(name + "_out"), name.size() + 4, "shared_out");
  };
  const std::string shared = file_sink(dir, "shared");
  ReloadedDaemon d(dir, head + into_shared("old") + into_shared("stay") + "sinks:\n" + shared);
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(wait_until([&] {
    const std::string out = read_file(dir.file("shared.out"));
    return out.find("old-") != std::string::npos && out.find("stay-999\n") != std::string::npos;
  })) << d.err();
  const long stay_ingest = thread_id(d.pid(), "ingest:stay");
  // Removed while it may still be reading: what it read is delivered, then it stops.
  ASSERT_TRUE(d.reload(head + into_shared("stay") + followed(dir, "new") + "sinks:\n" + shared +
                           file_sink(dir, "new"),
                       "SIGHUP: reloaded"))
      << d.err();
  EXPECT_NE(d.err().find("kept stay; removed old; started new"), std::string::npos) << d.err();
  const std::string old_out = lines_of(read_file(dir.file("shared.out")), "old-");
  append_file(dir.file("old.log"), numbered("old-", 200000, 201000));
  append_file(dir.file("stay.log"), numbered("stay-", 1000, 2000));
  append_file(dir.file("new.log"), numbered("new-", 1000, 2000));
  ASSERT_TRUE(wait_until([&] {
    return count_lines(read_file(dir.file("new.out"))) >= 2000 &&
           read_file(dir.file("shared.out")).find("stay-1999\n") != std::string::npos;
  })) << d.err();
  EXPECT_EQ(thread_id(d.pid(), "ingest:stay"), stay_ingest);
  ASSERT_EQ(d.stop(), 0) << d.err();

  EXPECT_EQ(read_file(dir.file("new.out")), numbered("new-", 0, 2000));
  const std::string out = read_file(dir.file("shared.out"));
  EXPECT_EQ(lines_of(out, "stay-"), numbered("stay-", 0, 2000));
  // old's lines: a prefix of its input, whole lines, and nothing after the reload.
  EXPECT_EQ(lines_of(out, "old-"), old_out);
  ASSERT_FALSE(old_out.empty());
  EXPECT_EQ(input.compare(0, old_out.size(), old_out), 0);
  const std::string err = d.err();
  EXPECT_EQ(summary_value(err, "old", "out"), static_cast<long long>(count_lines(old_out)));
  expect_books_close(err, "old");
  expect_books_close(err, "stay");
  expect_books_close(err, "new");
  EXPECT_NE(err.find("(removed by a reload)"), std::string::npos) << err;
}

// The top of a configuration that serves /metrics on `port`, up to `pipelines:`.
std::string head_with_metrics(const TempDir& dir, int port) {
  return "data_dir: " + dir.path() + "\nmetrics: { listen: 127.0.0.1:" + std::to_string(port) +
         " }\npipelines:\n";
}

TEST(Reload, InvalidConfigKeepsTheRunningOneAndSaysWhereThenAValidOneApplies) {
  TempDir dir;
  const int port = free_port();
  const std::string head = head_with_metrics(dir, port);
  const std::string sinks = "sinks:\n" + file_sink(dir, "gen") + file_sink(dir, "extra");
  ReloadedDaemon d(dir, head + generated("gen", 1, "") + sinks);
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("gen.out"))) >= 200; }))
      << d.err();
  const long ingest = thread_id(d.pid(), "ingest:gen");

  // Line 7, column 25: the second '==' of the filter.
  const std::string invalid = head + generated("gen", 1, "message == == 1") + sinks;
  ASSERT_TRUE(d.reload(invalid, "is not a valid configuration")) << d.err();
  EXPECT_NE(d.err().find(dir.file("c.yaml") + ":7:25: pipelines.gen.filter: "), std::string::npos)
      << d.err();
  const size_t at_failure = count_lines(read_file(dir.file("gen.out")));
  ASSERT_TRUE(wait_until([&] {
    return count_lines(read_file(dir.file("gen.out"))) >= at_failure + 200;
  })) << "the old configuration runs on\n"
      << d.err();
  EXPECT_EQ(thread_id(d.pid(), "ingest:gen"), ingest);
  const std::string failed = http_get(port, "/metrics").body;
  EXPECT_EQ(sample(failed, "sluice_config_reloads_total{result=\"failure\"}"), 1) << failed;
  EXPECT_EQ(sample(failed, "sluice_config_reloads_total{result=\"success\"}"), 0) << failed;

  // A valid one now: `gen` as it was, and a new pipeline.
  ASSERT_TRUE(d.reload(head + generated("gen", 1, "") + generated("extra", 5, "") + sinks,
                       "SIGHUP: reloaded"))
      << d.err();
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("extra.out"))) >= 200; }))
      << d.err();
  const std::string applied = http_get(port, "/metrics").body;
  EXPECT_EQ(sample(applied, "sluice_config_reloads_total{result=\"success\"}"), 1) << applied;
  EXPECT_GT(sample(applied, "sluice_events_in_total{pipeline=\"extra\",stage=\"ingest\"}"), 0)
      << applied;
  EXPECT_EQ(thread_id(d.pid(), "ingest:gen"), ingest);
  ASSERT_EQ(d.stop(), 0) << d.err();
  expect_books_close(d.err(), "gen");
  expect_books_close(d.err(), "extra");
}

// The new configuration's sinks are opened before anything stops: one that cannot be opened
// leaves the running pipelines untouched (Fluent Bit's reload had stopped them by then).
TEST(Reload, NewSinkThatCannotBeOpenedChangesNothing) {
  TempDir dir;
  const std::string head = "data_dir: " + dir.path() + "\nshutdown_timeout: 5s\npipelines:\n";
  ReloadedDaemon d(dir, head + generated("gen", 1, "") + "sinks:\n" + file_sink(dir, "gen"));
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("gen.out"))) >= 100; }))
      << d.err();
  const long ingest = thread_id(d.pid(), "ingest:gen");
  // gen's sink moves under c.yaml, a file: its directory cannot be created.
  ASSERT_TRUE(d.reload(head + generated("gen", 1, "") + "sinks:\n  gen_out: { type: file, path: " +
                           dir.file("c.yaml/gen.out") + ", encoding: raw }\n",
                       "keeping the running one"))
      << d.err();
  EXPECT_NE(d.err().find("sink gen_out: cannot create directory"), std::string::npos) << d.err();
  const size_t at_failure = count_lines(read_file(dir.file("gen.out")));
  ASSERT_TRUE(wait_until([&] {
    return count_lines(read_file(dir.file("gen.out"))) >= at_failure + 200;
  })) << d.err();
  EXPECT_EQ(thread_id(d.pid(), "ingest:gen"), ingest);
  ASSERT_EQ(d.stop(), 0) << d.err();
  const auto lines = split_lines(read_file(dir.file("gen.out")));
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(event_number(lines[i]), static_cast<long>(i)) << "line " << i;
  }
  expect_books_close(d.err(), "gen");
}

// A restarted pipeline's counters and a replaced sink's go on from their predecessors', so a
// scraper that reads /metrics all through five reloads never sees one go backwards; the
// scrapes run while the reloads swap the pipelines and sinks they read.
TEST(Reload, MetricsScrapedThroughReloadsNeverGoBackwards) {
  TempDir dir;
  const int port = free_port();
  const std::string head = head_with_metrics(dir, port);
  auto config = [&](int i) {
    const std::string sink = file_sink(dir, "gen");
    return head + generated("gen", 1, i % 2 == 0 ? "" : "message =~ \",GET,\"") + "sinks:\n" +
           (i % 4 < 2 ? sink : sink.substr(0, sink.find("raw")) + "json }\n");
  };
  ReloadedDaemon d(dir, config(0));
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(dir.file("gen.out"))) >= 100; }))
      << d.err();
  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::string backwards;  // written by the scraper only, read after join
  std::thread scraper([&] {
    const std::vector<std::string> series = {
        "sluice_events_in_total{pipeline=\"gen\",stage=\"ingest\"}",
        "sluice_events_out_total{pipeline=\"gen\",stage=\"route\"}",
        "sluice_sink_events_total{sink=\"gen_out\"}"};
    std::vector<double> last(series.size(), 0);
    while (!done.load()) {
      const std::string body = http_get(port, "/metrics").body;
      for (size_t i = 0; i < series.size(); ++i) {
        const double v = sample(body, series[i]);
        if (v >= 0 && v < last[i]) {
          backwards += series[i] + ": " + std::to_string(last[i]) + " -> " + std::to_string(v);
        }
        last[i] = std::max(last[i], v);
      }
      scrapes.fetch_add(1);
    }
  });
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(d.reload(config(i), "SIGHUP: reloaded")) << d.err();
  }
  const int after_reloads = scrapes.load();
  wait_until([&] { return scrapes.load() >= after_reloads + 2; });
  done.store(true);
  scraper.join();
  EXPECT_EQ(backwards, "");
  EXPECT_GE(scrapes.load(), 5);
  EXPECT_NE(d.err().find("sinks replaced: gen_out"), std::string::npos) << d.err();
  ASSERT_EQ(d.stop(), 0) << d.err();
  expect_books_close(d.err(), "gen");
}

// The Vector correctness harness's "SIGHUP re-route": a pipeline's route moves from sink A to sink
// B while events flow. The Kafka source's committed offsets carry the position across the
// restart; every event lands in A or B exactly once.
TEST(Reload, KafkaRerouteFromSinkAToSinkBUnderLoadDeliversEveryEventOnce) {
  KafkaMock mock(1, {"in:2"});
  ASSERT_TRUE(mock.ok()) << mock.error();
  TempDir dir;
  auto config = [&](const std::string& to) {
    return "data_dir: " + dir.path() + "\nshutdown_timeout: 5s\npipelines:\n  k:\n" +
           "    source:\n      type: kafka\n      brokers: \"" + mock.bootstrap() +
           "\"\n      topics: [in]\n      group: g\n"
           "      librdkafka: { session.timeout.ms: 3000, heartbeat.interval.ms: 500 }\n"
           "    parse: { format: none }\n    routes: [ { to: " +
           to + " } ]\nsinks:\n" + file_sink(dir, "a") + file_sink(dir, "b");
  };
  constexpr int kHalf = 5000;
  ASSERT_EQ(kcat_produce_spread(mock.bootstrap(), "in", 2, numbered("e-", 0, kHalf)).exit_code, 0);
  ReloadedDaemon d(dir, config("a_out"));
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(wait_until([&] { return !read_file(dir.file("a.out")).empty(); })) << d.err();
  write_file(dir.file("c.yaml"), config("b_out"));
  ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
  // The second half is produced while the pipeline drains and restarts.
  ASSERT_EQ(
      kcat_produce_spread(mock.bootstrap(), "in", 2, numbered("e-", kHalf, 2 * kHalf)).exit_code,
      0);
  auto delivered = [&] {
    return count_lines(read_file(dir.file("a.out"))) + count_lines(read_file(dir.file("b.out")));
  };
  ASSERT_TRUE(wait_until([&] { return delivered() >= 2 * kHalf; }, 400)) << d.err();
  ASSERT_EQ(d.stop(), 0) << d.err();
  EXPECT_NE(d.err().find("restarted k"), std::string::npos) << d.err();

  const auto a = split_lines(read_file(dir.file("a.out")));
  const auto b = split_lines(read_file(dir.file("b.out")));
  EXPECT_FALSE(b.empty()) << "the new route took events";
  std::multiset<std::string> seen(a.begin(), a.end());
  seen.insert(b.begin(), b.end());
  const auto expected = split_lines(numbered("e-", 0, 2 * kHalf));
  EXPECT_EQ(seen, std::multiset<std::string>(expected.begin(), expected.end()))
      << "a: " << a.size() << ", b: " << b.size();
}

}  // namespace
}  // namespace sluice::e2e
