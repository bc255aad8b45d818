// The kafka sink through the real binary (SPEC §2, §3), against `sluice kafka-mock` with kcat as
// the independent consumer. Numbered events, so that loss and duplication are exact: every event
// arrives once, keyed by its field; a broker that goes down holds the pipeline back (the source
// stops reading, memory stays flat) and after it is up again everything arrives once; a message
// refused for good is a sink error and leaves its batch undelivered; what can be checked without
// a broker is checked by `validate`; an unreachable broker is one line and a clean, counted exit.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/http_util.h"
#include "tests/e2e/kafka_util.h"

namespace sluice::e2e {
namespace {

// "0000000042": numbered events sort and compare as text.
std::string number(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%010d", i);
  return buf;
}

// How many messages `topic` holds now (kcat reads to its end).
size_t message_count(const KafkaMock& mock, const std::string& topic) {
  RunResult r = kcat_consume(mock.bootstrap(), topic, "x\\n");
  return r.exit_code == 0 ? count_lines(r.out) : 0;
}

// Every message of `topic` as "KEY|PAYLOAD" (an absent key is empty).
std::vector<std::string> keyed_messages(const KafkaMock& mock, const std::string& topic) {
  RunResult r = kcat_consume(mock.bootstrap(), topic, "%k|%s\\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return split_lines(r.out);
}

// N JSON events numbered 1..N; every 7th has no `host` (so no key), the others host h0..h4.
TEST(KafkaSink, EveryEventArrivesOnceKeyedByItsField) {
  KafkaMock mock(1, {"events:4"});
  ASSERT_TRUE(mock.ok()) << mock.error();
  TempDir dir;
  const int n = 20000;
  std::string input;
  std::multiset<std::string> expected;
  for (int i = 1; i <= n; ++i) {
    const std::string num = number(i);
    if (i % 7 == 0) {
      input += "{\"n\":\"" + num + "\"}\n";
      expected.insert("|" + num);
    } else {
      const std::string host = "h" + std::to_string(i % 5);
      input += "{\"n\":\"" + num + "\",\"host\":\"" + host + "\"}\n";
      expected.insert(host + "|" + num + "," + host);
    }
  }
  write_file(dir.file("in.json"), input);
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: file, paths: [" + dir.file("in.json") +
                 "], follow: false }\n    parse: { format: json }\n    routes: [{ to: k }]\n"
                 "sinks:\n  k:\n    type: kafka\n    brokers: \"" +
                 mock.bootstrap() +
                 "\"\n    topic: events\n    key: host\n    encoding: csv\n"
                 "    columns: [n, host]\n");
  RunResult run = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "out"), n) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "undelivered"), 0) << run.err;

  std::vector<std::string> got = keyed_messages(mock, "events");
  // A csv line of an event without host ends in its empty column: "0000000007,".
  std::multiset<std::string> got_set;
  for (std::string m : got) {
    if (!m.empty() && m.front() == '|' && m.back() == ',') {
      m.pop_back();
    }
    got_set.insert(m);
  }
  EXPECT_EQ(got.size(), static_cast<size_t>(n)) << "none lost, none twice";
  EXPECT_TRUE(got_set == expected) << "each message is its event, keyed by its host";
  EXPECT_EQ(mock.stop(), 0);
}

TEST(KafkaSink, BadTopicBadPropertyAndBadBrokerAreOneLineEachWithPosition) {
  TempDir dir;
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: stdin }\n    routes: [{ to: k }]\n"
             "sinks:\n  k:\n    type: kafka\n    brokers: \"127.0.0.1:9092,broker:\"\n"
             "    topic: \"web/errors\"\n    librdkafka: { linger.ms: 5, no.such.property: 1 }\n");
  for (const char* command : {"validate", "run"}) {
    RunResult r = command == std::string("validate")
                      ? run_sluice({"validate", dir.file("c.yaml")})
                      : run_sluice({"run", "-c", dir.file("c.yaml")});
    EXPECT_EQ(r.exit_code, 78) << command << ": " << r.err;
    const std::string at = dir.file("c.yaml");
    EXPECT_EQ(r.err, at + ":8:30: sinks.k.brokers: broker 'broker:' has an empty port\n" + at +
                         ":9:12: sinks.k.topic: topic 'web/errors' has a character Kafka does not "
                         "allow (only a-z A-Z 0-9 . _ -)\n" +
                         at +
                         ":10:33: sinks.k.librdkafka.no.such.property: No such configuration "
                         "property: \"no.such.property\"\n")
        << command;
  }
}

