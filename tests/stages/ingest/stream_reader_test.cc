// StreamReader: whole records per batch, tails carried over, oversized records dead-lettered.
#include "stages/ingest/stream_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "stages/batch_recycler.h"
#include "stages/ingest/record_framer.h"
#include "tests/stages/ingest/fake_source_context.h"

namespace sluice {
namespace {

// Collects emitted batches; never stops, never runs out of memory.
class CollectingContext : public BlockingOnlyContext {
 public:
  bool stopping() const override { return false; }
  BatchPtr new_batch(size_t capacity) override {
    auto b = std::make_unique<Batch>();
    b->text.reserve(capacity);
    return b;
  }
  bool emit(BatchPtr batch) override {
    batches.push_back(std::move(batch));
    return true;
  }
  std::vector<std::string> records() const {
    std::vector<std::string> out;
    for (const auto& b : batches) {
      for (const auto& e : b->events) {
        out.emplace_back(b->str(e.raw));
      }
    }
    return out;
  }
  std::vector<BatchPtr> batches;
};

// Writes `data` into a pipe from a thread and returns the read end.
int pipe_with(const std::string& data, std::thread& writer) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  writer = std::thread([fd = fds[1], data] {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(fd, data.data() + off, std::min<size_t>(data.size() - off, 7000));
      if (n <= 0) {
        break;
      }
      off += static_cast<size_t>(n);
    }
    close(fd);
  });
  return fds[0];
}

std::unique_ptr<StreamReader> line_reader(size_t batch_bytes, size_t max_event_bytes,
                                          const Schema& schema) {
  ParseOptions options;
  options.format = ParseOptions::Format::kNone;
  StreamReaderOptions ro;
  ro.batch_bytes = batch_bytes;
  ro.max_event_bytes = max_event_bytes;
  return std::make_unique<StreamReader>(make_framer(options, schema),
                                        std::make_shared<const std::string>("test"), ro);
}

TEST(StreamReader, RecordsSurviveSmallBatchesAndShortReads) {
  Schema schema;
  std::string data;
  std::vector<std::string> expected;
  for (int i = 0; i < 5000; ++i) {
    expected.push_back("line number " + std::to_string(i) + std::string(i % 50, 'x'));
    data += expected.back() + "\n";
  }
  std::thread writer;
  int fd = pipe_with(data, writer);
  CollectingContext ctx;
  auto reader = line_reader(4096, 1 << 20, schema);
  EXPECT_EQ(reader->pump(fd, ctx, true), StreamReader::Outcome::kEndOfData);
  writer.join();
  close(fd);
  EXPECT_EQ(ctx.records(), expected);
  EXPECT_GT(ctx.batches.size(), 10u);
  for (const auto& b : ctx.batches) {
    EXPECT_EQ(b->events.back().raw.off + b->events.back().raw.len + 1, b->text.size())
        << "a batch ends at a record end";
  }
}

TEST(StreamReader, FinalLineWithoutNewlineIsARecord) {
  Schema schema;
  std::thread writer;
  int fd = pipe_with("a\nb", writer);
  CollectingContext ctx;
  auto reader = line_reader(4096, 1 << 20, schema);
  reader->pump(fd, ctx, true);
  writer.join();
  close(fd);
  EXPECT_EQ(ctx.records(), (std::vector<std::string>{"a", "b"}));
}

TEST(StreamReader, RecordLongerThanBatchGrowsTheBuffer) {
  Schema schema;
  std::string big(20000, 'y');
  std::thread writer;
  int fd = pipe_with("a\n" + big + "\nb\n", writer);
  CollectingContext ctx;
  auto reader = line_reader(4096, 1 << 20, schema);
  reader->pump(fd, ctx, true);
  writer.join();
  close(fd);
  EXPECT_EQ(ctx.records(), (std::vector<std::string>{"a", big, "b"}));
}

TEST(StreamReader, OversizedRecordBecomesATruncatedParseError) {
  Schema schema;
  std::string huge(100000, 'z');
  std::thread writer;
  int fd = pipe_with("a\n" + huge + "\nb\n", writer);
  CollectingContext ctx;
  auto reader = line_reader(4096, 8192, schema);
  reader->pump(fd, ctx, true);
  writer.join();
  close(fd);
  std::vector<std::string> records = ctx.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], "a");
  EXPECT_EQ(records[1], std::string(1024, 'z'));
  EXPECT_EQ(records[2], "b");
  const Batch* with_error = nullptr;
  for (const auto& b : ctx.batches) {
    for (const auto& e : b->events) {
      if (e.state == EventState::kParseError) {
        with_error = b.get();
        EXPECT_NE(b->str(e.error).find("longer than max_event_bytes"), std::string::npos);
      }
    }
  }
  EXPECT_NE(with_error, nullptr);
}

