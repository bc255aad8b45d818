// Source: where a pipeline's events come from. A source runs on its pipeline's ingest thread,
// reads into batches it gets from the SourceContext (which charges them to the memory budget),
// frames whole records and emits the batches. Backpressure is state the source can see: the
// memory budget may have no room for a new batch and the parse queue may have no room for a
// finished one. A polled source (a Kafka consumer that must keep polling to stay in its group, a
// TCP server with other connections to serve) asks with try_new_batch() and try_emit(), which
// never block, pauses its input while they refuse, and sleeps in its own poll or in
// wait_for_room(). A source with nothing else to do (a file, stdin, a generator) may use the
// blocking new_batch() and emit() instead: while they block, it reads nothing.
// Threading: every SourceContext call is made on the ingest thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stages/batch.h"
#include "stages/stage_counters.h"
#include "stages/status.h"

namespace sluice {

class SourceContext {
 public:
  virtual ~SourceContext() = default;
  // True once the pipeline is asked to stop (SIGTERM): the source should return soon.
  virtual bool stopping() const = 0;
  // True once the pipeline gives up on delivering (after the shutdown timeout, or a second
  // signal): batches still in flight will be abandoned, so a source waiting for them stops.
  virtual bool aborted() const { return false; }
  // Sleeps up to `timeout`, or less when the pipeline is asked to stop; returns stopping().
  // This default polls in 20 ms slices; a pipeline wakes its source at once instead, so an idle
  // following source costs one wake-up per poll interval, not fifty a second.
  virtual bool wait_for_stop(std::chrono::milliseconds timeout);
  // What ended a wait_for_stop_or_readable().
  enum class Wake { kReadable, kStopping, kTimedOut };
  // Sleeps until `fd` is readable, the pipeline is asked to stop, or `timeout` passes; a stop
  // wins over a readable `fd`. With `fd` < 0 it is wait_for_stop(). For a source that sleeps on
  // a descriptor of its own (the file source's inotify watch) and must still stop at once. This
  // default polls `fd` in 20 ms slices; a pipeline polls it together with its stop descriptor.
  virtual Wake wait_for_stop_or_readable(int fd, std::chrono::milliseconds timeout);

  // The non-blocking calls.
  // An empty batch whose text has `capacity` bytes reserved against the memory budget; null
  // when the budget has no room for it now (or when stopping), and then nothing was taken.
  virtual BatchPtr try_new_batch(size_t capacity) = 0;
  // Hands a framed batch to the parse stage if its queue has room: true, and `batch` is moved
  // from. False when the queue is full: `batch` is left with the caller as it was, to be
  // offered again (or discarded unacknowledged when the source stops). With `on_full:
  // drop_newest` a full queue drops the batch (counted) and this returns true.
  virtual bool try_emit(BatchPtr& batch) = 0;
  // Sleeps until the parse queue has room and, unless `batch_bytes` is 0, a batch of
  // `batch_bytes` would fit the memory budget; or until `timeout` passes, or the pipeline stops
  // (for memory) or gives up (for the queue). True when there is room now. The time spent here
  // counts as the ingest stage's backpressure (blocked time).
  virtual bool wait_for_room(size_t batch_bytes, std::chrono::milliseconds timeout) = 0;

  // The blocking calls, for a source with nothing else to do while it waits.
  // As try_new_batch(), but blocks while the budget is exhausted (served in turn with other
  // sources); null when stopping.
  virtual BatchPtr new_batch(size_t capacity) = 0;
  // As try_emit(), but blocks while the queue is full, also after stopping() (what was read is
  // delivered); false only when the pipeline gives up (abort): the batch is discarded
  // unacknowledged, so its data will be read again.
  virtual bool emit(BatchPtr batch) = 0;

  // As try_new_batch() and new_batch(), for a source that reads into the batch: its text is
  // `bytes` long already, and what those bytes hold is unspecified until the read overwrites
  // them (a pipeline hands out a recycled buffer as it is, instead of zeroing it first).
  virtual BatchPtr try_new_read_batch(size_t bytes);
  virtual BatchPtr new_read_batch(size_t bytes);

  // Events lost before they could enter a batch (datagrams the kernel dropped for a full socket
  // buffer, a record cut off by closing its connection): counted as taken in and dropped at
  // ingest with `reason`, so the books still close.
  virtual void count_lost(DropReason reason, uint64_t events) {
    (void)reason;
    (void)events;
  }
};

// How far a consumer is behind one partition: its high watermark minus the committed offset.
struct PartitionLag {
  std::string topic;
  int32_t partition;
  int64_t lag;
};

// What a connection-oriented source (TCP) says of its connections, for the metrics.
struct SourceConnections {
  uint64_t open = 0;      // being served now
  uint64_t accepted = 0;  // since start, the refused ones not included
  uint64_t refused = 0;   // accepted and closed at once: over max_connections
};

class Source {
 public:
  virtual ~Source() = default;
  // Binds what must be bound before any pipeline starts (a listening socket), on the main
  // thread. An error is the configuration's to fix (a port in use, an address not on this
  // host): one line, and the run ends with exit 78 before anything starts.
  virtual Status open() { return Status(); }
  // Reads until the source is finished (a finite source at its end) or ctx.stopping(). An error
  // a user can cause (unreadable file) is returned as a Status with one clear message.
  virtual Status run(SourceContext& ctx) = 0;
  // Appends the lag of each partition the source consumes (a Kafka source); nothing for the
  // others. Safe from any thread while run() goes on (a metrics scrape).
  virtual void partition_lags(std::vector<PartitionLag>& out) const { (void)out; }
  // Its connections, for a source that has any (TCP); nullopt for the others. Safe from any
  // thread while run() goes on.
  virtual std::optional<SourceConnections> connections() const { return std::nullopt; }
  // The reasons this kind of source may give SourceContext::count_lost(), so that their metric
  // series exist (at 0) before the first loss: a counter that appears only when it is first
  // non-zero hides that first increase from rate() and increase(). Static storage.
  virtual std::span<const DropReason> lost_reasons() const { return {}; }
};

}  // namespace sluice
