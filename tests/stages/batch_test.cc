// Batch: acknowledgement on release, text offsets, `_source` formatting.
#include "stages/batch.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

struct RecordingAcknowledger : Acknowledger {
  std::vector<uint64_t> acked;
  void acknowledge(uint64_t cookie) noexcept override { acked.push_back(cookie); }
};

TEST(Batch, AcknowledgesWhenTheLastReferenceGoes) {
  RecordingAcknowledger ack;
  auto batch = std::make_unique<Batch>();
  batch->set_ack(&ack, 42);
  SharedBatch shared(std::move(batch));
  SharedBatch sink_a = shared, sink_b = shared;
  shared.reset();
  sink_a.reset();
  EXPECT_TRUE(ack.acked.empty());
  sink_b.reset();
  EXPECT_EQ(ack.acked, std::vector<uint64_t>{42});
}

TEST(Batch, AbandonedBatchIsNotAcknowledged) {
  RecordingAcknowledger ack;
  {
    Batch batch;
    batch.set_ack(&ack, 1);
    batch.abandon();
  }
  EXPECT_TRUE(ack.acked.empty());
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

}  // namespace
}  // namespace sluice
