// KafkaSinkOptions: what a `type: kafka` sink is configured with, loaded by its row of
// config/sink_kinds.cc, and the size of the producer queue it may hold outside the batches
// (reserved from memory_limit). Plain data and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/status.h"

namespace sluice {

struct KafkaSinkOptions {
  std::string name;     // the sink's name, for its log lines
  std::string brokers;  // bootstrap list "host:port,host:port"
  std::string topic;    // every message goes here; partitioned by key (random without one)
  // `librdkafka:` properties, in file order, set after sluice's defaults (so they win):
  // enable.idempotence=true, acks=all, message.timeout.ms=300000 (5 min of librdkafka retries
  // before a message counts as failed for good), and the producer queue's bounds below (full
  // is backpressure).
  std::vector<std::pair<std::string, std::string>> properties;
  // The producer queue's bounds (queue.buffering.max.kbytes and .messages) unless `properties`
  // set them; sized from memory_limit by size_producer_queue.
  uint64_t queue_kib = 16384;
  uint64_t queue_messages = 100000;
};

// librdkafka's bookkeeping per queued message (rd_kafka_msg_t, its allocation and a short key
// copy): a generous estimate, so that the reservation is an upper bound.
inline constexpr uint64_t kProducerMessageOverhead = 256;

// Bounds the producer queue for a process under `memory_limit`: a sixteenth of the limit
// (1 MiB to 16 MiB) and as many messages as that holds in overhead (1,000 to 100,000).
void size_producer_queue(KafkaSinkOptions& options, uint64_t memory_limit);

// What the producer may hold outside the batches, reserved from memory_limit when the sink is
// built. Messages are produced without a copy (their batch stays alive until delivered), but
// librdkafka copies those under message.copy.max.bytes into its produce requests: at most the
// queue's payload bound (queue.buffering.max.kbytes). Plus each queued message's bookkeeping.
// The user's `librdkafka:` values where they set them.
uint64_t kafka_producer_buffer_bytes(const KafkaSinkOptions& options);

}  // namespace sluice
