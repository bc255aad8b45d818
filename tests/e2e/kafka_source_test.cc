// The kafka source through the real binary, against `sluice kafka-mock`, with kcat as the
// independent producer. Events are numbered (1..N, event i in partition (i - 1) % 4), so loss,
// duplication and per-partition order are counted exactly. Group members use a 3 s session
// timeout: the mock makes a new member wait about that long after another one left or died.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/kafka_util.h"

namespace sluice::e2e {
namespace {

constexpr int kPartitions = 4;

// Lines "1".."N", or "N,xxx..." when `padding` > 0 (the tally reads the leading number).
std::string numbers(long long from, long long to, size_t padding = 0) {
  std::string out;
  const std::string pad = padding > 0 ? "," + std::string(padding, 'x') : "";
  for (long long i = from; i <= to; ++i) {
    out += std::to_string(i) + pad + "\n";
  }
  return out;
}

// A config whose one pipeline reads topic `in` into `out` as {"message":N,"_source":...}.
std::string kafka_config(const std::string& bootstrap, const std::string& group,
                         const std::string& out, const std::string& top = "",
                         const std::string& pipeline_extra = "") {
  return top +
         "pipelines:\n  k:\n"
         "    source:\n      type: kafka\n      brokers: \"" +
         bootstrap + "\"\n      topics: [in]\n      group: " + group +
         "\n      librdkafka: { session.timeout.ms: 3000, heartbeat.interval.ms: 500, "
         "auto.commit.interval.ms: 200 }\n"
         "    parse: { format: none }\n"
         "    routes: [{ to: out }]\n" +
         pipeline_extra + "sinks:\n  out: { type: file, path: " + out +
         ", encoding: json, fields: [message, _source] }\n";
}

// What came out, counted per number and per partition.
struct Tally {
  std::map<long long, int> seen;  // number -> times written
  std::vector<std::vector<std::pair<long long, long long>>> by_partition =  // (offset, number)
      std::vector<std::vector<std::pair<long long, long long>>>(kPartitions);
  long long foreign = 0;  // lines that are not one of our events
  long long lines = 0;

  void add(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) {
        break;  // a last line without its newline: a write cut by kill -9, never acknowledged
      }
      ++lines;
      // {"message":"17","_source":"in:2:4"}
      const std::string m = "{\"message\":\"", s = "\",\"_source\":\"in:";
      size_t a = line.find(m), b = line.find(s);
      if (a != 0 || b == std::string::npos) {
        ++foreign;
        continue;
      }
      long long n = std::stoll(line.substr(m.size(), b - m.size()));
      std::string where = line.substr(b + s.size());
      int partition = std::stoi(where.substr(0, where.find(':')));
      long long offset = std::stoll(where.substr(where.find(':') + 1));
      if (partition < 0 || partition >= kPartitions) {
        ++foreign;
        continue;
      }
      ++seen[n];
      by_partition[static_cast<size_t>(partition)].emplace_back(offset, n);
    }
  }
  long long missing(long long n) const {
    long long m = 0;
    for (long long i = 1; i <= n; ++i) {
      m += seen.count(i) == 0;
    }
    return m;
  }
  long long duplicates() const {
    long long d = 0;
    for (const auto& [n, times] : seen) {
      d += times - 1;
    }
    return d;
  }
};

// Every event sits where kcat_produce_spread put it: number i at partition (i - 1) % 4, offset
// (i - 1) / 4. Checks what one run wrote: in order within each partition.
void expect_in_partition_order(const Tally& t) {
  for (int p = 0; p < kPartitions; ++p) {
    const auto& events = t.by_partition[static_cast<size_t>(p)];
    for (size_t i = 0; i < events.size(); ++i) {
      const auto [offset, n] = events[i];
      ASSERT_EQ((n - 1) % kPartitions, p) << "number " << n << " in partition " << p;
      ASSERT_EQ((n - 1) / kPartitions, offset) << "number " << n << " at offset " << offset;
      if (i > 0) {
        ASSERT_GT(offset, events[i - 1].first) << "partition " << p << " out of order";
      }
    }
  }
}