// Nothing listens at the broker's address: one line says so, the daemon keeps trying; SIGTERM
// ends it within shutdown_timeout, every event counted as undelivered, exit 1 as for any run
// that could not deliver.
TEST(KafkaSink, AnUnreachableBrokerIsOneLineAndShutdownCountsEverything) {
  TempDir dir;
  const int port = free_port();
  write_file(dir.file("c.yaml"),
             "shutdown_timeout: 1s\nmetrics: { listen: \"127.0.0.1:" + std::to_string(port) +
                 "\" }\npipelines:\n  p:\n"
                 "    source: { type: generate, format: csv, count: 500, seed: 1 }\n"
                 "    routes: [{ to: k }]\n"
                 "sinks:\n  k: { type: kafka, brokers: \"127.0.0.1:1\", topic: t, encoding: raw "
                 "}\n");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(wait_until([&] {
    return read_file(dir.file("sluice.err")).find("cannot reach") != std::string::npos;
  })) << read_file(dir.file("sluice.err"));
  // The SIGTERM must come after the generator made all 500 events (else fewer are "in"; the
  // warning above can be printed before the source has started).
  const std::string all_read = "sluice_events_in_total{pipeline=\"p\",stage=\"ingest\"} 500";
  EXPECT_TRUE(wait_until([&] {
    return http_get(port, "/metrics", 1000).body.find(all_read) != std::string::npos;
  })) << http_get(port, "/metrics", 1000).body;
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 100), 1);  // within 10 s: shutdown_timeout is 1 s
  const std::string err = read_file(dir.file("sluice.err"));
  size_t mentions = 0;
  for (const std::string& line : split_lines(err)) {
    mentions += line.find("127.0.0.1:1") != std::string::npos;
  }
  EXPECT_EQ(mentions, 1u) << err;
  EXPECT_EQ(summary_value(err, "p", "in"), 500) << err;
  EXPECT_EQ(summary_value(err, "p", "undelivered"), 500) << err;
}

// A broker set down while producing: the producer queue (1 MiB here) fills, the runner stops
// taking batches, the queues and memory_limit fill, and the file source stops reading: its
// offset stays put and RSS stays flat. After `up`, every event arrives, once (idempotence).
TEST(KafkaSink, ABrokerDownHoldsThePipelineBackAndAfterUpEverythingArrivesOnce) {
  KafkaMock mock(1, {"held:8"});
  ASSERT_TRUE(mock.ok()) << mock.error();
  TempDir dir;
  const std::string in = dir.file("in.log");
  write_file(in, "");
  write_file(
      dir.file("c.yaml"),
      "memory_limit: 4MiB\npipelines:\n  p:\n    source: { type: file, paths: [" + in +
          "], follow: true }\n    parse: { format: none }\n"
          "    queue: { max_bytes: 2MiB }\n    routes: [{ to: k }]\n"
          "sinks:\n  k:\n    type: kafka\n    brokers: \"" +
          mock.bootstrap() +
          "\"\n    topic: held\n    encoding: raw\n"
          "    librdkafka: { queue.buffering.max.kbytes: 1024, reconnect.backoff.max.ms: 500 }\n");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  // 48-byte numbered lines, as in the fault runs.
  auto lines = [](int from, int to) {
    std::string text;
    for (int i = from; i < to; ++i) {
      text += number(i) + "," + std::string(36, 'p') + "\n";
    }
    return text;
  };
  const int total = 150000;  // 7.2 MB: well past what the pipeline may hold
  append_file(in, lines(0, 1000));
  ASSERT_TRUE(wait_until([&] { return message_count(mock, "held") == 1000; }, 200))
      << read_file(dir.file("sluice.err"));
  ASSERT_EQ(mock.command("down 1"), "ok");
  append_file(in, lines(1000, total));
  const long long size = static_cast<long long>(total) * 48;
  // Held back: the offset stops short of the end and stays there for 20 polls in a row (1 s).
  long long last = -1;
  int still = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        long long now = read_position(pid, in);
        still = now == last ? still + 1 : 0;
        last = now;
        return still >= 20;
      },
      1200));
  EXPECT_LT(last, size) << "the source stopped reading before the end";
  const long rss_held = rss_kib(pid);
  // Watched for 2 s more: nothing moves, memory stays flat.
  EXPECT_FALSE(wait_until([&] { return read_position(pid, in) != last; }, 40));
  if (std::getenv("SLUICE_SANITIZED") == nullptr) {  // shadow memory and quarantine move RSS
    EXPECT_LT(rss_kib(pid), rss_held + 8 * 1024);
  }
  ASSERT_EQ(mock.command("up 1"), "ok");
  ASSERT_TRUE(wait_until([&] { return message_count(mock, "held") >= total; }, 1200))
      << message_count(mock, "held");
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  std::vector<std::string> got = split_lines(kcat_consume(mock.bootstrap(), "held").out);
  std::sort(got.begin(), got.end());
  std::vector<std::string> expected = split_lines(lines(0, total));
  EXPECT_EQ(got.size(), expected.size()) << "none lost, none twice";
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(mock.stop(), 0);
}

