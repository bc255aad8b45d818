// KafkaSink: sends one message per event to a Kafka topic with librdkafka's producer (idempotent,
// acks=all by default) and resolves a batch's token when every message of it has its delivery
// report: delivered only when all were acknowledged. A message that fails for good (too large,
// not authorized, retries exhausted after message.timeout.ms) counts in errors(), with one log
// line per kind of failure, and goes to the pipeline's dead letter with the reason; the batch is
// then dead-lettered once the dead letter wrote it. Without a dead letter the batch stays
// unresolved (not delivered: the source's position does not move past it). librdkafka's errors
// stop here: what leaves this class is a Status or a reason string.
// Threading: open, send, abandon_send, flush and close on the runner's thread; delivery reports
// run on the sink's poller thread; the counters are atomics, readable from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "stages/batch.h"
#include "stages/sinks/kafka_sink_options.h"
#include "stages/sinks/message_cursor.h"
#include "stages/sinks/sink.h"

// librdkafka's handles, declared here so that its header stays inside kafka_sink.cc.
struct rd_kafka_s;
struct rd_kafka_topic_s;
struct rd_kafka_message_s;

namespace sluice {

class KafkaSink : public Sink {
 public:
  explicit KafkaSink(KafkaSinkOptions options) : options_(std::move(options)) {}
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;
  ~KafkaSink() override { close(); }

  // Creates the producer and its poller thread. Reaching a broker is not needed: librdkafka
  // connects (and reconnects) in the background; one line says when it cannot.
  Status open() override;
  bool sends_messages() const override { return true; }
  size_t send(DeliveryToken& token, uint32_t target, size_t from, DeadLetter* dead_letter) override;
  void abandon_send() override;
  // OK once no batch waits for a delivery report; waits up to 100 ms for them otherwise.
  Status flush() override;
  // Purges what is not confirmed (its batches stay unresolved: not delivered), stops the poller
  // and destroys the producer.
  void close() override;
  Status write(std::span<const std::string_view> /*parts*/, size_t& written) override {
    written = 0;
    return Status::error("a kafka sink sends messages; it has no byte stream");
  }

  uint64_t delivered_events() const override {
    return delivered_events_.load(std::memory_order_relaxed);
  }
  uint64_t errors() const override { return errors_.load(std::memory_order_relaxed); }
  // Batches whose messages wait for delivery reports (or are still being produced).
  size_t in_flight() const { return in_flight_.load(std::memory_order_acquire); }

 private:
  // One batch's messages in librdkafka: each message's opaque points here.
  struct InFlight {
    DeliveryToken token;
    uint32_t target = 0;
    uint64_t events = 0;
    DeadLetter* dead_letter = nullptr;  // takes the messages that fail for good, if any
    // Messages without a report yet, plus one while the runner is still producing the batch.
    std::atomic<uint32_t> outstanding{1};
    std::atomic<bool> failed{false};
    // Some message was never sent or its outcome is unknown (abandoned, purged at shutdown):
    // the batch cannot be dead-lettered either and stays undelivered.
    std::atomic<bool> lost{false};
    // The messages that failed for good and why (guarded by the sink's mu_: a rare path).
    std::vector<std::pair<uint32_t, std::string>> rejected;
  };

  static void on_delivery(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);
  static void on_error(rd_kafka_s* rk, int err, const char* reason, void* opaque);
  // Drops one outstanding count; the last one settles the batch.
  void release(InFlight* batch);
  // Settles the batch (delivered; the failed messages to the dead letter; or released
  // unresolved) and frees it.
  void settle(InFlight* batch);
  // Hands the batch's failed messages' events to its dead letter with the token.
  void dead_letter(InFlight& batch);
  // A message that will not be delivered: counted, and logged once per kind of failure.
  void fail(InFlight* batch, uint32_t message, int err, const char* reason);
  // Logs `message` the first time `err` is seen.
  void log_once(int err, const std::string& message);

  KafkaSinkOptions options_;
  rd_kafka_s* producer_ = nullptr;
  rd_kafka_topic_s* topic_ = nullptr;
  std::thread poller_;
  std::atomic<bool> stop_polling_{false};

  InFlight* sending_ = nullptr;  // the batch the runner is producing (runner's thread)
  MessageCursor cursor_;         // walks the messages of the batch being produced

  std::mutex mu_;                              // guards the two sets below (per batch, per failure)
  std::unordered_set<InFlight*> batches_;      // every InFlight alive, freed on close at the latest
  std::vector<int> logged_;                    // failure kinds already logged
  std::atomic<bool> unreachable_said_{false};  // logged that no broker can be reached
  std::atomic<size_t> in_flight_{0};
  std::atomic<uint64_t> delivered_events_{0};
  std::atomic<uint64_t> errors_{0};
};

}  // namespace sluice
