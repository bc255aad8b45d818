#include "stages/sinks/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "stages/kafka_property.h"
#include "stages/log.h"
#include "stages/sinks/message_cursor.h"

namespace sluice {
namespace {

// sluice's producer defaults, set before the user's `librdkafka:` properties (which win): a
// message librdkafka could not deliver in 5 minutes of retries failed for good. The producer
// queue's bounds come from the options (sized from memory_limit); full is backpressure.
constexpr std::pair<const char*, const char*> kDefaults[] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"message.timeout.ms", "300000"},
    {"client.id", "sluice"},
};

// How long the poller waits for a report before it looks at its stop flag again.
constexpr int kPollMs = 100;
constexpr int kFlushWaitMs = 100;
// On close, how long purged messages' reports are waited for.
constexpr int kClosePollMs = 2000;

}  // namespace

void size_producer_queue(KafkaSinkOptions& options, uint64_t memory_limit) {
  const uint64_t bytes = std::clamp<uint64_t>(memory_limit / 16, 1 << 20, 16 << 20);
  options.queue_kib = bytes / 1024;
  options.queue_messages = std::clamp<uint64_t>(bytes / kProducerMessageOverhead, 1000, 100000);
}

uint64_t kafka_producer_buffer_bytes(const KafkaSinkOptions& options) {
  const uint64_t kib =
      kafka_numeric_property(options.properties, "queue.buffering.max.kbytes", options.queue_kib);
  const uint64_t messages = kafka_numeric_property(
      options.properties, "queue.buffering.max.messages", options.queue_messages);
  return kib * 1024 + messages * kProducerMessageOverhead;
}

Status KafkaSink::open() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char reason[512];
  auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof(reason)) !=
        RD_KAFKA_CONF_OK) {
      return Status::error("librdkafka property '" + name + "': " + reason);
    }
    return Status();
  };
  Status s = set("bootstrap.servers", options_.brokers);
  for (const auto& [name, value] : kDefaults) {
    if (s.ok()) {
      s = set(name, value);
    }
  }
  if (s.ok()) {
    s = set("queue.buffering.max.kbytes", std::to_string(options_.queue_kib));
  }
  if (s.ok()) {
    s = set("queue.buffering.max.messages", std::to_string(options_.queue_messages));
  }
  for (const auto& [name, value] : options_.properties) {
    if (s.ok()) {
      s = set(name, value);
    }
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::on_delivery);
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t* rk, int err, const char* why, void* opaque) {
    on_error(rk, err, why, opaque);
  });
  // librdkafka's own log lines (one per reconnect attempt) would flood stderr; what an operator
  // needs reaches on_error, once per kind.
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof(reason));
  if (producer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(std::string("cannot create the Kafka producer: ") + reason);
  }
  topic_ = rd_kafka_topic_new(producer_, options_.topic.c_str(), nullptr);
  if (topic_ == nullptr) {
    rd_kafka_destroy(producer_);
    producer_ = nullptr;
    return Status::error("topic '" + options_.topic +
                         "': " + rd_kafka_err2str(rd_kafka_last_error()));
  }
  try {
    poller_ = std::thread([this] {
      while (!stop_polling_.load(std::memory_order_relaxed)) {
        rd_kafka_poll(producer_, kPollMs);
      }
    });
  } catch (const std::system_error& e) {
    close();
    return Status::error(std::string("cannot start the Kafka poller thread: ") + e.what());
  }
  return Status();
}

size_t KafkaSink::send(DeliveryToken& token, uint32_t target, size_t from,
                       DeadLetter* dead_letter) {
  if (sending_ == nullptr) {  // the batch's first call: take its token
    sending_ = new InFlight();
    sending_->token = std::move(token);
    sending_->target = target;
    sending_->dead_letter = dead_letter;
    sending_->events = sending_->token.batch().targets[target].size();
    {
      std::lock_guard lock(mu_);
      batches_.insert(sending_);
    }
    in_flight_.fetch_add(1, std::memory_order_acq_rel);
  }
  InFlight* batch = sending_;
  const Batch& b = batch->token.batch();
  const Batch::Output& out = b.encoded[target];
  const size_t messages = out.ends.size();
  for (size_t i = from; i < messages; ++i) {
    std::string_view message = cursor_.at(b, out, i);
    const void* key = nullptr;
    size_t key_len = 0;
    if (!out.keys.empty() && out.keys[i].off != Batch::Output::kNoKey.off) {
      key = b.text.data() + out.keys[i].off;
      key_len = out.keys[i].len;
    }
    batch->outstanding.fetch_add(1, std::memory_order_relaxed);
    // No copy: the batch stays alive (its token is held here) until every report is in.
    if (rd_kafka_produce(topic_, RD_KAFKA_PARTITION_UA, 0, const_cast<char*>(message.data()),
                         message.size(), key, key_len, batch) == 0) {
      continue;
    }
    batch->outstanding.fetch_sub(1, std::memory_order_relaxed);
    const rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return i;  // backpressure: the runner offers the rest again
    }
    fail(batch, static_cast<uint32_t>(i), err, rd_kafka_err2str(err));
  }
  sending_ = nullptr;
  release(batch);
  return messages;
}