// A cluster with topic `in` of 4 partitions, started and stopped with each test.
class KafkaSource : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(mock.ok()) << mock.error(); }
  // Produces events from..to, number i to partition (i - 1) % 4.
  void produce(long long from, long long to, size_t padding = 0) {
    RunResult r =
        kcat_produce_spread(mock.bootstrap(), "in", kPartitions, numbers(from, to, padding));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir;
  KafkaMock mock{1, {"in:4"}};
};

TEST_F(KafkaSource, ReadsEveryMessageOnceInPartitionOrderWithTopicPartitionOffset) {
  constexpr long long kEvents = 20000;
  produce(1, kEvents);
  write_file(dir.file("c.yaml"), kafka_config(mock.bootstrap(), "g", dir.file("out.ndjson")));
  SpawnedSluice first({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(first.started());
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(read_file(dir.file("out.ndjson"))) >= kEvents || !first.alive(); },
      600))
      << read_file(dir.file("sluice.err"));
  ASSERT_EQ(first.stop(), 0) << read_file(dir.file("sluice.err"));
  Tally t;
  t.add(read_file(dir.file("out.ndjson")));
  EXPECT_EQ(t.lines, kEvents);
  EXPECT_EQ(t.foreign, 0);
  EXPECT_EQ(t.missing(kEvents), 0);
  EXPECT_EQ(t.duplicates(), 0);
  expect_in_partition_order(t);
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(summary_value(err, "k", "in"), kEvents) << err;
  EXPECT_EQ(summary_value(err, "k", "out"), kEvents) << err;

  // The offsets were committed at shutdown: the same group starts where it stopped and reads
  // only what was produced since.
  produce(kEvents + 1, kEvents + 8);
  write_file(dir.file("c2.yaml"), kafka_config(mock.bootstrap(), "g", dir.file("out2.ndjson")));
  SpawnedSluice second({"run", "-c", dir.file("c2.yaml")}, dir.path());
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(read_file(dir.file("out2.ndjson"))) >= 8 || !second.alive(); }, 600))
      << read_file(dir.file("sluice.err"));
  ASSERT_EQ(second.stop(), 0) << read_file(dir.file("sluice.err"));
  Tally t2;
  t2.add(read_file(dir.file("out2.ndjson")));
  EXPECT_EQ(t2.lines, 8);
  for (long long i = kEvents + 1; i <= kEvents + 8; ++i) {
    EXPECT_EQ(t2.seen[i], 1) << i;
  }
}

TEST_F(KafkaSource, KillNineAndRestartLosesNothingAndCommitsAsItGoes) {
  constexpr long long kEvents = 400000;
  constexpr int kKills = 3;
  produce(1, kEvents);
  // Small batches and queues keep the in-flight window (what a kill may make us repeat) small.
  const std::string top = "memory_limit: 16MiB\n";
  const std::string queue = "    queue: { max_bytes: 2MiB }\n";
  Tally all;
  long long delivered_before = 0;
  long long written_by_killed_runs = 0;
  for (int run = 0; run <= kKills; ++run) {
    const std::string out = dir.file("out" + std::to_string(run) + ".ndjson");
    write_file(dir.file("c.yaml"), kafka_config(mock.bootstrap(), "g", out, top, queue));
    SpawnedSluice sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
    ASSERT_TRUE(sluice.started());
    if (run < kKills) {
      // Killed once it has written a good part of what is left.
      const long long target = (kEvents - delivered_before) / 4;
      ASSERT_TRUE(wait_until(
          [&] { return static_cast<long long>(count_lines(read_file(out))) >= target; }, 1200))
          << read_file(dir.file("sluice.err"));
      sluice.kill9();
    } else {
      ASSERT_TRUE(wait_until(
          [&] {
            Tally now = all;
            now.add(read_file(out));
            return now.missing(kEvents) == 0 || !sluice.alive();
          },
          1200))
          << read_file(dir.file("sluice.err"));
      ASSERT_EQ(sluice.stop(), 0) << read_file(dir.file("sluice.err"));
    }
    Tally this_run;
    this_run.add(read_file(out));
    expect_in_partition_order(this_run);
    if (run < kKills) {
      written_by_killed_runs += this_run.lines;
    }
    all.add(read_file(out));
    delivered_before = static_cast<long long>(all.seen.size());
  }
  EXPECT_EQ(all.foreign, 0);
  EXPECT_EQ(all.missing(kEvents), 0);
  // What a kill repeats is what was written but not yet committed: what was stored since the
  // last auto-commit (200 ms here) and the batches in flight, so at several 100 k events/s it is
  // tens of thousands per kill. Offsets never committed before a kill would make each restart
  // repeat everything the killed runs wrote.
  std::printf("kill -9 x%d over %lld events: %lld written by killed runs, %lld duplicates\n",
              kKills, kEvents, written_by_killed_runs, all.duplicates());
  EXPECT_LT(all.duplicates(), written_by_killed_runs);
}