// 100 numbered lines "NNNNNNNNNN,small", but line 50 carries 3,000 bytes: too large for a
// producer with message.max.bytes: 1000.
const int kLarge = 50;
std::string one_large_among_small() {
  std::string input;
  for (int i = 1; i <= 100; ++i) {
    input +=
        number(i) + (i == kLarge ? "," + std::string(3000, 'x') : std::string(",small")) + "\n";
  }
  return input;
}

// Runs one_large_among_small() from stdin into topic `big` (message.max.bytes: 1000), with
// `dead_letter_sink` as the pipeline's dead letter when not empty.
RunResult run_one_large(const KafkaMock& mock, const TempDir& dir,
                        const std::string& dead_letter_sink) {
  write_file(
      dir.file("c.yaml"),
      std::string("pipelines:\n  p:\n    source: { type: stdin }\n    parse: { format: none }\n"
                  "    routes: [{ to: k }]\n") +
          (dead_letter_sink.empty() ? std::string() : "    dead_letter: rejects\n") +
          "sinks:\n  k:\n    type: kafka\n    brokers: \"" + mock.bootstrap() +
          "\"\n    topic: big\n    encoding: raw\n"
          "    librdkafka: { message.max.bytes: 1000 }\n" +
          (dead_letter_sink.empty() ? std::string() : "  rejects: " + dead_letter_sink + "\n"));
  return run_sluice({"run", "-c", dir.file("c.yaml")}, one_large_among_small());
}

// Topic `big` holds every small line once, the large one never.
void expect_the_small_ones_once(const KafkaMock& mock) {
  std::vector<std::string> got = split_lines(kcat_consume(mock.bootstrap(), "big").out);
  std::sort(got.begin(), got.end());
  std::vector<std::string> expected;
  for (int i = 1; i <= 100; ++i) {
    if (i != kLarge) {
      expected.push_back(number(i) + ",small");
    }
  }
  EXPECT_EQ(got, expected) << "the others once each, the large one never";
}

// Slice A of a message refused for good: larger than the producer's message.max.bytes. The
// sink counts an error, says so once, and leaves the batch undelivered (the source's position
// would not move past it); the summary and the exit code say so. The other messages of the
// batch were sent (at least once: a restart sends them again).
TEST(KafkaSink, AMessageTooLargeIsASinkErrorAndItsBatchIsUndelivered) {
  KafkaMock mock(1, {"big:1"});
  ASSERT_TRUE(mock.ok()) << mock.error();
  TempDir dir;
  RunResult run = run_one_large(mock, dir, "");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const long long undelivered = summary_value(run.err, "p", "undelivered");
  EXPECT_GE(undelivered, 1) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "in"), 100) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "out") + undelivered, 100) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "sink_errors"), 1) << run.err;
  size_t said = 0;
  for (const std::string& line : split_lines(run.err)) {
    said += line.find("Message size too large") != std::string::npos;
  }
  EXPECT_EQ(said, 1u) << run.err;
  expect_the_small_ones_once(mock);
  EXPECT_EQ(mock.stop(), 0);
}

// Slice B: with a dead letter, the message refused for good lands there with its reason, the
// others arrive once, the batch is acknowledged and the summary counts each event exactly.
TEST(KafkaSink, AMessageTooLargeGoesToTheDeadLetterWithTheReasonAndTheOthersArrive) {
  KafkaMock mock(1, {"big:1"});
  ASSERT_TRUE(mock.ok()) << mock.error();
  TempDir dir;
  RunResult run = run_one_large(
      mock, dir, "{ type: file, path: " + dir.file("rejects.ndjson") + ", encoding: json }");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "out"), 99) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "dead_lettered"), 1) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "undelivered"), 0) << run.err;
  EXPECT_EQ(summary_value(run.err, "p", "sink_errors"), 1) << run.err;
  EXPECT_EQ(read_file(dir.file("rejects.ndjson")),
            "{\"_raw\":\"" + number(kLarge) + "," + std::string(3000, 'x') +
                "\",\"_source\":\"stdin:50\",\"_error\":\"kafka: Broker: Message size too "
                "large\"}\n");
  expect_the_small_ones_once(mock);
  EXPECT_EQ(mock.stop(), 0);
}

}  // namespace
}  // namespace sluice::e2e
