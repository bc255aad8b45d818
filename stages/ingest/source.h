// Source: where a pipeline's events come from. A source runs on its pipeline's ingest thread,
// reads into batches it gets from the SourceContext (which charges them to the memory budget),
// frames whole records and emits the batches. Backpressure is simply that new_batch() and emit()
// block: while they do, the source reads nothing.
#pragma once

#include <chrono>
#include <cstddef>

#include "stages/batch.h"
#include "stages/status.h"

namespace sluice {

class SourceContext {
 public:
  virtual ~SourceContext() = default;
  // True once the pipeline is asked to stop (SIGTERM): the source should return soon.
  virtual bool stopping() const = 0;
  // Sleeps up to `timeout`, or less when the pipeline is asked to stop; returns stopping().
  // This default polls in 20 ms slices; a pipeline wakes its source at once instead, so an idle
  // following source costs one wake-up per poll interval, not fifty a second.
  virtual bool wait_for_stop(std::chrono::milliseconds timeout);
  // An empty batch whose text has `capacity` bytes reserved against the memory budget. Blocks
  // while the budget is exhausted; null when stopping.
  virtual BatchPtr new_batch(size_t capacity) = 0;
  // Hands a framed batch to the parse stage. Blocks while the pipeline's queue is full; false
  // when stopping (the batch is discarded unacknowledged, so its data will be read again).
  virtual bool emit(BatchPtr batch) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads until the source is finished (a finite source at its end) or ctx.stopping(). An error
  // a user can cause (unreadable file) is returned as a Status with one clear message.
  virtual Status run(SourceContext& ctx) = 0;
};

}  // namespace sluice