TEST_F(KafkaSource, TwoInstancesShareTheGroupAndTheSurvivorFinishesAfterKillNine) {
  constexpr long long kEvents = 200000;
  produce(1, kEvents);
  // A small queue so that neither instance has consumed everything before the other joins.
  const std::string queue = "    queue: { max_bytes: 2MiB }\n";
  write_file(dir.file("a.yaml"),
             kafka_config(mock.bootstrap(), "g", dir.file("a.ndjson"), "", queue));
  write_file(dir.file("b.yaml"),
             kafka_config(mock.bootstrap(), "g", dir.file("b.ndjson"), "", queue));
  mkdir(dir.file("a").c_str(), 0700);
  mkdir(dir.file("b").c_str(), 0700);
  SpawnedSluice a({"run", "-c", dir.file("a.yaml")}, dir.file("a"));
  SpawnedSluice b({"run", "-c", dir.file("b.yaml")}, dir.file("b"));
  ASSERT_TRUE(a.started());
  ASSERT_TRUE(b.started());
  // Both get partitions: each writes events of some partitions, none of the other's.
  auto partitions_of = [&](const std::string& file) {
    Tally t;
    t.add(read_file(file));
    std::vector<int> ps;
    for (int p = 0; p < kPartitions; ++p) {
      if (!t.by_partition[static_cast<size_t>(p)].empty()) {
        ps.push_back(p);
      }
    }
    return ps;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        return !partitions_of(dir.file("a.ndjson")).empty() &&
               !partitions_of(dir.file("b.ndjson")).empty();
      },
      600))
      << read_file(dir.file("a/sluice.err")) << read_file(dir.file("b/sluice.err"));
  b.kill9();
  // a takes b's partitions over (after the 3 s session timeout) and reads to the end.
  ASSERT_TRUE(wait_until(
      [&] {
        Tally t;
        t.add(read_file(dir.file("a.ndjson")));
        t.add(read_file(dir.file("b.ndjson")));
        return t.missing(kEvents) == 0;
      },
      1200))
      << read_file(dir.file("a/sluice.err"));
  ASSERT_EQ(a.stop(), 0) << read_file(dir.file("a/sluice.err"));
  Tally t;
  t.add(read_file(dir.file("a.ndjson")));
  t.add(read_file(dir.file("b.ndjson")));
  EXPECT_EQ(t.missing(kEvents), 0);
  EXPECT_EQ(t.foreign, 0);
  std::printf("two instances, one killed, %lld events: %lld duplicates\n", kEvents, t.duplicates());
}