TEST(StreamReader, OversizedRecordThatFitsTheBufferIsAlsoATruncatedParseError) {
  // max_event_bytes below the read size: the records never overflow the buffer, yet two are
  // longer than the limit, so they must end the same way as one that does.
  Schema schema;
  std::string long_line(20000, 'z');
  std::string just_fits(8192, 'k');
  std::string another(9000, 'q');
  std::thread writer;
  int fd = pipe_with("a\n" + long_line + "\n" + just_fits + "\n" + another + "\nb\n", writer);
  CollectingContext ctx;
  auto reader = line_reader(1 << 19, 8192, schema);
  reader->pump(fd, ctx, true);
  writer.join();
  close(fd);
  EXPECT_EQ(ctx.records(), (std::vector<std::string>{"a", std::string(1024, 'z'), just_fits,
                                                     std::string(1024, 'q'), "b"}));
  std::vector<uint64_t> error_lines;
  for (const auto& b : ctx.batches) {
    for (const auto& e : b->events) {
      if (e.state == EventState::kParseError) {
        error_lines.push_back(e.position);
        EXPECT_EQ(b->str(e.error), "record longer than max_event_bytes (8192 bytes); truncated");
      }
    }
  }
  EXPECT_EQ(error_lines, (std::vector<uint64_t>{2, 4}));
}

// Hands out batches through a BatchRecycler, as Pipeline::new_batch does, but with texts that are
// not empty: junk full of line breaks and quotes, shorter and longer than the reader's buffer.
// The reader must read over it, never frame it.
class RecyclingContext : public BlockingOnlyContext {
 public:
  bool stopping() const override { return false; }
  BatchPtr new_batch(size_t capacity) override {
    auto b = std::make_unique<Batch>();
    recycler_->take(*b);
    size_t junk_bytes = fresh_++ % 2 == 0 ? capacity / 2 : capacity * 2;
    for (size_t i = 0; i < junk_bytes; ++i) {
      b->text.push_back("\n\"j,"[i % 4]);
    }
    b->recycler = recycler_;
    b->text.reserve(capacity);
    return b;
  }
  bool emit(BatchPtr batch) override {
    for (const Event& e : batch->events) {
      std::string record(batch->str(e.raw));
      if (e.state == EventState::kParseError) {
        record += " <" + std::string(batch->str(e.error)) + ">";
      }
      records.push_back(std::move(record));
    }
    return true;  // the batch is destroyed here, and its buffers go back to the recycler
  }
  std::vector<std::string> records;

 private:
  std::shared_ptr<BatchRecycler> recycler_ = std::make_shared<BatchRecycler>(3);
  size_t fresh_ = 0;
};

TEST(StreamReader, RecycledTextWithOldBytesGivesTheSameRecords) {
  Schema schema;
  ParseOptions options;
  options.format = ParseOptions::Format::kCsv;
  options.columns = {"a", "b"};
  std::string data;
  for (int i = 0; i < 3000; ++i) {
    data += std::to_string(i) + (i % 3 == 0 ? ",\"quoted\nline " : ",plain ") +
            std::string(i % 70, 'x') + (i % 3 == 0 ? "\"\r\n" : "\n");
  }
  data += "last,\"never closed\n";
  // The reference: the whole input framed in one fresh batch.
  std::vector<std::string> expected;
  {
    Batch batch;
    batch.text = data;
    make_framer(options, schema)->frame(batch, 0, data.size(), /*at_eof=*/true);
    for (const Event& e : batch.events) {
      std::string record(batch.str(e.raw));
      if (e.state == EventState::kParseError) {
        record += " <" + std::string(batch.str(e.error)) + ">";
      }
      expected.push_back(std::move(record));
    }
  }
  ASSERT_EQ(expected.size(), 3001u);
  ASSERT_EQ(expected.back(), "last,\"never closed\n <unterminated quoted field>");
  std::thread writer;
  int fd = pipe_with(data, writer);
  RecyclingContext ctx;
  StreamReaderOptions ro;
  ro.batch_bytes = 4096;
  StreamReader reader(make_framer(options, schema), std::make_shared<const std::string>("test"),
                      ro);
  EXPECT_EQ(reader.pump(fd, ctx, true), StreamReader::Outcome::kEndOfData);
  writer.join();
  close(fd);
  EXPECT_EQ(ctx.records, expected);
}

// Counts the memory a reader holds: each batch it asked for, until the batch is emitted
// (handed on) or destroyed. A reader must never ask while it still holds one (it would wait for
// budget it holds itself), and an idle reader holds none.
class BudgetWatchingContext : public CollectingContext {
 public:
  BatchPtr new_batch(size_t capacity) override {
    asked_while_holding += budget.used() > 0;
    largest_request = std::max(largest_request, capacity);
    std::atomic<bool> stop{false};
    budget.acquire(capacity, stop);
    BatchPtr batch = CollectingContext::new_batch(capacity);
    batch->lease = MemoryLease(&budget, capacity);
    return batch;
  }
  bool emit(BatchPtr batch) override {
    batch->lease.reset();  // handed on: the pipeline holds it now, not the reader
    return CollectingContext::emit(std::move(batch));
  }
  size_t held() const { return budget.used(); }
  MemoryBudget budget{size_t{1} << 30};
  int asked_while_holding = 0;
  size_t largest_request = 0;
};

// A regular file holding `data`, open for reading.
int file_with(const std::string& data, std::string& path) {
  char name[] = "/tmp/stream_reader_testXXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  lseek(fd, 0, SEEK_SET);
  path = name;
  return fd;
}

