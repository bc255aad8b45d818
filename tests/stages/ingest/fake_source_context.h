// Test helper for sources: a SourceContext driven by the test, on the source's own thread.
// Each wait_for_stop() (or wait_for_stop_or_readable(), where a following file source sleeps on
// its inotify watch) is one poll round of a following source: the context runs the test's
// step for that round instead of sleeping, so a scenario (append, truncate, remove, stop) is a
// script, with no threads and no timing. Batches are charged to a real MemoryBudget, and every
// emitted record is kept with the stream it came from.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stages/ingest/source.h"
#include "stages/memory_budget.h"

namespace sluice {

// A base for fakes that only model the blocking calls: the non-blocking ones forward to them,
// so such a fake never refuses for lack of room.
class BlockingOnlyContext : public SourceContext {
 public:
  BatchPtr try_new_batch(size_t capacity) override { return new_batch(capacity); }
  bool try_emit(BatchPtr& batch) override { return emit(std::move(batch)); }
  bool wait_for_room(size_t, std::chrono::milliseconds) override { return !stopping(); }
};

// A context whose waits really sleep (SourceContext's defaults), stopped by setting `stop` from
// any thread; it has no batches to give.
class StoppableContext : public BlockingOnlyContext {
 public:
  bool stopping() const override { return stop.load(); }
  BatchPtr new_batch(size_t) override { return nullptr; }
  bool emit(BatchPtr) override { return false; }
  std::atomic<bool> stop{false};
};

class FakeSourceContext : public SourceContext {
 public:
  explicit FakeSourceContext(size_t memory_limit = size_t{1} << 30) : budget(memory_limit) {}

  struct Record {
    std::string source;  // the batch's stream name (a file's path)
    std::string text;
    uint64_t line = 0;
    bool operator==(const Record&) const = default;
  };

  bool stopping() const override { return stop.load(); }
  // One poll round is over: runs the step for it (round numbers start at 1). Stops the source
  // after `max_rounds`, so a scenario that forgot to stop cannot loop forever.
  bool wait_for_stop(std::chrono::milliseconds) override {
    ++rounds;
    if (on_round) {
      on_round(rounds);
    }
    if (rounds >= max_rounds) {
      stop.store(true);
    }
    return stopping();
  }
  // A source sleeping on a descriptor of its own (the file source's watch) is ended the same
  // way: each wait is one round, over at once (its timeout passed); the descriptor is ignored.
  Wake wait_for_stop_or_readable(int, std::chrono::milliseconds timeout) override {
    return wait_for_stop(timeout) ? Wake::kStopping : Wake::kTimedOut;
  }
  BatchPtr new_batch(size_t capacity) override {
    count_request();
    return budget.acquire(capacity, stop) ? leased_batch(capacity) : nullptr;
  }
  BatchPtr try_new_batch(size_t capacity) override {
    count_request();
    return !stopping() && budget.try_acquire(capacity) ? leased_batch(capacity) : nullptr;
  }
  // The fake's queue never fills: a batch is consumed as it is emitted.
  bool try_emit(BatchPtr& batch) override { return emit(std::move(batch)); }
  bool wait_for_room(size_t batch_bytes, std::chrono::milliseconds timeout) override {
    return budget.wait_for_room(batch_bytes, std::chrono::steady_clock::now() + timeout, stop);
  }
  void count_request() {
    ++batches_requested;
    // A source hands its batch on before it asks for the next: otherwise, with a budget that
    // is exhausted, it would wait for memory that it holds itself.
    asked_while_holding += budget.used() > 0 ? 1 : 0;
  }
  BatchPtr leased_batch(size_t capacity) {
    auto batch = std::make_unique<Batch>();
    batch->lease = MemoryLease(&budget, capacity);
    batch->text.reserve(capacity);
    return batch;
  }
  bool emit(BatchPtr batch) override {
    if (on_emit) {
      on_emit(*batch);
    }
    for (const Event& e : batch->events) {
      records.push_back(Record{*batch->source, std::string(batch->str(e.raw)), e.position});
    }
    return true;  // the batch is destroyed here: its lease goes back to the budget
  }

  // The texts of the records read from `source`, in order.
  std::vector<std::string> texts_of(const std::string& source) const {
    std::vector<std::string> out;
    for (const Record& r : records) {
      if (r.source == source) {
        out.push_back(r.text);
      }
    }
    return out;
  }

  MemoryBudget budget;
  std::atomic<bool> stop{false};
  std::function<void(int round)> on_round;
  std::function<void(const Batch&)> on_emit;
  int rounds = 0;
  int max_rounds = 1000;
  size_t batches_requested = 0;
  size_t asked_while_holding = 0;
  std::vector<Record> records;
};

}  // namespace sluice