TEST_F(KafkaSource, StalledSinkPausesThePartitionsWithFlatMemoryThenDeliversEverything) {
  // 10 MB of 48-byte events against a 4 MiB memory limit (the mock keeps about 5 MiB per
  // partition, so not more).
  constexpr long long kEvents = 200000;
  produce(1, kEvents, 40);
  ASSERT_EQ(mkfifo(dir.file("out.fifo").c_str(), 0600), 0);
  write_file(dir.file("c.yaml"),
             kafka_config(mock.bootstrap(), "g", dir.file("out.fifo"), "memory_limit: 4MiB\n",
                          "    queue: { max_bytes: 2MiB }\n"));
  int reader = open(dir.file("out.fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const int pipe_capacity = fcntl(reader, F_GETPIPE_SZ);
  SpawnedSluice sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(sluice.started());
  const pid_t pid = sluice.pid();
  // The stall has taken hold once the sink has filled the pipe and RSS has settled.
  ASSERT_TRUE(wait_until(
      [&] {
        int queued = 0;
        return ioctl(reader, FIONREAD, &queued) == 0 && queued >= pipe_capacity / 2;
      },
      1200))
      << read_file(dir.file("sluice.err"));
  // And memory has settled: RSS moved by less than 1 MiB over 20 polls (1 s) in a row.
  long rss_settled = 0;
  int steady = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        long rss = rss_kib(pid);
        steady = std::abs(rss - rss_settled) < 1024 ? steady + 1 : 0;
        rss_settled = rss;
        return steady >= 20;
      },
      1200));
  const long rss_start = rss_kib(pid);
  long rss_max = rss_start;
  for (int i = 0; i < 60; ++i) {  // 3 s of sampling while nothing is read
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    rss_max = std::max(rss_max, rss_kib(pid));
  }
  EXPECT_TRUE(sluice.alive());
  EXPECT_NE(read_file(dir.file("sluice.err")).find("pausing its partitions"), std::string::npos)
      << read_file(dir.file("sluice.err"));
  EXPECT_GT(rss_start, 0);
  EXPECT_LT(rss_max, rss_start + 8 * 1024) << "RSS grew while the sink was stalled";
  EXPECT_LT(rss_max, 128 * 1024) << "RSS past memory_limit plus the pre-fetch and overhead";
  // The sink comes back: read until every event arrived (bounded: 60 s without a byte), then
  // stop sluice while draining the rest.
  std::string got;
  char buf[1 << 16];
  Tally t;
  const auto drain_start = std::chrono::steady_clock::now();
  for (int idle = 0; t.seen.size() < static_cast<size_t>(kEvents) && idle < 600;) {
    pollfd fd{reader, POLLIN, 0};
    ssize_t n = poll(&fd, 1, 100) > 0 ? read(reader, buf, sizeof(buf)) : 0;
    if (n <= 0) {
      ++idle;
      continue;
    }
    idle = 0;
    got.append(buf, static_cast<size_t>(n));
    size_t last_nl = got.rfind('\n');
    if (last_nl != std::string::npos) {
      t.add(got.substr(0, last_nl + 1));
      got.erase(0, last_nl + 1);
    }
  }
  const double drain_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - drain_start).count();
  std::printf("stalled sink drained %zu events in %.2f s (%.0f events/s)\n", t.seen.size(),
              drain_seconds, static_cast<double>(t.seen.size()) / drain_seconds);
  // The backlog drains at the pipeline's speed (about 1-2 s here), not in the pause/resume
  // rhythm of librdkafka's fetcher (once a second: 25 s for these events before the fix).
  EXPECT_LT(drain_seconds, 12.0) << read_file(dir.file("sluice.err"));
  std::thread drain([&] {
    fcntl(reader, F_SETFL, 0);
    while (read(reader, buf, sizeof(buf)) > 0) {
    }
  });
  EXPECT_EQ(sluice.stop(), 0) << read_file(dir.file("sluice.err"));
  drain.join();
  close(reader);
  EXPECT_EQ(t.missing(kEvents), 0) << read_file(dir.file("sluice.err"));
  EXPECT_EQ(t.duplicates(), 0);
  expect_in_partition_order(t);
}