TEST(StreamReader, NeverAsksForABatchWhileHoldingOne) {
  Schema schema;
  std::string data;
  for (int i = 0; i < 2000; ++i) {
    data += std::string(static_cast<size_t>(100 + i % 3000), 'a') + "\n";
  }
  std::string path;
  int fd = file_with(data, path);
  BudgetWatchingContext ctx;
  auto reader = line_reader(4096, 8192, schema);
  EXPECT_EQ(reader->pump(fd, ctx, true), StreamReader::Outcome::kEndOfData);
  EXPECT_EQ(ctx.records().size(), 2000u);
  EXPECT_EQ(ctx.asked_while_holding, 0);
  EXPECT_LE(ctx.largest_request, reader->largest_read_buffer());
  close(fd);
  unlink(path.c_str());
}

TEST(StreamReader, AnIdleFollowedFileHoldsNoBatchAndItsPartialLineGoesBackToTheFile) {
  Schema schema;
  std::string path;
  int fd = file_with("one\ntwo\nthr", path);
  BudgetWatchingContext ctx;
  auto reader = line_reader(4096, 8192, schema);
  EXPECT_EQ(reader->pump(fd, ctx, /*final=*/false), StreamReader::Outcome::kEndOfData);
  EXPECT_EQ(ctx.records(), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(ctx.held(), 0u) << "a batch is held at EOF";
  EXPECT_EQ(reader->unframed_bytes(), 3u);
  ASSERT_TRUE(reader->rewind(fd));
  EXPECT_EQ(reader->unframed_bytes(), 0u);
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 8) << "the offset is where the incomplete record starts";
  // The writer finishes the line: it is read whole, once.
  int writer = open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_EQ(write(writer, "ee\n", 3), 3);
  close(writer);
  EXPECT_EQ(reader->pump(fd, ctx, /*final=*/false), StreamReader::Outcome::kEndOfData);
  EXPECT_EQ(ctx.records(), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(ctx.batches.back()->events.back().position, 3u) << "line numbers are kept";
  EXPECT_EQ(ctx.held(), 0u);
  close(fd);
  unlink(path.c_str());
}

// What a checkpointing source learns of each emitted batch: its stream range and lines.
struct EmittedRange {
  uint64_t first, end, lines;
  bool has_parse_error;
};

TEST(StreamReader, ResumingFromACheckpointInsideAnOverlongRecordSkipsItsRest) {
  // The batch holding an over-long record's dead letter ends where reading stopped, inside the
  // record: a checkpoint there resumes by skipping the record's rest, never framing it as an
  // event, and the record after it comes with its own line number.
  Schema schema;
  std::string path;
  const std::string data = "a\n" + std::string(20000, 'x') + "tail\nb\n";
  int fd = file_with(data, path);
  CollectingContext first_run;
  auto reader = line_reader(4096, 4096, schema);
  std::vector<EmittedRange> ranges;
  reader->set_emit_hook([&](Batch& batch, uint64_t first, uint64_t end, uint64_t lines) {
    bool error = std::any_of(batch.events.begin(), batch.events.end(),
                             [](const Event& e) { return e.state == EventState::kParseError; });
    ranges.push_back({first, end, lines, error});
  });
  EXPECT_EQ(reader->pump(fd, first_run, /*final=*/false), StreamReader::Outcome::kEndOfData);
  auto dead_letter = std::find_if(ranges.begin(), ranges.end(),
                                  [](const EmittedRange& r) { return r.has_parse_error; });
  ASSERT_NE(dead_letter, ranges.end());
  ASSERT_GT(dead_letter->end, 2u);
  ASSERT_LT(dead_letter->end, 2u + 20000u) << "the dead letter's range should end in the record";
  EXPECT_EQ(dead_letter->lines, 1u) << "lines before the over-long record";

  CollectingContext resumed;
  auto again = line_reader(4096, 4096, schema);
  int fd2 = open(path.c_str(), O_RDONLY);
  ASSERT_TRUE(again->start_at(fd2, dead_letter->end, dead_letter->lines, /*from_checkpoint=*/true));
  EXPECT_EQ(again->pump(fd2, resumed, /*final=*/true), StreamReader::Outcome::kEndOfData);
  EXPECT_EQ(resumed.records(), (std::vector<std::string>{"b"}));
  ASSERT_FALSE(resumed.batches.empty());
  EXPECT_EQ(resumed.batches.back()->events.back().position, 3u);

  // At a record boundary nothing is skipped: the over-long record is found again, then b.
  CollectingContext at_boundary;
  auto third = line_reader(4096, 4096, schema);
  ASSERT_TRUE(third->start_at(fd2, 2, 1, /*from_checkpoint=*/true));
  EXPECT_EQ(third->pump(fd2, at_boundary, /*final=*/true), StreamReader::Outcome::kEndOfData);
  EXPECT_EQ(at_boundary.records(), (std::vector<std::string>{std::string(1024, 'x'), "b"}));
  close(fd);
  close(fd2);
  unlink(path.c_str());
}

}  // namespace
}  // namespace sluice
