// Batch: explicit delivery (every sink answers; anything else is undelivered), text offsets,
// `_source` formatting.
#include "stages/batch.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice {
namespace {

struct RecordingAcknowledger : Acknowledger {
  std::vector<uint64_t> acked;
  void acknowledge(uint64_t cookie) noexcept override { acked.push_back(cookie); }
};

// A batch of `events` events owed an outcome, `routed` of them to sinks, the rest parse errors
// bound for the dead letter.
std::unique_ptr<Batch> routed_batch(const std::shared_ptr<DeliveryCounters>& outcomes,
                                    Acknowledger* ack, uint32_t routed, uint32_t dead_letters) {
  auto batch = std::make_unique<Batch>();
  batch->outcomes = outcomes;
  batch->set_ack(ack, 42);
  batch->routed = routed;
  batch->dead_letters = dead_letters;
  batch->pending = routed + dead_letters;
  return batch;
}

TEST(Batch, WrittenByEverySinkIsDeliveredAndAcknowledgedOnceByTheLastSink) {
  RecordingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  auto batch = routed_batch(outcomes, &ack, 7, 2);
  batch->expect_sinks(2);
  SharedBatch shared(std::move(batch));
  shared->resolve(Batch::SinkOutcome::kWritten);
  EXPECT_TRUE(ack.acked.empty()) << "one sink of two is not enough";
  EXPECT_FALSE(shared->settled());
  shared->resolve(Batch::SinkOutcome::kWritten);
  EXPECT_EQ(ack.acked, std::vector<uint64_t>{42});
  EXPECT_TRUE(shared->settled());
  EXPECT_EQ(outcomes->delivered.load(), 7u);
  EXPECT_EQ(outcomes->dead_lettered.load(), 2u);
  shared.reset();
  EXPECT_EQ(outcomes->undelivered.load(), 0u) << "a settled batch counts nothing when it dies";
  EXPECT_EQ(ack.acked.size(), 1u);
}

TEST(Batch, OneSinkFailingMakesTheWholeBatchUndeliveredAndUnacknowledged) {
  RecordingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  auto batch = routed_batch(outcomes, &ack, 5, 1);
  batch->expect_sinks(2);
  SharedBatch shared(std::move(batch));
  shared->resolve(Batch::SinkOutcome::kFailed);
  shared->resolve(Batch::SinkOutcome::kWritten);
  EXPECT_TRUE(ack.acked.empty());
  EXPECT_EQ(outcomes->delivered.load(), 0u);
  EXPECT_EQ(outcomes->undelivered.load(), 6u);
  shared.reset();
  EXPECT_EQ(outcomes->undelivered.load(), 6u) << "counted once, not again on destruction";
}

TEST(Batch, DestroyedBeforeEverySinkAnsweredIsUndeliveredNotAcknowledged) {
  // The ways a batch dies unanswered: dropped from a queue on abort, from the route thread's
  // reorder map, after a failed push, or by a sink thread that gave up without resolving.
  RecordingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  {
    auto batch = routed_batch(outcomes, &ack, 3, 0);
    batch->expect_sinks(2);
    batch->resolve(Batch::SinkOutcome::kWritten);
  }
  EXPECT_TRUE(ack.acked.empty());
  EXPECT_EQ(outcomes->undelivered.load(), 3u);
}

TEST(Batch, DestroyedBeforeRoutingCountsEveryEventUndelivered) {
  RecordingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  {
    Batch batch;
    batch.outcomes = outcomes;
    batch.set_ack(&ack, 1);
    batch.pending = 11;  // emitted by the source, never parsed
  }
  EXPECT_TRUE(ack.acked.empty());
  EXPECT_EQ(outcomes->undelivered.load(), 11u);
}

TEST(Batch, NoSinkToWaitForSettlesAtOnceAsDelivered) {
  // Every event filtered or dropped: nothing to write, but the source position may move on.
  RecordingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  auto batch = routed_batch(outcomes, &ack, 0, 0);
  batch->expect_sinks(0);
  EXPECT_EQ(ack.acked, std::vector<uint64_t>{42});
  batch.reset();
  EXPECT_EQ(outcomes->undelivered.load(), 0u);
}

TEST(Batch, DroppedByPolicyWithNothingPendingCountsNothing) {
  auto outcomes = std::make_shared<DeliveryCounters>();
  {
    Batch batch;
    batch.outcomes = outcomes;
    batch.pending = 0;  // on_full: drop_newest counted these as dropped
  }
  EXPECT_EQ(outcomes->undelivered.load(), 0u);
}

TEST(Batch, ConcurrentSinksSettleExactlyOnce) {
  RecordingAcknowledger ack;
  auto outcomes = std::make_shared<DeliveryCounters>();
  for (int round = 0; round < 200; ++round) {
    auto batch = routed_batch(outcomes, &ack, 1, 0);
    batch->expect_sinks(4);
    SharedBatch shared(std::move(batch));
    std::vector<std::thread> sinks;
    for (int s = 0; s < 4; ++s) {
      sinks.emplace_back([shared] { shared->resolve(Batch::SinkOutcome::kWritten); });
    }
    for (auto& t : sinks) {
      t.join();
    }
  }
  EXPECT_EQ(ack.acked.size(), 200u);
  EXPECT_EQ(outcomes->delivered.load(), 200u);
}

TEST(Batch, AppendReturnsOffsetsThatSurviveGrowth) {
  Batch b;
  b.text = "abc";
  Span s = b.append("def");
  for (int i = 0; i < 1000; ++i) {
    b.append("xxxxxxxx");
  }
  EXPECT_EQ(b.str(s), "def");
}

TEST(Batch, SourceIsNameColonLine) {
  Batch b;
  b.source = std::make_shared<const std::string>("/var/log/a.csv");
  Event e;
  e.position = 17;
  std::string out;
  b.append_source(e, out);
  EXPECT_EQ(out, "/var/log/a.csv:17");
}

TEST(Batch, LeaseFollowsWhatTheBatchHolds) {
  MemoryBudget budget(1 << 30);
  Batch b;
  b.lease = MemoryLease(&budget, 0);
  b.text.reserve(4096);
  b.update_lease();
  EXPECT_GE(budget.used(), 4096u);
  EXPECT_EQ(b.bytes(), budget.used());
}

// Each buffer of Batch::buffers() is measured, the per-target lists and encoded output included:
// growing any one of them alone grows the lease by at least what it reserved.
TEST(Batch, LeaseCountsEveryBuffer) {
  MemoryBudget budget(1 << 30);
  Batch b;
  b.lease = MemoryLease(&budget, 0);
  size_t before = 0;
  auto grew_by_at_least = [&](size_t bytes) {
    b.update_lease();
    const bool grew = b.bytes() >= before + bytes;
    before = b.bytes();
    return grew;
  };
  b.text.reserve(1000);
  EXPECT_TRUE(grew_by_at_least(1000));
  b.events.reserve(100);
  EXPECT_TRUE(grew_by_at_least(100 * sizeof(Event)));
  b.fields.reserve(100);
  EXPECT_TRUE(grew_by_at_least(100 * sizeof(Field)));
  b.slot_fields.reserve(100);
  EXPECT_TRUE(grew_by_at_least(100 * sizeof(int32_t)));
  b.targets.resize(1);
  b.targets[0].reserve(1000);
  EXPECT_TRUE(grew_by_at_least(1000 * sizeof(uint32_t)));
  b.encoded.resize(1);
  b.encoded[0].bytes.reserve(5000);
  EXPECT_TRUE(grew_by_at_least(5000));
  b.encoded[0].text_ranges.reserve(100);
  EXPECT_TRUE(grew_by_at_least(100 * sizeof(Span)));
  EXPECT_EQ(b.bytes(), budget.used());
}

}  // namespace
}  // namespace sluice
