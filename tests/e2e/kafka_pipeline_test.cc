// Kafka in and Kafka out through the real binary (SPEC §2, §3): kcat produces numbered CSV events
// to a 4-partition topic; sluice parses them, filters some out and routes the rest to two topics
// by status; kcat reads both. The expected set arrives exactly (none lost, none twice), and the
// events of each input partition keep their order in every output partition.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/kafka_util.h"

namespace sluice::e2e {
namespace {

constexpr int kPartitions = 4;
constexpr long long kEvents = 8000;

// Event n's status: every 7th is a 404 (filtered out), every 5th other one a 500 (to `errors`),
// the rest 200 (to `ok`).
int status_of(long long n) {
  if (n % 7 == 0) {
    return 404;
  }
  return n % 5 == 0 ? 500 : 200;
}

// The output topic's messages as (partition, n), in the order kcat read them per partition.
std::vector<std::pair<int, long long>> read_topic(const KafkaMock& mock, const std::string& topic,
                                                  int expected_status) {
  RunResult r = kcat_consume(mock.bootstrap(), topic, "%p %s\\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::pair<int, long long>> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    // "2 {"n":35,"status":500}"
    int partition = -1;
    long long n = -1;
    int status = -1;
    if (std::sscanf(line.c_str(), "%d {\"n\":%lld,\"status\":%d}", &partition, &n, &status) != 3) {
      ADD_FAILURE() << topic << ": unexpected message '" << line << "'";
      continue;
    }
    EXPECT_EQ(status, expected_status) << line;
    out.emplace_back(partition, n);
  }
  return out;
}

TEST(KafkaPipeline, KafkaInParsedFilteredAndRoutedToTwoTopicsExactlyInPartitionOrder) {
  KafkaMock mock(1, {"in:4", "errors:4", "ok:4"});
  ASSERT_TRUE(mock.ok()) << mock.error();
  TempDir dir;
  std::string lines;
  std::set<long long> want_errors, want_ok;
  long long filtered = 0;
  for (long long n = 1; n <= kEvents; ++n) {
    const int status = status_of(n);
    lines += std::to_string(n) + "," + std::to_string(status) + "\n";
    if (status == 404) {
      ++filtered;
    } else {
      (status == 500 ? want_errors : want_ok).insert(n);
    }
  }
  // Event n goes to input partition (n - 1) % 4, in increasing order.
  RunResult produced = kcat_produce_spread(mock.bootstrap(), "in", kPartitions, lines);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;

  const std::string sink =
      "{ type: kafka, brokers: \"" + mock.bootstrap() + "\", key: n, encoding: json, topic: ";
  write_file(dir.file("c.yaml"),
             "pipelines:\n  k:\n    source:\n      type: kafka\n      brokers: \"" +
                 mock.bootstrap() +
                 "\"\n      topics: [in]\n      group: g\n"
                 "      librdkafka: { session.timeout.ms: 3000, heartbeat.interval.ms: 500 }\n"
                 "    parse:\n      format: csv\n      columns: [n, status]\n"
                 "      types: { n: int, status: int }\n"
                 "    filter: 'status != 404'\n"
                 "    routes:\n      - when: 'status >= 500'\n        to: errors\n"
                 "      - to: ok\n    threads: { parse: 2 }\n"
                 "sinks:\n  errors: " +
                 sink + "errors }\n  ok: " + sink + "ok }\n");
  SpawnedSluice daemon({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_TRUE(daemon.started());
  const size_t expected = want_errors.size() + want_ok.size();
  auto count = [&](const std::string& topic) {
    RunResult r = kcat_consume(mock.bootstrap(), topic, "x\\n");
    return r.exit_code == 0 ? count_lines(r.out) : 0;
  };
  ASSERT_TRUE(
      wait_until([&] { return count("errors") + count("ok") >= expected || !daemon.alive(); }, 600))
      << read_file(dir.file("sluice.err"));
  ASSERT_EQ(daemon.stop(), 0) << read_file(dir.file("sluice.err"));

  for (const auto& [topic, want, status] :
       {std::tuple{"errors", &want_errors, 500}, std::tuple{"ok", &want_ok, 200}}) {
    const auto got = read_topic(mock, topic, status);
    std::multiset<long long> numbers;
    // Per output partition and input partition: the last number seen, to check the order.
    std::map<std::pair<int, long long>, long long> last;
    for (const auto& [partition, n] : got) {
      numbers.insert(n);
      const auto key = std::pair{partition, (n - 1) % kPartitions};
      if (auto it = last.find(key); it != last.end()) {
        EXPECT_GT(n, it->second) << topic << " partition " << partition << ": " << n << " after "
                                 << it->second;
      }
      last[key] = n;
    }
    EXPECT_EQ(numbers.size(), want->size()) << topic << ": none twice, none lost";
    EXPECT_EQ(std::set<long long>(numbers.begin(), numbers.end()), *want) << topic;
  }
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(summary_value(err, "k", "in"), kEvents) << err;
  EXPECT_EQ(summary_value(err, "k", "filtered"), filtered) << err;
  EXPECT_EQ(summary_value(err, "k", "out"), static_cast<long long>(expected)) << err;
}

}  // namespace
}  // namespace sluice::e2e
