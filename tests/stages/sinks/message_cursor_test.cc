// MessageCursor: one message per event, without its line end, from encoded bytes or from the
// batch text's ranges; it steps forward from any index and restarts when sent back.
#include "stages/sinks/message_cursor.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(MessageCursor, BytesAreCutAtEachEndWithoutTheLineEnd) {
  Batch batch;
  Batch::Output out;
  out.bytes = "a\nbb\n\nccc\n";
  out.ends = {2, 5, 6, 10};
  MessageCursor cursor;
  EXPECT_EQ(cursor.at(batch, out, 0), "a");
  EXPECT_EQ(cursor.at(batch, out, 1), "bb");
  EXPECT_EQ(cursor.at(batch, out, 2), "");
  EXPECT_EQ(cursor.at(batch, out, 3), "ccc");
}

TEST(MessageCursor, TextRangesAreWalkedEndToEnd) {
  Batch batch;
  batch.text = "one\ntwo\nskipped\nthree\nfour\n";
  Batch::Output out;
  out.text_ranges = {Span{0, 8}, Span{16, 11}};  // "one\ntwo\n", "three\nfour\n"
  out.ends = {4, 8, 14, 19};
  MessageCursor cursor;
  EXPECT_EQ(cursor.at(batch, out, 0), "one");
  EXPECT_EQ(cursor.at(batch, out, 1), "two");
  EXPECT_EQ(cursor.at(batch, out, 3), "four") << "steps over a range and a message";
  EXPECT_EQ(cursor.at(batch, out, 2), "three") << "going back restarts the walk";
  EXPECT_EQ(cursor.at(batch, out, 3), "four");
}

TEST(MessageCursor, IndexOfFindsAMessageByItsFirstByte) {
  Batch batch;
  batch.text = "one\ntwo\nskipped\nthree\nfour\n";
  Batch::Output ranges;
  ranges.text_ranges = {Span{0, 8}, Span{16, 11}};
  ranges.ends = {4, 8, 14, 19};
  MessageCursor cursor;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(MessageCursor::index_of(batch, ranges, cursor.at(batch, ranges, i).data()), i);
  }
  Batch::Output bytes;
  bytes.bytes = "a\nbb\nccc\n";
  bytes.ends = {2, 5, 9};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(MessageCursor::index_of(batch, bytes, cursor.at(batch, bytes, i).data()), i);
  }
  EXPECT_EQ(MessageCursor::index_of(batch, bytes, bytes.bytes.data() + 1), 3u) << "no message";
}

}  // namespace
}  // namespace sluice
