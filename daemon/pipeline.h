// Pipeline: one configured pipeline running as threads: ingest (the source), N workers and route;
// joined by byte-bounded BatchQueues. A worker takes a whole batch through parse, filter, routing
// and encoding while its bytes are still in that core's cache; the route thread restores batch
// order (by sequence number) and hands the encoded batches to the sinks. Stopping is two-step:
// request_stop() makes the source stop reading and everything already read drains through to the
// sinks; abort() (after the shutdown timeout) makes every blocked stage give up.
// Threading: build, start, request_stop, abort, interrupt, join and discard_queued run on the
// thread that owns the Runtime. The ingest thread alone touches the source, next_sequence_ and
// source_status_ (read by others only after join()); worker i alone touches workers_[i]; the route
// thread alone holds the reorder map. counters(), bytes_in(), latency(), outcomes(), finished()
// and queue_bytes() are atomics, readable from any thread while the pipeline runs (a scrape).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "daemon/pipeline_dead_letter.h"
#include "daemon/sink_runner.h"
#include "daemon/stage_heartbeat.h"
#include "daemon/test_stall.h"
#include "daemon/wakeup.h"
#include "stages/batch_queue.h"
#include "stages/batch_recycler.h"
#include "stages/filter/event_filter.h"
#include "stages/ingest/source.h"
#include "stages/latency_histogram.h"
#include "stages/memory_budget.h"
#include "stages/parse/parser.h"
#include "stages/route/router.h"
#include "stages/stage_counters.h"

namespace sluice {

enum class Stage { kIngest = 0, kParse, kFilter, kRoute, kCount };
const char* stage_name(Stage stage);

class Pipeline : private SourceContext {
 public:
  // Builds everything (expressions, parsers, encoders, source) from a validated config, opening
  // nothing and starting no thread (`validate` runs it too). An error carries its position in
  // the configuration file (daemon/pipeline_build.cc).
  static Result<std::unique_ptr<Pipeline>> build(const PipelineConfig& config,
                                                 const std::vector<SinkConfig>& sink_configs,
                                                 const std::map<std::string, SinkRunner*>& sinks,
                                                 MemoryBudget& budget);
  ~Pipeline() override;

  // Before start(), on a pipeline that takes the place of `before` (same name, after a reload):
  // its counters go on from `before`'s final ones, so totals are kept across the switch and no
  // Prometheus counter goes backwards. `before` has been joined.
  void continue_counts(const Pipeline& before);
  // After join(), for a pipeline a reload removed or replaced: gives back what it held for
  // running (its source with its open files, its workers and their parsers, its pooled
  // buffers). Its counters stay, and so do its targets' encoders and its dead letter: a kept
  // sink may still hold queued items that point at them.
  void release_resources();

  // Told each time one of this pipeline's threads exits (set before start()).
  void set_wakeup(Wakeup* wakeup) { wakeup_ = wakeup; }
  // Binds what the source must bind before it starts (Source::open): a port in use is one line.
  Status open_source();
  // Starts the threads; an error (the process may not create threads) is one line, and the
  // caller aborts and joins the pipeline.
  Status start();
  void request_stop();
  void abort();
  // Ends the system calls the pipeline's threads are blocked in (after abort()).
  void interrupt();
  // True once every stage has drained and exited.
  bool finished() const { return finished_stages_.load() == started_threads_; }
  void join();
  // After join(): destroys the batches left in the queues (an aborted run), so that their
  // events are counted as undelivered before the summary is taken.
  void discard_queued();

  // What the source sees (its calls are made on the ingest thread); public so that the calls
  // can be tested without starting the pipeline's threads.
  SourceContext& source_context() { return *this; }

  const std::string& name() const { return config_.name; }
  const StageCounters& counters(Stage s) const { return counters_[static_cast<int>(s)]; }
  uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
  const LatencyHistogram& latency() const { return *latency_; }
  const DeliveryCounters& outcomes() const { return *outcomes_; }
  // Errors of the sinks this pipeline routes to (its dead letter included), since they started:
  // for the summary line. A sink shared with another pipeline counts in both.
  uint64_t sink_errors() const;
  // Queue fill in front of a stage (parse: the workers; route). Filtering runs in the workers
  // and has no queue of its own.
  size_t queue_bytes(Stage s) const;
  size_t queue_capacity(Stage s) const;
  // True once the ingest thread has entered its source's run (the source is open or opening).
  bool source_entered() const { return source_entered_.load(); }
  // One per worker and one for the route thread, created by start(); read by the watchdog. The
  // ingest thread has none: a source waits for input inside its own poll or read, which cannot
  // be told apart from a hang there, and its blocking calls into the pipeline are backpressure.
  const std::vector<std::unique_ptr<StageHeartbeat>>& heartbeats() const { return heartbeats_; }
  // The source's per-partition lag (a Kafka source; nothing for others); from any thread.
  void partition_lags(std::vector<PartitionLag>& out) const {
    if (source_ != nullptr) {
      source_->partition_lags(out);
    }
  }
  // The source's connections (a TCP source; nullopt for others); from any thread.
  std::optional<SourceConnections> source_connections() const {
    return source_ != nullptr ? source_->connections() : std::nullopt;
  }
  // The drop reasons the source may count its losses under (Source::lost_reasons); from any
  // thread.
  std::span<const DropReason> source_lost_reasons() const { return source_lost_reasons_; }
  // An error the source ended with (unreadable stdin...), empty if none.
  const Status& source_status() const { return source_status_; }

 private:
  Pipeline(const PipelineConfig& config, MemoryBudget& budget);

