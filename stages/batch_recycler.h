// BatchRecycler: keeps the buffers of finished batches (text, events, fields, slots, targets,
// encoded output) so the next batch of the pipeline reuses their capacity instead of allocating,
// page-faulting and zeroing fresh memory for every batch. Holds at most `max_pooled` buffer sets, a
// small fixed amount next to the queues. Thread-safe: sinks give back, the ingest thread takes.
#pragma once

#include <concurrentqueue.h>

#include <atomic>
#include <cstddef>
#include <tuple>
#include <utility>

#include "stages/batch.h"

namespace sluice {

class BatchRecycler {
 public:
  explicit BatchRecycler(size_t max_pooled) : max_pooled_(max_pooled) {}

  // Gives `batch` empty buffers with the capacity of a recycled batch, when one is pooled.
  void take(Batch& batch);
  // Takes the buffers of a batch that is being destroyed (or drops them when the pool is full).
  void give(Batch& batch);

  size_t pooled() const { return pooled_.load(std::memory_order_relaxed); }

 private:
  // Batch::buffers(), owned: the tuple of the buffer types that tuple refers to.
  template <typename Refs>
  struct Owned;
  template <typename... T>
  struct Owned<std::tuple<T&...>> {
    using type = std::tuple<T...>;
  };
  using Buffers = Owned<decltype(std::declval<Batch&>().buffers())>::type;
  const size_t max_pooled_;
  std::atomic<size_t> pooled_{0};
  moodycamel::ConcurrentQueue<Buffers> pool_;
};

}  // namespace sluice
