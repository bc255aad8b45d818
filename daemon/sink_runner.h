// SinkRunner: the thread that owns one sink. It takes (batch token, target) items from its bounded
// queue, writes the bytes the pipeline's workers encoded for this target, gathering about 1 MiB
// per write, and only after the write is flushed hands the batches' tokens to the sink, which
// resolves them when it knows they are delivered (a file: at once). When the run is aborted or
// the output is gone for good (EPIPE on stdout) the tokens are released unresolved: not
// delivered. A write that fails otherwise is retried with backoff (counted in errors), so a
// broken output is backpressure. Several pipelines may feed one sink; the queue closes when the
// last is done. A sink that sends one message per event (Sink::sends_messages) gets each batch
// through send() instead, as it comes: a full producer queue is backpressure (the runner waits
// and sends the rest), and at the end the runner waits for the outstanding delivery reports.
// Threading: push() and producer_done() on producers' threads; everything else on the main
// thread; the counters may be read from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/stage_heartbeat.h"
#include "daemon/test_stall.h"
#include "daemon/wakeup.h"
#include "stages/batch.h"
#include "stages/batch_queue.h"
#include "stages/delivery_token.h"
#include "stages/memory_budget.h"
#include "stages/sinks/encoder.h"
#include "stages/sinks/sink.h"
#include "stages/status.h"

namespace sluice {

struct SinkItem {
  DeliveryToken token;         // this sink's share of the batch
  Encoder* encoder = nullptr;  // writes what a new output starts with (a CSV header)
  uint32_t target = 0;         // index into batch->targets and batch->encoded
  // The pipeline's dead letter, for a sink that sends messages (null: none, or not needed).
  DeadLetter* dead_letter = nullptr;
};

// A pipeline's dead letter as a sink sees it, with its duty as a producer of the dead-letter
// sink's queue: the runner of a sink that may reject says when it will reject no more.
class DeadLetterSender : public DeadLetter {
 public:
  virtual void sender_done() = 0;
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
  // As add_producer(), but only while another producer is still registered: false once the last
  // one is done (the queue is closing), when a reload must replace the sink rather than feed it.
  bool try_add_producer() {
    int n = producers_.load();
    while (n > 0 && !producers_.compare_exchange_weak(n, n + 1)) {
    }
    return n > 0;
  }
  void producer_done();
  bool push(SinkItem item, const std::atomic<bool>& abort, std::atomic<uint64_t>* blocked_ns);

  // A dead letter this sink's batches may be rejected into (set before start()): told
  // sender_done() once the sink has settled everything. Shared with the pipeline that made it.
  void add_dead_letter(std::shared_ptr<DeadLetterSender> dead_letter) {
    dead_letters_.push_back(std::move(dead_letter));
  }
  bool sends_messages() const { return sink_->sends_messages(); }
  // Told when the sink's thread exits or the sink breaks (set before start()).
  void set_wakeup(Wakeup* wakeup) { wakeup_ = wakeup; }
  // Holds what the sink's client library buffers outside the batches (Kafka's producer queue)
  // from the memory budget for as long as this runner lives.
  void hold_library_buffers(MemoryReservation reservation) {
    library_buffers_ = std::move(reservation);
  }
  // Starts the thread; an error (the process may not create threads) is one line.
  Status start();
  // Gives up on retries and pending data (after the shutdown timeout); join() returns soon,
  // unless the thread is blocked in a system call: interrupt() ends that.
  void abort();
  void interrupt();
  void join();
  // After join(): releases what is still queued unresolved, as not delivered (an aborted run).
  void discard_queued();

  // Before start(), on a sink that replaces `before` (same name, after a reload): its counters go
  // on from `before`'s final ones, so sluice_sink_events_total never goes backwards.
  void continue_counts(const SinkRunner& before) {
    events_.fetch_add(before.events_total());
    errors_.fetch_add(before.errors_total());
    undelivered_.fetch_add(before.undelivered_total());
  }
  // True once the thread has written everything and exited.
  bool finished() const { return finished_.load(); }
  // True once the output is gone for good (see Sink::broken).
  bool broken() const { return broken_.load(); }
  uint64_t events_total() const {
    return events_.load(std::memory_order_relaxed) + sink_->delivered_events();
  }
  uint64_t errors_total() const {
    return errors_.load(std::memory_order_relaxed) + sink_->errors();
  }
  uint64_t undelivered_total() const { return undelivered_.load(std::memory_order_relaxed); }
  // Busy while a write and flush is under way; a retry's backoff is backpressure, not busy.
  const StageHeartbeat& heartbeat() const { return heartbeat_; }
  size_t queue_bytes() const { return queue_.bytes(); }
  size_t queue_capacity() const { return queue_.capacity(); }

 private:
  void run();
  // The message path: sends each batch as it comes, then waits for the delivery reports.
  void run_messages();
  void send(SinkItem item);
  void take(SinkItem item);
  // Writes the taken batches (retrying with backoff), starting each new output the sink reports
  // with the header, and then resolves the batches' tokens.
  void write_out();
  // Lists the bytes of the taken batches in parts_, after the header when `with_header`.
  void list_parts(bool with_header);
  // Hands the tokens of every batch taken so far to the sink (written and flushed), or
  // (`written` false) releases them unresolved, and forgets the batches.
  void settle_taken(bool written);
  // Before settle_taken hands written batches to the sink: reports the output's length after
  // each batch that asks for it (delivery: exactly_once), walking back from the file's length.
  void report_output_lengths();
  // Sleeps up to `d`, or less when abort() is called.
  void sleep_unless_aborted(std::chrono::milliseconds d);

  std::string name_;
  // Before sink_: a sink that rejects into one while it is destroyed finds it alive.
  std::vector<std::shared_ptr<DeadLetterSender>> dead_letters_;
  MemoryReservation library_buffers_;  // before sink_: given back once the sink is gone
  std::unique_ptr<Sink> sink_;
  BatchQueue<SinkItem> queue_;
  std::atomic<int> producers_{0};
  std::atomic<bool> abort_{false};
  std::mutex abort_mu_;
  std::condition_variable abort_cv_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> broken_{false};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> undelivered_{0};
  std::vector<SinkItem> taken_;          // to be written, not resolved yet
  std::vector<std::string_view> parts_;  // bytes of taken_ batches (after header_) to write
  std::vector<DeliveryToken> flushed_;   // handed to the sink once taken_ batches are flushed
  size_t pending_bytes_ = 0;             // encoded bytes of taken_ batches
  uint64_t pending_events_ = 0;
  std::string header_;
  Wakeup* wakeup_ = nullptr;
  StageHeartbeat heartbeat_;
  bool stall_ = test_stall_stage() == StallStage::kSink;
  std::thread thread_;
};

}  // namespace sluice