TEST_F(KafkaSource, UndeliveredRecordHoldsItsPartitionsOffsetAndIsReadAgain) {
  // Every event goes to a file and to stdout; stdout's reader goes away after a few thousand
  // lines, so from there on no batch is delivered by every sink. The file sink wrote further,
  // but the committed offsets must stay before the first record stdout did not get.
  constexpr long long kEvents = 100000;
  produce(1, kEvents);
  const std::string sinks =
      "sinks:\n  out: { type: file, path: " + dir.file("file.ndjson") +
      ", encoding: json, fields: [message, _source] }\n"
      "  screen: { type: stdout, encoding: json, fields: [message, _source] }\n";
  std::string config = kafka_config(mock.bootstrap(), "g", dir.file("unused"));
  config = config.substr(0, config.find("    routes:")) +
           "    routes: [{ to: [out, screen] }]\n    queue: { max_bytes: 2MiB }\n" + sinks;
  write_file(dir.file("c.yaml"), config);
  // stdout is a FIFO this test reads. "Got" must mean every byte sluice's write() put into the
  // pipe: a reader that just exits (`| head -c`) throws away what the pipe still holds, which
  // sluice rightly counts as written, and the hole would then look earlier than it is.
  const std::string first_dir = dir.file("first");
  ASSERT_EQ(mkdir(first_dir.c_str(), 0700), 0);
  ASSERT_EQ(mkfifo((first_dir + "/sluice.out").c_str(), 0600), 0);
  int reader = open((first_dir + "/sluice.out").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const pid_t first = spawn_sluice({"run", "-c", dir.file("c.yaml")}, first_dir);
  ASSERT_GT(first, 0);
  std::string screen_text;
  char buf[1 << 16];
  auto read_available = [&] {
    ssize_t n;
    while ((n = read(reader, buf, sizeof(buf))) > 0) {
      screen_text.append(buf, static_cast<size_t>(n));
    }
  };
  for (int polls = 0; screen_text.size() < 200000 && polls < 1200; ++polls) {
    pollfd fd{reader, POLLIN, 0};
    poll(&fd, 1, 100);
    read_available();
  }
  ASSERT_GE(screen_text.size(), 200000u) << read_file(first_dir + "/sluice.err");
  // The reader goes away: sluice is held still while what the pipe holds is read, so that every
  // byte it wrote is seen, and the next write finds no reader (EPIPE).
  ASSERT_EQ(kill(first, SIGSTOP), 0);
  read_available();
  close(reader);
  ASSERT_EQ(kill(first, SIGCONT), 0);
  wait_exit(first, 600);
  const std::string err = read_file(first_dir + "/sluice.err");
  EXPECT_NE(err.find("were not delivered by every sink nor dead-lettered"), std::string::npos)
      << err;
  Tally screen;
  screen.add(screen_text.substr(0, screen_text.rfind('\n') + 1));
  Tally file;
  file.add(read_file(dir.file("file.ndjson")));
  ASSERT_GT(screen.lines, 1000);
  ASSERT_GT(file.lines, screen.lines) << "the file sink should have gone further";
  // Per partition, the first offset stdout never got: where the partition is held.
  std::vector<long long> hole(kPartitions, -1);
  for (int p = 0; p < kPartitions; ++p) {
    std::vector<long long> got;
    for (const auto& [offset, n] : screen.by_partition[static_cast<size_t>(p)]) {
      got.push_back(offset);
    }
    std::sort(got.begin(), got.end());
    long long h = 0;
    while (h < static_cast<long long>(got.size()) && got[static_cast<size_t>(h)] == h) {
      ++h;
    }
    hole[static_cast<size_t>(p)] = h;
  }

  // The same group again, to a file only: it must start each partition at or before its hole.
  write_file(dir.file("c2.yaml"), kafka_config(mock.bootstrap(), "g", dir.file("again.ndjson")));
  SpawnedSluice sluice({"run", "-c", dir.file("c2.yaml")}, dir.path());
  ASSERT_TRUE(wait_until(
      [&] {
        Tally t = screen;
        t.add(read_file(dir.file("again.ndjson")));
        return t.missing(kEvents) == 0 || !sluice.alive();
      },
      1200))
      << read_file(dir.file("sluice.err"));
  ASSERT_EQ(sluice.stop(), 0) << read_file(dir.file("sluice.err"));
  Tally again;
  again.add(read_file(dir.file("again.ndjson")));
  expect_in_partition_order(again);
  for (int p = 0; p < kPartitions; ++p) {
    const auto& events = again.by_partition[static_cast<size_t>(p)];
    ASSERT_FALSE(events.empty()) << "partition " << p;
    EXPECT_LE(events.front().first, hole[static_cast<size_t>(p)])
        << "partition " << p << " was committed past a record stdout never got";
  }
  Tally both = screen;
  both.add(read_file(dir.file("again.ndjson")));
  EXPECT_EQ(both.missing(kEvents), 0);
}

// A subscribed topic the cluster does not have: librdkafka's consumer asks for metadata without
// auto-creation (allow.auto.create.topics=false, its consumer default), and the mock answers
// UNKNOWN_TOPIC_OR_PART (rd_kafka_mock_handle_Metadata). One error line naming the topic, the
// daemon keeps running, and once a producer creates the topic (kcat's producer may auto-create)
// every event of it is read.
TEST(KafkaSourceTopic, AMissingTopicIsOneLineAndIsReadOnceItIsCreated) {
  constexpr long long kEvents = 2000;
  KafkaMock mock{1, {"other:1"}};
  ASSERT_TRUE(mock.ok()) << mock.error();
  TempDir dir;
  std::string config = kafka_config(mock.bootstrap(), "g", dir.file("out.ndjson"));
  const std::string commit = "auto.commit.interval.ms: 200";
  ASSERT_NE(config.find(commit), std::string::npos);
  // librdkafka looks for the topic again only at each metadata refresh (5 min by default).
  config.replace(config.find(commit), commit.size(),
                 commit + ", topic.metadata.refresh.interval.ms: 300");
  write_file(dir.file("c.yaml"), config);
  SpawnedSluice sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(sluice.started());
  const std::string said =
      "kafka source (group g, topics in): topic 'in' does not exist; waiting for it to be created";
  ASSERT_TRUE(wait_until(
      [&] {
        return read_file(dir.file("sluice.err")).find(said) != std::string::npos || !sluice.alive();
      },
      400))
      << read_file(dir.file("sluice.err"));
  ASSERT_TRUE(sluice.alive()) << read_file(dir.file("sluice.err"));

  RunResult produced =
      kcat_produce_spread(mock.bootstrap(), "in", kPartitions, numbers(1, kEvents));
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(read_file(dir.file("out.ndjson"))) >= kEvents || !sluice.alive(); },
      600))
      << read_file(dir.file("sluice.err"));
  ASSERT_EQ(sluice.stop(), 0) << read_file(dir.file("sluice.err"));
  Tally t;
  t.add(read_file(dir.file("out.ndjson")));
  EXPECT_EQ(t.lines, kEvents);
  EXPECT_EQ(t.missing(kEvents), 0);
  const std::string err = read_file(dir.file("sluice.err"));
  size_t times = 0;
  for (size_t at = err.find(said); at != std::string::npos; at = err.find(said, at + 1)) {
    ++times;
  }
  EXPECT_EQ(times, 1u) << err;  // said once, not at each metadata refresh
  size_t errors = 0;
  for (size_t at = err.find("error:"); at != std::string::npos; at = err.find("error:", at + 1)) {
    ++errors;
  }
  EXPECT_EQ(errors, 1u) << err;
}

