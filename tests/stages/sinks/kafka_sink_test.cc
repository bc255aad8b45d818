// KafkaSink against librdkafka's in-process mock cluster (test.mock.num.brokers: no server, no
// port): a batch's token resolves as delivered once every message's report is in; a message
// refused for good leaves its batch unresolved and counts an error; a full producer queue is
// backpressure; close() releases what is not confirmed. What arrives, and with which key, is
// read back by an independent consumer in tests/e2e/kafka_sink_test.cc.
#include "stages/sinks/kafka_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "stages/batch.h"

namespace sluice {
namespace {

class CountingAcknowledger : public Acknowledger {
 public:
  void acknowledge(uint64_t /*cookie*/) noexcept override { acked.fetch_add(1); }
  void abandon(uint64_t /*cookie*/) noexcept override { abandoned.fetch_add(1); }
  std::atomic<int> acked{0};
  std::atomic<int> abandoned{0};
};

// A batch whose one target is `messages`, each encoded as its line, shared with one sink.
DeliveryToken batch_of(const std::vector<std::string>& messages, Acknowledger& ack,
                       const std::shared_ptr<DeliveryCounters>& outcomes) {
  auto batch = std::make_unique<Batch>();
  batch->targets.resize(1);
  Batch::Output out;
  for (uint32_t i = 0; i < messages.size(); ++i) {
    batch->targets[0].push_back(i);
    out.bytes += messages[i] + "\n";
    out.ends.push_back(static_cast<uint32_t>(out.bytes.size()));
  }
  batch->encoded.push_back(std::move(out));
  batch->outcomes = outcomes;
  batch->routed = batch->pending = static_cast<uint32_t>(messages.size());
  batch->set_ack(&ack, 0);
  return std::move(Batch::share(std::move(batch), 1).front());
}

KafkaSinkOptions mock_options(std::vector<std::pair<std::string, std::string>> extra = {}) {
  KafkaSinkOptions options;
  options.name = "k";
  options.brokers = "127.0.0.1:9";  // replaced by the mock cluster's own
  options.topic = "events";
  options.properties = {{"test.mock.num.brokers", "1"}};
  options.properties.insert(options.properties.end(), extra.begin(), extra.end());
  return options;
}

// Waits (bounded) until `done` holds.
template <typename Done>
bool eventually(Done done) {
  for (int i = 0; i < 1000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(KafkaSink, ATokenResolvesAsDeliveredWhenEveryReportIsIn) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  KafkaSink sink(mock_options());
  ASSERT_TRUE(sink.open().ok());
  DeliveryToken token = batch_of({"a", "bb", "ccc"}, ack, outcomes);
  EXPECT_EQ(sink.send(token, 0, 0, nullptr), 3u);
  EXPECT_FALSE(token.holds_share()) << "the sink took the token";
  ASSERT_TRUE(eventually([&] { return ack.acked.load() == 1; }));
  EXPECT_EQ(sink.delivered_events(), 3u);
  EXPECT_EQ(outcomes->delivered.load(), 3u);
  // The poller resolves the token first and forgets the batch just after: waited for, not raced
  // (seen at 1 right after the acknowledgement under ASan).
  EXPECT_TRUE(eventually([&] { return sink.in_flight() == 0u; }));
  EXPECT_TRUE(sink.flush().ok());
  EXPECT_EQ(sink.errors(), 0u);
}

TEST(KafkaSink, AMessageLargerThanMessageMaxBytesLeavesItsBatchUndelivered) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  KafkaSink sink(mock_options({{"message.max.bytes", "1000"}}));
  ASSERT_TRUE(sink.open().ok());
  DeliveryToken token = batch_of({"small", std::string(2000, 'x'), "small"}, ack, outcomes);
  EXPECT_EQ(sink.send(token, 0, 0, nullptr), 3u) << "the refused message counts as produced";
  ASSERT_TRUE(eventually([&] { return sink.in_flight() == 0; }));
  EXPECT_EQ(sink.errors(), 1u);
  EXPECT_EQ(ack.acked.load(), 0);
  EXPECT_EQ(ack.abandoned.load(), 1);
  EXPECT_EQ(outcomes->undelivered.load(), 3u);
  EXPECT_EQ(sink.delivered_events(), 0u);
}

// Takes what the sink rejects, and resolves the token as the dead letter does once written.
class RecordingDeadLetter : public DeadLetter {
 public:
  void reject(DeliveryToken token, std::span<const uint32_t> events,
              std::span<const std::string> reasons) override {
    std::lock_guard lock(mu);
    rejected.assign(events.begin(), events.end());
    why.assign(reasons.begin(), reasons.end());
    token.resolve_dead_lettered(static_cast<uint32_t>(events.size()));
  }
  std::mutex mu;
  std::vector<uint32_t> rejected;
  std::vector<std::string> why;
};

TEST(KafkaSink, AMessageRefusedForGoodGoesToTheDeadLetterAndTheRestIsDelivered) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  RecordingDeadLetter dead_letter;
  KafkaSink sink(mock_options({{"message.max.bytes", "1000"}}));
  ASSERT_TRUE(sink.open().ok());
  DeliveryToken token = batch_of({"small", "small", std::string(2000, 'x')}, ack, outcomes);
  EXPECT_EQ(sink.send(token, 0, 0, &dead_letter), 3u);
  ASSERT_TRUE(eventually([&] { return sink.in_flight() == 0; }));
  std::lock_guard lock(dead_letter.mu);
  EXPECT_EQ(dead_letter.rejected, std::vector<uint32_t>{2});
  EXPECT_EQ(dead_letter.why, std::vector<std::string>{"kafka: Broker: Message size too large"});
  EXPECT_EQ(ack.acked.load(), 1) << "dead-lettered lets the position move";
  EXPECT_EQ(outcomes->delivered.load(), 2u);
  EXPECT_EQ(outcomes->dead_lettered.load(), 1u);
  EXPECT_EQ(sink.errors(), 1u);
}

// A failure learnt from the delivery report (not at produce time): the report names the
// message by its bytes, and each goes to the dead letter as its own event.
TEST(KafkaSink, MessagesThatTimeOutGoToTheDeadLetterEachAsItsEvent) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  RecordingDeadLetter dead_letter;
  KafkaSinkOptions options;
  options.name = "k";
  options.brokers = "127.0.0.1:1";  // nothing listens there
  options.topic = "events";
  options.properties = {{"message.timeout.ms", "100"}};
  KafkaSink sink(options);
  ASSERT_TRUE(sink.open().ok());
  DeliveryToken token = batch_of({"a", "bb", "ccc"}, ack, outcomes);
  EXPECT_EQ(sink.send(token, 0, 0, &dead_letter), 3u);
  ASSERT_TRUE(eventually([&] { return sink.in_flight() == 0; }));
  std::lock_guard lock(dead_letter.mu);
  std::vector<uint32_t> rejected = dead_letter.rejected;
  std::sort(rejected.begin(), rejected.end());
  EXPECT_EQ(rejected, (std::vector<uint32_t>{0, 1, 2}));
  ASSERT_EQ(dead_letter.why.size(), 3u);
  EXPECT_EQ(dead_letter.why[0], "kafka: Local: Message timed out");
  EXPECT_EQ(outcomes->dead_lettered.load(), 3u);
  EXPECT_EQ(sink.errors(), 3u);
}