void KafkaSink::abandon_send() {
  if (sending_ != nullptr) {
    sending_->failed.store(true, std::memory_order_relaxed);
    sending_->lost.store(true, std::memory_order_relaxed);
    InFlight* batch = sending_;
    sending_ = nullptr;
    release(batch);
  }
}

void KafkaSink::on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  auto* batch = static_cast<InFlight*>(message->_private);
  if (message->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
      message->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    // Purged by close(): shutdown gave up on it; undelivered, but no failure of the message.
    batch->failed.store(true, std::memory_order_relaxed);
    batch->lost.store(true, std::memory_order_relaxed);
  } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const Batch& b = batch->token.batch();
    const size_t index = MessageCursor::index_of(b, b.encoded[batch->target], message->payload);
    sink->fail(batch, static_cast<uint32_t>(index), message->err, rd_kafka_err2str(message->err));
  }
  sink->release(batch);
}

void KafkaSink::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  const std::string prefix = "sink " + sink->options_.name + ": ";
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    sink->log_once(err, prefix + "kafka: " + fatal +
                            "; the producer cannot go on, so nothing more is delivered");
  } else if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
             err == RD_KAFKA_RESP_ERR__RESOLVE) {
    // One line while the brokers cannot be reached (librdkafka reports each attempt and then
    // that all are down); said again after a delivery showed them reachable.
    if (!sink->unreachable_said_.exchange(true)) {
      log_warning(prefix + "cannot reach the Kafka brokers " + sink->options_.brokers + " (" +
                  reason + "); retrying, events wait");
    }
  } else {
    sink->log_once(err, prefix + "kafka: " + reason + "; retrying");
  }
}

void KafkaSink::fail(InFlight* batch, uint32_t message, int err, const char* reason) {
  batch->failed.store(true, std::memory_order_relaxed);
  errors_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    batch->rejected.emplace_back(message, reason);
  }
  log_once(err, "sink " + options_.name + ": a message to topic " + options_.topic +
                    " failed for good: " + reason +
                    (batch->dead_letter != nullptr
                         ? "; it goes to the dead letter (said once per kind)"
                         : "; its batch is not acknowledged (counted as undelivered; said once "
                           "per kind)"));
}

void KafkaSink::log_once(int err, const std::string& message) {
  {
    std::lock_guard lock(mu_);
    if (std::find(logged_.begin(), logged_.end(), err) != logged_.end()) {
      return;
    }
    logged_.push_back(err);
  }
  log_warning(message);
}

void KafkaSink::release(InFlight* batch) {
  if (batch->outstanding.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    settle(batch);
  }
}

void KafkaSink::settle(InFlight* batch) {
  if (!batch->failed.load(std::memory_order_relaxed)) {
    if (unreachable_said_.load(std::memory_order_relaxed)) {
      unreachable_said_.store(false, std::memory_order_relaxed);
    }
    delivered_events_.fetch_add(batch->events, std::memory_order_relaxed);
    batch->token.resolve(DeliveryOutcome::kDelivered);
  } else if (batch->dead_letter != nullptr && !batch->lost.load(std::memory_order_relaxed)) {
    dead_letter(*batch);
  }
  {
    std::lock_guard lock(mu_);
    batches_.erase(batch);
  }
  delete batch;  // an unresolved token is released here: not delivered
  in_flight_.fetch_sub(1, std::memory_order_acq_rel);
}

void KafkaSink::dead_letter(InFlight& batch) {
  std::vector<uint32_t> events;
  std::vector<std::string> reasons;
  {
    std::lock_guard lock(mu_);
    const std::vector<uint32_t>& targeted = batch.token.batch().targets[batch.target];
    for (auto& [message, reason] : batch.rejected) {
      if (message >= targeted.size()) {
        return;  // a report that names no message of the batch: it stays undelivered
      }
      events.push_back(targeted[message]);
      reasons.push_back("kafka: " + reason);
    }
  }
  batch.dead_letter->reject(std::move(batch.token), events, reasons);
}

Status KafkaSink::flush() {
  if (in_flight() == 0) {
    return Status();
  }
  // Sends what lingers at once and serves reports here too, beside the poller.
  rd_kafka_flush(producer_, kFlushWaitMs);
  if (in_flight() == 0) {
    return Status();
  }
  return Status::error(std::to_string(in_flight()) + " batches wait for delivery reports");
}

void KafkaSink::close() {
  if (producer_ == nullptr) {
    return;
  }
  abandon_send();
  if (in_flight() > 0) {
    // Shutdown gave up on them: their reports come back as purged, leaving them not delivered.
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(producer_, kClosePollMs);
  }
  stop_polling_.store(true);
  if (poller_.joinable()) {
    poller_.join();
  }
  rd_kafka_topic_destroy(topic_);
  rd_kafka_destroy(producer_);
  topic_ = nullptr;
  producer_ = nullptr;
  // A report librdkafka never gave (it should not happen): the batch is not delivered.
  std::lock_guard lock(mu_);
  for (InFlight* batch : batches_) {
    delete batch;
  }
  in_flight_.fetch_sub(batches_.size());
  batches_.clear();
}

}  // namespace sluice
