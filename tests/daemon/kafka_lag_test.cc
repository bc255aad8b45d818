// Pipeline::partition_lags through a real Kafka source, in process, against librdkafka's mock
// cluster: behind a stalled sink each partition reports the backlog it has not committed, and
// once the sink drains every partition reports 0. What the metrics endpoint will scrape.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.h"
#include "daemon/runtime.h"

namespace sluice {
namespace {

constexpr int kPartitions = 4;
constexpr int kEvents = 200000;

// `produce` events "1".."N" to topic `in`, event i to partition i % 4; true when all were acked.
bool produce(const std::string& bootstrap, int events) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof(errstr));
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (producer == nullptr) {
    return false;
  }
  for (int i = 0; i < events; ++i) {
    std::string value = std::to_string(i + 1);
    while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("in"),
                             RD_KAFKA_V_PARTITION(i % kPartitions),
                             RD_KAFKA_V_VALUE(value.data(), value.size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer, 10);
    }
  }
  bool flushed = rd_kafka_flush(producer, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_destroy(producer);
  return flushed;
}

int64_t total_lag(const Pipeline& p, size_t* partitions = nullptr) {
  std::vector<PartitionLag> lags;
  p.partition_lags(lags);
  int64_t total = 0;
  for (const PartitionLag& l : lags) {
    EXPECT_EQ(l.topic, "in");
    EXPECT_GE(l.partition, 0);
    EXPECT_LT(l.partition, kPartitions);
    total += l.lag;
  }
  if (partitions != nullptr) {
    *partitions = lags.size();
  }
  return total;
}

// Polls (bounded: `polls` x 50 ms) until `done` holds.
template <typename F>
bool wait_for(F done, int polls) {
  for (int i = 0; i < polls; ++i) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

TEST(KafkaLag, StalledSinkShowsTheBacklogAndADrainedOneShowsZero) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  ASSERT_NE(handle, nullptr) << errstr;
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, 1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_EQ(rd_kafka_mock_topic_create(cluster, "in", kPartitions, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  ASSERT_TRUE(produce(bootstrap, kEvents));

  std::string dir = (std::filesystem::temp_directory_path() / "sluice-lag-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string fifo = dir + "/out.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Open for reading but not read: the sink stalls once the pipe is full.
  int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const std::string yaml =
      "memory_limit: 16MiB\npipelines:\n  k:\n"
      "    source: { type: kafka, brokers: \"" +
      bootstrap +
      "\", topics: [in], group: g, librdkafka: { session.timeout.ms: 3000, "
      "heartbeat.interval.ms: 500, auto.commit.interval.ms: 200 } }\n"
      "    parse: { format: none }\n    routes: [{ to: out }]\n"
      "    queue: { max_bytes: 2MiB }\n"
      "sinks:\n  out: { type: file, path: " +
      fifo + ", encoding: raw }\n";
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  LoadedConfig loaded = load_config(yaml, no_env);
  ASSERT_TRUE(loaded.ok()) << format_problems(loaded.problems, "<test>");
  auto runtime = Runtime::build(loaded.config);
  ASSERT_TRUE(runtime.ok()) << runtime.status().message();
  Runtime& rt = *runtime.value();
  ASSERT_TRUE(rt.start().ok());
  const Pipeline& pipeline = *rt.pipelines()[0];

  // Stalled: every partition is reported, and together they are behind by some of the topic.
  size_t partitions = 0;
  ASSERT_TRUE(wait_for(
      [&] {
        int64_t lag = total_lag(pipeline, &partitions);
        return partitions == kPartitions && lag > 0;
      },
      400));
  EXPECT_LE(total_lag(pipeline), kEvents);

  // Drained: once everything is written and committed, nothing is behind.
  std::thread drain([&] {
    fcntl(reader, F_SETFL, 0);
    char buf[1 << 16];
    while (read(reader, buf, sizeof(buf)) > 0) {
    }
  });
  EXPECT_TRUE(wait_for(
      [&] {
        int64_t lag = total_lag(pipeline, &partitions);
        return partitions == kPartitions && lag == 0;
      },
      600));
  rt.request_stop();
  EXPECT_EQ(rt.shutdown(std::chrono::seconds(30), -1), Runtime::Shutdown::kDrained);
  drain.join();
  close(reader);
  std::filesystem::remove_all(dir);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
}

}  // namespace
}  // namespace sluice
