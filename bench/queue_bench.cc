// Micro-benchmark of the hand-off between two stage threads through a BatchQueue: a producer
// thread pushes batches, the benchmark thread pops them and hands them back through a second
// queue (so no batch is allocated in the loop). Argument: events per batch (130 bytes each), so
// the per-item cost and the cost per event at the real batch size are both visible.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "stages/batch.h"
#include "stages/batch_queue.h"

namespace sluice::bench {
namespace {

constexpr size_t kEventBytes = 130;
constexpr size_t kPool = 32;  // batches in flight

void BM_QueueHandoff(benchmark::State& state) {
  const size_t events = static_cast<size_t>(state.range(0));
  const size_t bytes = events * kEventBytes;
  BatchQueue<BatchPtr> forward(64u << 20);
  BatchQueue<BatchPtr> back(64u << 20);
  std::atomic<bool> stop{false};
  for (size_t i = 0; i < kPool; ++i) {
    auto b = std::make_unique<Batch>();
    b->events.resize(events);
    back.push(std::move(b), bytes, stop, nullptr);
  }
  std::thread producer([&] {
    BatchPtr b;
    while (!stop.load(std::memory_order_relaxed)) {
      if (back.pop(b, std::chrono::milliseconds(5))) {
        b->sequence++;
        forward.push(std::move(b), bytes, stop, nullptr);
      }
    }
  });
  BatchPtr b;
  uint64_t sum = 0;
  for (auto _ : state) {
    while (!forward.pop(b, std::chrono::milliseconds(5))) {
    }
    sum += b->sequence;
    back.push(std::move(b), bytes, stop, nullptr);
  }
  benchmark::DoNotOptimize(sum);
  stop.store(true);
  producer.join();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

BENCHMARK(BM_QueueHandoff)->Arg(1)->Arg(64)->Arg(8000)->UseRealTime();

}  // namespace
}  // namespace sluice::bench