  // What build()'s steps hand on to each other.
  struct Plan {
    std::vector<std::vector<uint32_t>> route_targets;  // per route: indexes into targets_
    std::optional<uint32_t> dead_letter;               // index into targets_
    std::vector<EncoderOptions> target_options;        // parallel to targets_
    std::vector<std::string> target_files;             // parallel to targets_: a file sink's path
  };
  // build()'s steps, in order.
  Status compile_conditions();
  Status resolve_targets(const std::vector<SinkConfig>& sink_configs,
                         const std::map<std::string, SinkRunner*>& sinks, Plan& plan);
  void declare_types(const Plan& plan);
  Status build_workers(const Plan& plan);
  Status build_source(const Plan& plan);
  // Hands the dead letter to the targets whose sinks send messages (they reject per message).
  Status connect_dead_letter(const Plan& plan);
  Result<EventFilter> compile_filter();
  Result<std::vector<Route>> compile_routes(const Plan& plan);

  // SourceContext, called on the ingest thread.
  bool stopping() const override { return stop_.load(std::memory_order_relaxed); }
  bool aborted() const override { return abort_.load(std::memory_order_relaxed); }
  bool wait_for_stop(std::chrono::milliseconds timeout) override;
  Wake wait_for_stop_or_readable(int fd, std::chrono::milliseconds timeout) override;
  BatchPtr try_new_batch(size_t capacity) override;
  bool try_emit(BatchPtr& batch) override;
  bool wait_for_room(size_t batch_bytes, std::chrono::milliseconds timeout) override;
  BatchPtr new_batch(size_t capacity) override;
  bool emit(BatchPtr batch) override;
  BatchPtr try_new_read_batch(size_t bytes) override;
  BatchPtr new_read_batch(size_t bytes) override;
  void count_lost(DropReason reason, uint64_t events) override;
  // Takes `bytes` from the memory budget if it has them now (and the pipeline is not stopping).
  bool try_acquire(size_t bytes);
  // What a new batch's text holds: nothing, or `capacity` bytes for a read to overwrite.
  enum class BatchText { kEmpty, kForRead };
  // A batch of `capacity` bytes already granted by the budget, with the pipeline's recycled
  // buffers and delivery accounting attached.
  BatchPtr make_batch(size_t capacity, BatchText text);

  // The queue a stage takes its batches from; null for stages without one (ingest, filter).
  const BatchQueue<BatchPtr>* queue_in_front_of(Stage s) const;
  void run_ingest();
  void run_worker(size_t index);
  void process(Batch& batch, size_t worker);
  void run_route();
  void pin(std::thread& t, size_t index);
  void thread_done() {
    finished_stages_.fetch_add(1);
    if (wakeup_ != nullptr) {
      wakeup_->notify();
    }
  }

  struct Target {
    SinkRunner* sink;
    std::unique_ptr<Encoder> encoder;  // for the sink's start (a CSV header)
    // For a sink that sends messages: where it rejects into (null without a dead letter).
    DeadLetter* dead_letter = nullptr;
  };
  // What one worker thread owns: its stages and an encoder per target (they keep caches).
  struct Worker {
    std::unique_ptr<Parser> parser;
    std::optional<EventFilter> filter;
    std::optional<Router> router;
    std::vector<std::unique_ptr<Encoder>> encoders;
    // The parsed fields are dead once a batch is encoded; the worker keeps their buffers for
    // its next batch, so batches waiting for the sinks hold only their text and output.
    std::vector<Field> fields;
    std::vector<int32_t> slot_fields;
  };

  PipelineConfig config_;
  MemoryBudget& budget_;
  // The source's library buffers (Kafka's pre-fetch), held from the budget while the source
  // lives: declared before source_ so that it is given back only after the source is gone.
  MemoryReservation library_buffers_;
  Schema schema_;
  std::unique_ptr<Source> source_;
  std::span<const DropReason> source_lost_reasons_;  // static storage: outlives source_
  std::vector<Worker> workers_;
  bool parse_needed_ = true;
  std::vector<Target> targets_;
  std::shared_ptr<PipelineDeadLetter> dead_letter_;  // when a message sink may reject into it

  std::shared_ptr<BatchRecycler> recycler_;
  std::shared_ptr<LatencyHistogram> latency_ = std::make_shared<LatencyHistogram>();
  std::shared_ptr<DeliveryCounters> outcomes_ = std::make_shared<DeliveryCounters>();
  BatchQueue<BatchPtr> to_parse_;
  BatchQueue<BatchPtr> to_route_;
  std::atomic<int> workers_running_{0};

  std::atomic<bool> stop_{false};
  // Wakes a source sleeping in wait_for_stop() when stop_ is set.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  // The same for a source sleeping in poll() on a descriptor of its own: readable once stop_ is
  // set, never cleared. Made on the first such wait (under stop_mu_), so that pipelines whose
  // source never waits on a descriptor spend no descriptor on it.
  std::unique_ptr<Wakeup> stop_wakeup_;
  std::atomic<bool> abort_{false};
  uint64_t next_sequence_ = 0;
  StageCounters counters_[static_cast<int>(Stage::kCount)];
  std::atomic<uint64_t> bytes_in_{0};
  Status source_status_;
  std::vector<std::thread> threads_;
  int started_threads_ = 0;
  bool pin_warned_ = false;
  std::atomic<int> finished_stages_{0};
  std::atomic<bool> source_entered_{false};
  std::vector<std::unique_ptr<StageHeartbeat>> heartbeats_;  // workers, then route
  StallStage stall_ = test_stall_stage();
  Wakeup* wakeup_ = nullptr;
};

}  // namespace sluice
