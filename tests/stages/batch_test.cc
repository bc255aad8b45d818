// Batch: explicit delivery (each sink resolves its token; a batch that dies any other way is
// undelivered and never acknowledged), text offsets, `_source` formatting.
#include "stages/batch.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "stages/batch_queue.h"
#include "stages/latency_histogram.h"

namespace sluice {
namespace {

struct RecordingAcknowledger : Acknowledger {
  std::mutex mu;
  std::vector<uint64_t> acked;
  void acknowledge(uint64_t cookie) noexcept override {
    std::lock_guard lock(mu);  // sink threads acknowledge concurrently
    acked.push_back(cookie);
  }
  std::vector<uint64_t> abandoned;
  void abandon(uint64_t cookie) noexcept override {
    std::lock_guard lock(mu);
    abandoned.push_back(cookie);
  }
};

class BatchDelivery : public ::testing::Test {
 protected:
  // A batch of routed + dead_letters events owed an outcome: `routed` bound for ordinary sinks,
  // the rest parse errors bound for the dead letter.
  std::unique_ptr<Batch> routed_batch(uint32_t routed, uint32_t dead_letters) {
    auto batch = std::make_unique<Batch>();
    batch->outcomes = outcomes_;
    batch->latency = latency_;
    batch->set_ack(&ack_, 42);
    batch->routed = routed;
    batch->dead_letters = dead_letters;
    batch->pending = routed + dead_letters;
    return batch;
  }
  // A batch as the source emits it: every event pending, not routed yet.
  std::unique_ptr<Batch> emitted_batch(uint32_t events) {
    auto batch = std::make_unique<Batch>();
    batch->outcomes = outcomes_;
    batch->set_ack(&ack_, 7);
    batch->pending = events;
    return batch;
  }

