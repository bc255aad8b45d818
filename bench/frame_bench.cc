// Micro-benchmarks of the ingest thread's own work, one core: framing inputs that the W1-W4
// data does not cover (CSV with quoted line breaks and `""`, JSON lines), and StreamReader
// reading a file end to end (read(2) copy, framing, batch hand-off) with recycled batches.
// bytes/s are input bytes, events/s are records.
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include <deque>

#include "bench/bench_data.h"
#include "stages/batch_recycler.h"
#include "stages/ingest/stream_reader.h"

namespace sluice::bench {
namespace {

void frame_input(benchmark::State& state, RecordFramer& framer, const std::string& input) {
  Batch batch;
  batch.text = input;
  size_t events = 0;
  for (auto _ : state) {
    batch.events.clear();
    framer.reset();
    size_t used = framer.frame(batch, 0, batch.text.size(), /*at_eof=*/true);
    benchmark::DoNotOptimize(used);
    events = batch.events.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

// Generated CSV whose user agent is quoted on every line and, on every fourth, holds a line
// break and an escaped quote: the quote-aware path on every record.
void BM_FrameCsvQuotedNewlines(benchmark::State& state) {
  std::string input = generate(EventGenerator::Format::kCsv, kBatchBytes);
  std::string quoted;
  quoted.reserve(input.size() * 2);
  size_t line = 0;
  for (size_t start = 0; start < input.size();) {
    size_t end = input.find('\n', start);
    std::string_view record(input.data() + start, end - start);
    size_t agent = record.rfind(',');
    quoted.append(record.substr(0, agent + 1));
    quoted += '"';
    for (char c : record.substr(agent + 1)) {
      if (c != '"') {
        quoted += c;
      }
    }
    quoted += line++ % 4 == 0 ? "\n(\"\"x\"\")\"\n" : "\"\n";
    start = end + 1;
  }
  StageInput in(EventGenerator::Format::kCsv);
  frame_input(state, *in.framer, quoted);
}

void BM_FrameJsonLines(benchmark::State& state) {
  StageInput in(EventGenerator::Format::kJson);
  frame_input(state, *in.framer, in.input);
}

// Hands out batches as Pipeline::new_batch and new_read_batch do and destroys each a few batches
// after its emit (as the queue, parse and sinks would), so every batch after the first few reuses a
// recycled buffer that is no longer in this core's cache.
class RecyclingContext : public SourceContext {
 public:
  bool stopping() const override { return false; }
  BatchPtr new_batch(size_t capacity) override {
    auto batch = std::make_unique<Batch>();
    recycler_->take(*batch);
    batch->recycler = recycler_;
    batch->text.reserve(capacity);
    return batch;
  }
  BatchPtr new_read_batch(size_t bytes) override {
    auto batch = std::make_unique<Batch>();
    recycler_->take_for_read(*batch, bytes);
    batch->recycler = recycler_;
    return batch;
  }
  bool emit(BatchPtr batch) override {
    events += batch->events.size();
    in_flight_.push_back(std::move(batch));
    if (in_flight_.size() > kInFlight) {
      in_flight_.pop_front();
    }
    return true;
  }
  // The reader under test uses the blocking calls; these never refuse.
  BatchPtr try_new_batch(size_t capacity) override { return new_batch(capacity); }
  bool try_emit(BatchPtr& batch) override { return emit(std::move(batch)); }
  bool wait_for_room(size_t, std::chrono::milliseconds) override { return true; }
  uint64_t events = 0;

 private:
  static constexpr size_t kInFlight = 12;  // 6 MiB of 512 KiB batches: more than an L2 cache
  std::deque<BatchPtr> in_flight_;
  std::shared_ptr<BatchRecycler> recycler_ = std::make_shared<BatchRecycler>(16);
};

void read_file(benchmark::State& state, EventGenerator::Format format) {
  StageInput in(format, 64 * kBatchBytes);
  // A memory file: what is measured is the copy out of the page cache, not a disk.
  int fd = memfd_create("frame_bench", 0);
  if (fd < 0 ||
      write(fd, in.input.data(), in.input.size()) != static_cast<ssize_t>(in.input.size())) {
    die("cannot write the memory file");
  }
  RecyclingContext ctx;
  for (auto _ : state) {
    lseek(fd, 0, SEEK_SET);
    StreamReader reader(make_framer(in.options, in.schema),
                        std::make_shared<const std::string>("bench"), StreamReaderOptions{});
    if (reader.pump(fd, ctx, /*final=*/true) != StreamReader::Outcome::kEndOfData) {
      die("StreamReader did not reach the end of the file");
    }
  }
  close(fd);
  if (ctx.events != state.iterations() * in.events) {
    die("StreamReader lost events");
  }
  state.SetItemsProcessed(static_cast<int64_t>(ctx.events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.input.size()));
}

void BM_ReadCsvFile(benchmark::State& state) { read_file(state, EventGenerator::Format::kCsv); }
void BM_ReadTextFile(benchmark::State& state) { read_file(state, EventGenerator::Format::kText); }

BENCHMARK(BM_FrameCsvQuotedNewlines);
BENCHMARK(BM_FrameJsonLines);
BENCHMARK(BM_ReadCsvFile);
BENCHMARK(BM_ReadTextFile);

}  // namespace
}  // namespace sluice::bench
