// KafkaSource: consumes topics as a member of a consumer group (librdkafka), one message = one
// event, `_source` = topic:partition:offset. Each batch holds one partition's messages in order,
// so parallel parse workers keep each partition's order. Offsets are stored only up to the last
// contiguously finished offset of each partition (PositionTracker) and committed by librdkafka's
// auto-commit, on revoke and at shutdown; a record neither delivered nor dead-lettered holds its
// partition's offset for good (said once, counted). When the pipeline is full the source pauses
// its partitions and keeps polling, so it stays in its group.
// Threading: run() and everything librdkafka calls back (rebalances, errors) on the ingest
// thread; acknowledgements arrive on sink threads into a mutex-protected inbox; partition_lags()
// and blocked_partitions() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "stages/ingest/source.h"
#include "stages/status.h"

namespace sluice {

class AckInbox;

struct KafkaSourceOptions {
  // Bootstrap list "host:port,host:port" (bootstrap.servers).
  std::string brokers;
  std::vector<std::string> topics;
  // The consumer group (group.id): instances with the same group share the partitions.
  std::string group;
  // Where a partition without a committed offset starts (auto.offset.reset): the oldest message
  // (default; nothing already in the topic is skipped) or only what arrives from now on.
  bool start_latest = false;
  // `librdkafka:` properties, in file order, applied after sluice's defaults (so they win).
  std::vector<std::pair<std::string, std::string>> properties;
  // A message longer than this becomes a parse error (its first KiB kept as `_raw`).
  uint64_t max_event_bytes = 1 << 20;
  // What librdkafka may hold in pre-fetched messages, outside the batches: derived from
  // queue.max_bytes and memory_limit by the config (kafka_prefetch_bytes) and reserved from
  // memory_limit when the pipeline is built (kafka_consumer_buffers).
  uint64_t prefetch_bytes = 16 << 20;
  // Text bytes per batch; a batch also ends at a partition change or when the consumer is idle.
  size_t batch_bytes = 1 << 20;
};

// The pre-fetch bound for a pipeline with `queue_max_bytes` under `memory_limit`: an eighth of
// the memory limit, at most half the pipeline's queues, at least 2 MiB. It is reserved from
// memory_limit, so it must leave most of the limit to the batches.
uint64_t kafka_prefetch_bytes(uint64_t queue_max_bytes, uint64_t memory_limit);

// What librdkafka's consumer holds outside the batches: the pre-fetched messages' payload
// (queued.max.messages.kbytes, for the whole consumer queue) and one fetch response
// (fetch.max.bytes), by which librdkafka may overshoot the queue's bound.
struct KafkaConsumerBuffers {
  uint64_t queue_kib = 0;
  uint64_t fetch_bytes = 0;
  uint64_t bytes() const { return queue_kib * 1024 + fetch_bytes; }
};
// Half of options.prefetch_bytes each (at least 1 MiB each), unless the user's `librdkafka:`
// properties set them: then their values, which the consumer uses and memory_limit must hold.
// Not counted: librdkafka's own bookkeeping of each pre-fetched message (a few hundred bytes
// each, up to queued.min.messages of them); see the README.
KafkaConsumerBuffers kafka_consumer_buffers(const KafkaSourceOptions& options);

class KafkaSource : public Source {
 public:
  explicit KafkaSource(KafkaSourceOptions options);
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Consumes until ctx.stopping(); then stops fetching, waits for every emitted batch to be
  // acknowledged or abandoned (or the pipeline to abort), commits and leaves the group. A broker
  // that cannot be reached is one log line, and librdkafka keeps retrying.
  Status run(SourceContext& ctx) override;
  void partition_lags(std::vector<PartitionLag>& out) const override;

  // Partitions whose offset was held back by an undelivered record, since the start.
  uint64_t blocked_partitions() const { return blocked_partitions_.load(); }

 private:
  class Consumer;  // the run's librdkafka state (kafka_source.cc)

  KafkaSourceOptions options_;
  std::shared_ptr<AckInbox> inbox_;  // acknowledgements from sink threads
  std::atomic<uint64_t> blocked_partitions_{0};
  mutable std::mutex lag_mu_;
  std::vector<PartitionLag> lags_;  // published by the ingest thread about once a second
  friend class Consumer;
};

}  // namespace sluice