TEST(KafkaSourceConfig, ValidateReportsKafkaSettingsAtTheirPosition) {
  TempDir dir;
  write_file(dir.file("c.yaml"),
             "pipelines:\n"
             "  k:\n"
             "    source:\n"
             "      type: kafka\n"
             "      brokers: \"host:99999\"\n"
             "      topics: [good, \"bad topic\"]\n"
             "      group: g\n"
             "      librdkafka: { no.such.property: 1, fetch.wait.max.ms: soon, group.id: x }\n"
             "    parse: { format: csv, header: true }\n"
             "    routes: [{ to: out }]\n"
             "    queue: { on_full: drop_newest }\n"
             "sinks:\n  out: { type: stdout }\n");
  RunResult r = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(r.exit_code, 78);
  const std::string f = dir.file("c.yaml");
  EXPECT_EQ(r.err,
            f +
                ":5:17: pipelines.k.source.brokers: broker 'host:99999': port '99999' is not a "
                "number from 1 to 65535\n" +
                f +
                ":6:22: pipelines.k.source.topics: topic 'bad topic' has a character Kafka does "
                "not allow (only a-z A-Z 0-9 . _ -)\n" +
                f +
                ":8:21: pipelines.k.source.librdkafka.no.such.property: librdkafka: No such "
                "configuration property: \"no.such.property\"\n" +
                f +
                ":8:61: pipelines.k.source.librdkafka.fetch.wait.max.ms: librdkafka: Invalid "
                "value for configuration property \"fetch.wait.max.ms\"\n" +
                f +
                ":8:67: pipelines.k.source.librdkafka.group.id: 'group.id' cannot be set "
                "here: set by `group`\n" +
                f +
                ":9:35: pipelines.k.parse.header: not with a kafka source: a Kafka message "
                "is one record with no stream start to take names from; give `columns`\n" +
                f +
                ":11:23: pipelines.k.queue.on_full: not with a kafka source: a Kafka source "
                "pauses its partitions when the pipeline is full, and a dropped batch would "
                "hold its partition's offset back for good\n");
}

