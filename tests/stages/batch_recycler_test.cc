// BatchRecycler: a destroyed batch's buffers come back, empty, with their capacity; a reader's
// text comes back sized for its read, without being written first.
#include "stages/batch_recycler.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(BatchRecycler, DestroyedBatchGivesItsBuffersToTheNextOne) {
  auto recycler = std::make_shared<BatchRecycler>(4);
  {
    Batch b;
    b.recycler = recycler;
    b.text.assign(100000, 'x');
    b.events.resize(1000);
    b.fields.resize(8000);
  }
  EXPECT_EQ(recycler->pooled(), 1u);
  Batch next;
  recycler->take(next);
  EXPECT_EQ(recycler->pooled(), 0u);
  EXPECT_TRUE(next.text.empty());
  EXPECT_TRUE(next.events.empty());
  EXPECT_TRUE(next.fields.empty());
  EXPECT_GE(next.text.capacity(), 100000u);
  EXPECT_GE(next.events.capacity(), 1000u);
  EXPECT_GE(next.fields.capacity(), 8000u);
}

TEST(BatchRecycler, RoutingAndEncodedBuffersComeBackEmptyWithTheirCapacity) {
  auto recycler = std::make_shared<BatchRecycler>(4);
  {
    Batch b;
    b.recycler = recycler;
    b.slot_fields.resize(3000);
    b.targets.resize(2);
    b.targets[1].resize(500);
    b.encoded.resize(2);
    b.encoded[0].bytes.assign(20000, 'y');
    b.encoded[1].text_ranges.resize(700);
  }
  Batch next;
  recycler->take(next);
  EXPECT_TRUE(next.slot_fields.empty());
  EXPECT_GE(next.slot_fields.capacity(), 3000u);
  // The per-target and per-sink lists stay, emptied, so the next batch reuses the inner buffers.
  ASSERT_EQ(next.targets.size(), 2u);
  EXPECT_TRUE(next.targets[1].empty());
  EXPECT_GE(next.targets[1].capacity(), 500u);
  ASSERT_EQ(next.encoded.size(), 2u);
  EXPECT_TRUE(next.encoded[0].bytes.empty());
  EXPECT_GE(next.encoded[0].bytes.capacity(), 20000u);
  EXPECT_TRUE(next.encoded[1].text_ranges.empty());
  EXPECT_GE(next.encoded[1].text_ranges.capacity(), 700u);
}

TEST(BatchRecycler, KeepsAtMostItsLimit) {
  auto recycler = std::make_shared<BatchRecycler>(2);
  for (int i = 0; i < 5; ++i) {
    Batch b;
    b.recycler = recycler;
    b.text.assign(10, 'x');
  }
  EXPECT_EQ(recycler->pooled(), 2u);
}

TEST(BatchRecycler, TakeFromAnEmptyPoolLeavesTheBatchAlone) {
  BatchRecycler recycler(2);
  Batch b;
  b.text = "keep";
  recycler.take(b);
  EXPECT_EQ(b.text, "keep");
}

TEST(BatchRecycler, ReadBatchReusesTheRecycledTextAtTheLengthAsked) {
  auto recycler = std::make_shared<BatchRecycler>(4);
  const char* buffer = nullptr;
  {
    Batch b;
    b.recycler = recycler;
    b.text.assign(100000, 'x');
    buffer = b.text.data();
  }
  Batch shorter;
  recycler->take_for_read(shorter, 60000);
  EXPECT_EQ(shorter.text.size(), 60000u);
  EXPECT_EQ(shorter.text.data(), buffer);  // the same allocation, not a fresh one
  // What a read does not overwrite is whatever the last batch left: here its bytes, not zeros.
  EXPECT_EQ(shorter.text[59999], 'x');
}

TEST(BatchRecycler, ReadBatchLongerThanTheRecycledTextIsSizedAsAsked) {
  auto recycler = std::make_shared<BatchRecycler>(4);
  {
    Batch b;
    b.recycler = recycler;
    b.text.assign(1000, 'x');
  }
  Batch longer;
  recycler->take_for_read(longer, 1 << 20);
  EXPECT_EQ(longer.text.size(), size_t{1} << 20);
  Batch fresh;  // nothing pooled
  recycler->take_for_read(fresh, 4096);
  EXPECT_EQ(fresh.text.size(), 4096u);
}

TEST(BatchRecycler, AppendingSourceGetsAnEmptyTextAfterAReadersBatch) {
  auto recycler = std::make_shared<BatchRecycler>(4);
  {
    Batch b;
    b.recycler = recycler;
    recycler->take_for_read(b, 5000);
  }
  Batch next;
  recycler->take(next);
  EXPECT_TRUE(next.text.empty());
  EXPECT_GE(next.text.capacity(), 5000u);
}

}  // namespace
}  // namespace sluice