TEST(KafkaSink, AFullProducerQueueIsBackpressureNotLoss) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  KafkaSink sink(mock_options({{"queue.buffering.max.messages", "4"}}));
  ASSERT_TRUE(sink.open().ok());
  std::vector<std::string> messages;
  for (int i = 0; i < 50; ++i) {
    messages.push_back("message " + std::to_string(i));
  }
  DeliveryToken token = batch_of(messages, ack, outcomes);
  size_t from = sink.send(token, 0, 0, nullptr);
  EXPECT_LT(from, 50u) << "a queue of 4 cannot take 50 at once";
  int calls = 1;
  ASSERT_TRUE(eventually([&] {
    if (from < 50) {
      from = sink.send(token, 0, from, nullptr);
      ++calls;
    }
    return from == 50;
  }));
  EXPECT_GT(calls, 2);
  ASSERT_TRUE(eventually([&] { return ack.acked.load() == 1; }));
  EXPECT_EQ(sink.delivered_events(), 50u);
  EXPECT_EQ(sink.errors(), 0u);
}

TEST(KafkaSink, ABatchWhoseFirstMessageFindsTheQueueFullIsOfferedAgainFromZero) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  KafkaSink sink(mock_options({{"queue.buffering.max.messages", "1"}}));
  ASSERT_TRUE(sink.open().ok());
  DeliveryToken first = batch_of({"a"}, ack, outcomes);
  DeliveryToken second = batch_of({"b", "c"}, ack, outcomes);
  ASSERT_EQ(sink.send(first, 0, 0, nullptr), 1u);
  size_t from = sink.send(second, 0, 0, nullptr);
  ASSERT_TRUE(eventually([&] {
    if (from < 2) {
      from = sink.send(second, 0, from, nullptr);
    }
    return from == 2;
  }));
  ASSERT_TRUE(eventually([&] { return ack.acked.load() == 2; }));
  EXPECT_EQ(sink.delivered_events(), 3u);
}

TEST(KafkaSink, CloseReleasesWhatNoBrokerConfirmedAsUndelivered) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  KafkaSinkOptions options;
  options.name = "k";
  options.brokers = "127.0.0.1:1";  // nothing listens there
  options.topic = "events";
  KafkaSink sink(options);
  ASSERT_TRUE(sink.open().ok()) << "an unreachable broker is no error at open";
  DeliveryToken token = batch_of({"a", "b"}, ack, outcomes);
  EXPECT_EQ(sink.send(token, 0, 0, nullptr), 2u);
  EXPECT_FALSE(sink.flush().ok());
  EXPECT_EQ(sink.in_flight(), 1u);
  sink.close();
  EXPECT_EQ(sink.in_flight(), 0u);
  EXPECT_EQ(ack.abandoned.load(), 1);
  EXPECT_EQ(outcomes->undelivered.load(), 2u);
  EXPECT_EQ(sink.errors(), 0u) << "given up at shutdown is undelivered, not a failed message";
}

TEST(KafkaSink, AnAbandonedSendLeavesItsBatchUndelivered) {
  CountingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  KafkaSink sink(mock_options({{"queue.buffering.max.messages", "2"}}));
  ASSERT_TRUE(sink.open().ok());
  DeliveryToken token = batch_of({"a", "b", "c", "d", "e", "f"}, ack, outcomes);
  ASSERT_LT(sink.send(token, 0, 0, nullptr), 6u);
  sink.abandon_send();
  ASSERT_TRUE(eventually([&] { return sink.in_flight() == 0; }));
  EXPECT_EQ(ack.acked.load(), 0);
  EXPECT_EQ(outcomes->undelivered.load(), 6u);
}

}  // namespace
}  // namespace sluice