// Kafka -> Kafka exactly once needs transactions, which the mock cluster cannot show working:
// validate and run refuse it alike, with the Kafka reason at the value, before any connection.
TEST(KafkaSourceConfig, ExactlyOnceIsRefusedByValidateAndRunWithTheKafkaReason) {
  TempDir dir;
  const std::string f = dir.file("c.yaml");
  write_file(f,
             "pipelines:\n"
             "  k:\n"
             "    source: { type: kafka, brokers: \"127.0.0.1:1\", topics: [in], group: g }\n"
             "    routes: [{ to: out }]\n"
             "    delivery: exactly_once\n"
             "sinks:\n"
             "  out: { type: kafka, brokers: \"127.0.0.1:1\", topic: out }\n");
  const std::string expected =
      f +
      ":5:15: pipelines.k.delivery: exactly_once cannot apply: the pipeline reads from Kafka and "
      "writes to Kafka (sink 'out'), and exactly once with Kafka needs Kafka transactions; the "
      "mock cluster of Debian's librdkafka 2.0.2 neither stores offsets sent in a transaction nor "
      "writes transaction markers, so it cannot be built and proven here; use at_least_once\n";
  RunResult validate = run_sluice({"validate", f});
  EXPECT_EQ(validate.exit_code, 78);
  EXPECT_EQ(validate.err, expected);
  RunResult run = run_sluice({"run", "-c", f});
  EXPECT_EQ(run.exit_code, 78);
  EXPECT_EQ(run.err, expected);
}

TEST(KafkaSourceConfig, UnreachableBrokerIsOneLineAndTheDaemonKeepsRetrying) {
  TempDir dir;
  // Port 1 on the loopback: nothing listens there.
  write_file(dir.file("c.yaml"), kafka_config("127.0.0.1:1", "g", dir.file("out.ndjson")));
  SpawnedSluice sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(sluice.started());
  ASSERT_TRUE(wait_until(
      [&] { return read_file(dir.file("sluice.err")).find("cannot reach") != std::string::npos; },
      400))
      << read_file(dir.file("sluice.err"));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // librdkafka retries meanwhile
  EXPECT_TRUE(sluice.alive());
  EXPECT_EQ(sluice.stop(), 0);
  const std::string err = read_file(dir.file("sluice.err"));
  size_t errors = 0;
  for (size_t at = err.find("error:"); at != std::string::npos; at = err.find("error:", at + 1)) {
    ++errors;
  }
  EXPECT_EQ(errors, 1u) << err;  // said once, not once per retry
  EXPECT_NE(err.find("kafka source (group g, topics in): cannot reach the brokers 127.0.0.1:1"),
            std::string::npos)
      << err;
}

}  // namespace
}  // namespace sluice::e2e
