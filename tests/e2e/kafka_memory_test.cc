// memory_limit covers librdkafka's buffers (SPEC §1: a hard cap on all event buffers): the
// consumer's pre-fetch and the producer's queue are reserved from it when the pipelines and sinks
// are built, so `sluice_memory_bytes` shows them from the start and batches get what is left.
// No broker is needed: librdkafka sizes its buffers before it connects, and sluice reserves them
// whether or not a broker answers.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/http_util.h"

namespace sluice::e2e {
namespace {

TEST(KafkaMemory, LibrdkafkasBuffersAreReservedFromMemoryLimitFromTheStart) {
  TempDir dir;
  write_file(dir.file("in.log"), "");
  const int port = free_port();
  // Nothing listens on port 1: both clients keep retrying, and nothing is read, so every byte
  // the budget holds is a reservation.
  write_file(
      dir.file("c.yaml"),
      "memory_limit: 64MiB\nshutdown_timeout: 1s\nmetrics: { listen: \"127.0.0.1:" +
          std::to_string(port) +
          "\" }\npipelines:\n"
          "  from_kafka:\n"
          "    source: { type: kafka, brokers: \"127.0.0.1:1\", topics: [t], group: g }\n"
          "    routes: [{ to: file_out }]\n"
          "  to_kafka:\n"
          "    source: { type: file, paths: [" +
          dir.file("in.log") +
          "], follow: true }\n"
          "    routes: [{ to: kafka_out }]\n"
          "sinks:\n"
          "  file_out: { type: file, path: " +
          dir.file("out.log") +
          " }\n"
          "  kafka_out: { type: kafka, brokers: \"127.0.0.1:1\", topic: t, encoding: raw }\n");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  // Under 64 MiB: the consumer's pre-fetch is an eighth of the limit (8 MiB); the producer's
  // queue a sixteenth (4 MiB) plus 16,384 messages' bookkeeping at 256 bytes (4 MiB).
  const std::string reserved = "\nsluice_memory_bytes 16777216\n";
  std::string body;
  EXPECT_TRUE(wait_until([&] {
    body = http_get(port, "/metrics", 1000).body;
    return body.find(reserved) != std::string::npos;
  })) << body
      << read_file(dir.file("sluice.err"));
  EXPECT_NE(body.find("\nsluice_memory_limit_bytes 67108864\n"), std::string::npos) << body;
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 200), 0) << read_file(dir.file("sluice.err"));
}

}  // namespace
}  // namespace sluice::e2e