  RecordingAcknowledger ack_;
  std::shared_ptr<DeliveryCounters> outcomes_ = std::make_shared<DeliveryCounters>();
  std::shared_ptr<LatencyHistogram> latency_ = std::make_shared<LatencyHistogram>();
};

TEST_F(BatchDelivery, EverySinkDeliversAcknowledgesOnceAtTheLastResolution) {
  std::vector<DeliveryToken> tokens = Batch::share(routed_batch(7, 2), 2);
  ASSERT_EQ(tokens.size(), 2u);
  const Batch* batch = &tokens[0].batch();
  tokens[0].resolve(DeliveryOutcome::kDelivered);
  EXPECT_FALSE(tokens[0].holds_share()) << "resolving gives the share up";
  EXPECT_TRUE(ack_.acked.empty()) << "one sink of two is not enough";
  EXPECT_FALSE(batch->settled());
  EXPECT_EQ(latency_->count(), 0u);
  tokens[1].resolve(DeliveryOutcome::kDelivered);
  EXPECT_EQ(ack_.acked, std::vector<uint64_t>{42});
  EXPECT_EQ(outcomes_->delivered.load(), 7u);
  EXPECT_EQ(outcomes_->dead_lettered.load(), 2u);
  EXPECT_EQ(latency_->count(), 9u) << "latency is recorded when the last sink resolves";
  tokens.clear();
  EXPECT_EQ(outcomes_->undelivered.load(), 0u) << "a settled batch counts nothing when it dies";
  EXPECT_EQ(ack_.acked.size(), 1u);
  EXPECT_TRUE(ack_.abandoned.empty()) << "an acknowledged batch is not also abandoned";
}

TEST_F(BatchDelivery, TheBatchLivesUntilItsLastShareIsReleased) {
  std::vector<DeliveryToken> tokens = Batch::share(routed_batch(1, 0), 2);
  tokens[0].resolve(DeliveryOutcome::kDelivered);
  // The other sink still reads its bytes.
  EXPECT_EQ(tokens[1].batch().routed, 1u);
  EXPECT_FALSE(tokens[1].batch().settled());
  tokens[1].resolve(DeliveryOutcome::kDelivered);
  EXPECT_EQ(outcomes_->delivered.load(), 1u);
}

TEST_F(BatchDelivery, ATokenDestroyedUnresolvedIsUndeliveredAndNeverAcknowledged) {
  { std::vector<DeliveryToken> tokens = Batch::share(routed_batch(3, 0), 1); }
  EXPECT_TRUE(ack_.acked.empty());
  EXPECT_EQ(outcomes_->undelivered.load(), 3u);
  EXPECT_EQ(outcomes_->delivered.load(), 0u);
  EXPECT_EQ(latency_->count(), 0u) << "no latency for what was not delivered";
  EXPECT_EQ(ack_.abandoned, std::vector<uint64_t>{42}) << "the source learns it is over";
}

TEST_F(BatchDelivery, OneSinkFailsAndAnotherWritesTheWholeBatchIsUndelivered) {
  std::vector<DeliveryToken> tokens = Batch::share(routed_batch(5, 1), 2);
  DeliveryToken failed = std::move(tokens[0]);
  EXPECT_FALSE(tokens[0].holds_share()) << "moved";
  tokens[1].resolve(DeliveryOutcome::kDelivered);
  EXPECT_TRUE(ack_.acked.empty());
  failed = DeliveryToken();  // replaced: the share it held is released unresolved
  EXPECT_TRUE(ack_.acked.empty());
  EXPECT_EQ(outcomes_->delivered.load(), 0u);
  EXPECT_EQ(outcomes_->undelivered.load(), 6u);
  tokens.clear();
  EXPECT_EQ(outcomes_->undelivered.load(), 6u) << "counted once, not again on destruction";
  EXPECT_EQ(ack_.abandoned, std::vector<uint64_t>{42}) << "abandoned once, when it settled";
}

TEST_F(BatchDelivery, ASinkThatDeadLettersItsShareStillLetsThePositionMove) {
  std::vector<DeliveryToken> tokens = Batch::share(routed_batch(4, 0), 2);
  tokens[0].resolve(DeliveryOutcome::kDelivered);
  tokens[1].resolve(DeliveryOutcome::kDeadLettered);
  EXPECT_EQ(ack_.acked, std::vector<uint64_t>{42});
  EXPECT_EQ(outcomes_->dead_lettered.load(), 4u);
  EXPECT_EQ(outcomes_->delivered.load(), 0u);
}

TEST_F(BatchDelivery, ASinkThatDeadLettersSomeEventsCountsThoseAndDeliversTheRest) {
  std::vector<DeliveryToken> tokens = Batch::share(routed_batch(4, 1), 2);
  tokens[0].resolve(DeliveryOutcome::kDelivered);
  tokens[1].resolve_dead_lettered(1);  // a Kafka message too large; the other three were sent
  EXPECT_EQ(ack_.acked, std::vector<uint64_t>{42});
  EXPECT_EQ(outcomes_->delivered.load(), 3u);
  EXPECT_EQ(outcomes_->dead_lettered.load(), 2u) << "the sink's one and the parse error";
  EXPECT_EQ(outcomes_->undelivered.load(), 0u);
}

TEST_F(BatchDelivery, ASinkThatDropsItsShareByPolicyHoldsThePositionBack) {
  std::vector<DeliveryToken> tokens = Batch::share(routed_batch(4, 0), 3);
  tokens[0].resolve(DeliveryOutcome::kDeadLettered);
  tokens[1].resolve(DeliveryOutcome::kDroppedByPolicy);
  tokens[2].resolve(DeliveryOutcome::kDelivered);
  EXPECT_TRUE(ack_.acked.empty());
  EXPECT_EQ(ack_.abandoned, std::vector<uint64_t>{42});
  EXPECT_EQ(outcomes_->dropped_by_sink.load(), 4u);
  EXPECT_EQ(
      outcomes_->undelivered.load() + outcomes_->delivered.load() + outcomes_->dead_lettered.load(),
      0u);
}

TEST_F(BatchDelivery, UnresolvedIsWorseThanDroppedByPolicy) {
  {
    std::vector<DeliveryToken> tokens = Batch::share(routed_batch(2, 0), 2);
    tokens[0].resolve(DeliveryOutcome::kDroppedByPolicy);
  }
  EXPECT_EQ(outcomes_->undelivered.load(), 2u);
  EXPECT_EQ(outcomes_->dropped_by_sink.load(), 0u);
}

TEST_F(BatchDelivery, DroppedFromAQueueOnAbortIsUndelivered) {
  BatchQueue<BatchPtr> queue(1 << 20);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(queue.push(emitted_batch(11), 100, stop, nullptr));
  queue.clear();  // Pipeline::discard_queued after an abort
  EXPECT_TRUE(ack_.acked.empty());
  EXPECT_EQ(ack_.abandoned, std::vector<uint64_t>{7}) << "dying unshared is abandoned too";
  EXPECT_EQ(outcomes_->undelivered.load(), 11u);
}

TEST_F(BatchDelivery, DroppedFromTheRouteThreadsReorderMapIsUndelivered) {
  {
    // Batch 1 waits for batch 0, which never comes: the route thread is aborted.
    std::map<uint64_t, BatchPtr> waiting;
    waiting.emplace(1, routed_batch(6, 0));
  }
  EXPECT_TRUE(ack_.acked.empty());
  EXPECT_EQ(outcomes_->undelivered.load(), 6u);
}

TEST_F(BatchDelivery, RefusedByAFullQueueWhileStoppingIsUndelivered) {
  // What emit() does when the parse queue stays full until the run is aborted: the push fails,
  // the batch stays with the caller and dies there.
  BatchQueue<BatchPtr> queue(1);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(queue.push(emitted_batch(0), 100, stop, nullptr));  // fills the queue
  stop = true;
  {
    BatchPtr refused = emitted_batch(9);
    EXPECT_FALSE(queue.push(std::move(refused), 100, stop, nullptr));
  }
  EXPECT_TRUE(ack_.acked.empty());
  EXPECT_EQ(outcomes_->undelivered.load(), 9u);
}

TEST_F(BatchDelivery, DroppedNewestByPolicyWithNothingPendingCountsNothing) {
  emitted_batch(0).reset();  // on_full: drop_newest counted these as dropped at ingest
  EXPECT_EQ(outcomes_->undelivered.load(), 0u);
  EXPECT_TRUE(ack_.acked.empty());
}

TEST_F(BatchDelivery, NoSinkToWaitForSettlesAtOnceAsDelivered) {
  // Every event filtered or dropped: nothing to write, but the source position may move on.
  std::vector<DeliveryToken> tokens = Batch::share(routed_batch(0, 0), 0);
  EXPECT_TRUE(tokens.empty());
  EXPECT_EQ(ack_.acked, std::vector<uint64_t>{42});
  EXPECT_EQ(outcomes_->undelivered.load(), 0u);
}

TEST_F(BatchDelivery, ConcurrentSinksSettleExactlyOnce) {
  for (int round = 0; round < 200; ++round) {
    std::vector<DeliveryToken> tokens = Batch::share(routed_batch(1, 0), 4);
    std::vector<std::thread> sinks;
    for (DeliveryToken& token : tokens) {
      sinks.emplace_back(
          [t = std::move(token)]() mutable { t.resolve(DeliveryOutcome::kDelivered); });
    }
    for (auto& t : sinks) {
      t.join();
    }
  }
  EXPECT_EQ(ack_.acked.size(), 200u);
  EXPECT_EQ(outcomes_->delivered.load(), 200u);
}

TEST_F(BatchDelivery, ConcurrentSinksWithOneFailingNeverAcknowledge) {
  for (int round = 0; round < 200; ++round) {
    std::vector<DeliveryToken> tokens = Batch::share(routed_batch(1, 0), 4);
    std::vector<std::thread> sinks;
    for (size_t i = 0; i < tokens.size(); ++i) {
      sinks.emplace_back([i, t = std::move(tokens[i])]() mutable {
        if (i != 2) {
          t.resolve(DeliveryOutcome::kDelivered);
        }  // sink 2 lets its token go unresolved
      });
    }
    for (auto& t : sinks) {
      t.join();
    }
  }
  EXPECT_TRUE(ack_.acked.empty());
  EXPECT_EQ(outcomes_->undelivered.load(), 200u);
  EXPECT_EQ(outcomes_->delivered.load(), 0u);
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
