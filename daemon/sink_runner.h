// SinkRunner: the thread that owns one sink. It takes (batch, target) items from its bounded
// queue, writes the bytes the pipeline's workers encoded for this target, gathering about 1 MiB
// per write, and releases each batch only after the write is flushed, which is what acknowledges
// the batch to its source. A write
// that fails is retried with backoff (counted in errors), so a broken output is backpressure.
// Several pipelines may feed one sink; the queue closes when the last of them is done.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/wakeup.h"
#include "stages/batch.h"
#include "stages/batch_queue.h"
#include "stages/sinks/encoder.h"
#include "stages/sinks/sink.h"

namespace sluice {

struct SinkItem {
  SharedBatch batch;
  Encoder* encoder = nullptr;  // writes what a new output starts with (a CSV header)
  uint32_t target = 0;         // index into batch->targets and batch->encoded
};

class SinkRunner {
 public:
  SinkRunner(std::string name, std::unique_ptr<Sink> sink, size_t queue_bytes);
  ~SinkRunner();

  const std::string& name() const { return name_; }
  Status open() { return sink_->open(); }

  // Producer side (pipelines' route threads). Each producer registers before start and says when
  // done.
  void add_producer() { producers_.fetch_add(1); }
  void producer_done();
  bool push(SinkItem item, const std::atomic<bool>& abort, std::atomic<uint64_t>* blocked_ns);

  // Told when the sink's thread exits (set before start()).
  void set_wakeup(Wakeup* wakeup) { wakeup_ = wakeup; }
  void start();
  // Gives up on retries and pending data (after the shutdown timeout); join() returns soon.
  void abort() { abort_.store(true); }
  void join();

  // True once the thread has written everything and exited.
  bool finished() const { return finished_.load(); }
  uint64_t events_total() const { return events_.load(std::memory_order_relaxed); }
  uint64_t errors_total() const { return errors_.load(std::memory_order_relaxed); }
  size_t queue_bytes() const { return queue_.bytes(); }
  size_t queue_capacity() const { return queue_.capacity(); }

 private:
  void run();
  // Writes `pending_` (retrying with backoff) and then acknowledges the batches it came from.
  void write_out();

  std::string name_;
  std::unique_ptr<Sink> sink_;
  BatchQueue<SinkItem> queue_;
  std::atomic<int> producers_{0};
  std::atomic<bool> abort_{false};
  std::atomic<bool> finished_{false};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> errors_{0};
  std::vector<SharedBatch> unacknowledged_;
  std::vector<std::string_view> pending_;  // bytes of unacknowledged_ batches (and header_)
  size_t pending_bytes_ = 0;
  std::string header_;
  bool started_output_ = false;
  Wakeup* wakeup_ = nullptr;
  std::thread thread_;
};

}  // namespace sluice
