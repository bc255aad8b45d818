// KafkaSink: sends one message per event to a Kafka topic with librdkafka's producer (idempotent,
// acks=all by default) and resolves a batch's token when every message of it has its delivery
// report: delivered only when all were acknowledged. A message that fails for good (too large,
// not authorized, retries exhausted after message.timeout.ms) counts in errors() and leaves its
// batch unresolved (not delivered: the source's position does not move past it), with one log
// line per kind of failure. librdkafka's errors stop here: what leaves this class is a Status.
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
  size_t send(DeliveryToken& token, uint32_t target, size_t from) override;
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
    uint64_t events = 0;
    // Messages without a report yet, plus one while the runner is still producing the batch.
    std::atomic<uint32_t> outstanding{1};
    std::atomic<bool> failed{false};
  };

  static void on_delivery(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);
  static void on_error(rd_kafka_s* rk, int err, const char* reason, void* opaque);
  // Drops one outstanding count; the last one settles the batch.
  void release(InFlight* batch);
  // Settles the batch (delivered, or released unresolved when a message failed) and frees it.
  void settle(InFlight* batch);
  // A message that will not be delivered: counted, and logged once per kind of failure.
  void fail(InFlight* batch, int err, const char* reason);
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
