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
  // As take(), for a source that reads into the batch: its text is made `bytes` long, and what
  // those bytes hold is unspecified until the read overwrites them. A recycled text keeps its
  // old bytes instead of being zeroed: std::string::resize writes every byte it adds, which was
  // a tenth of the TCP source's time (C++20 has no resize_and_overwrite).
  void take_for_read(Batch& batch, size_t bytes);
  // Takes the buffers of a batch that is being destroyed (or drops them when the pool is full).
  // Each is emptied but keeps its capacity; the text also keeps its length (see take_for_read).
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
