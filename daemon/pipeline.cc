#include "daemon/pipeline.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cassert>

#include "config/limits.h"
#include "daemon/thread_interrupt.h"
#include "stages/log.h"

namespace sluice {
namespace {

// Stages wake at once when an item arrives, when their input closes and on abort(); the
// timeout is only a safety net (a consumer just going to sleep as abort() wakes the others), so
// it is long: every wake-up of an idle stage costs CPU, times three threads per pipeline.
constexpr auto kPollTimeout = std::chrono::milliseconds(1000);

// The pipeline's queue budget is split over its queues; each holds at least one batch, which
// the loader guarantees (config/limits.h).
size_t share_of(uint64_t max_bytes) {
  return std::max<size_t>(static_cast<size_t>(max_bytes / kPipelineQueues), kMinQueueShareBytes);
}

}  // namespace

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::kIngest:
      return "ingest";
    case Stage::kParse:
      return "parse";
    case Stage::kFilter:
      return "filter";
    case Stage::kRoute:
      return "route";
    case Stage::kCount:
      break;
  }
  return "?";
}

Pipeline::Pipeline(const PipelineConfig& config, MemoryBudget& budget)
    : config_(config),
      budget_(budget),
      recycler_(std::make_shared<BatchRecycler>(16)),
      to_parse_(share_of(config.queue_max_bytes)),
      to_route_(share_of(config.queue_max_bytes)) {}

Pipeline::~Pipeline() {
  abort();
  join();
  if (threads_.empty()) {
    // Built but never started (a reload that gave up): the route thread that would say so never
    // ran, so the sinks hear here that this producer is done.
    for (auto& t : targets_) {
      t.sink->producer_done();
    }
  }
}

void Pipeline::continue_counts(const Pipeline& before) {
  assert(threads_.empty());
  for (int s = 0; s < static_cast<int>(Stage::kCount); ++s) {
    const StageCounters& from = before.counters_[s];
    StageCounters& to = counters_[s];
    to.events_in.store(from.events_in.load());
    to.events_out.store(from.events_out.load());
    to.blocked_ns.store(from.blocked_ns.load());
    for (int r = 0; r < static_cast<int>(DropReason::kCount); ++r) {
      to.dropped[r].store(from.dropped[r].load());
    }
  }
  bytes_in_.store(before.bytes_in());
  // Shared, not copied: a batch of `before` still settling (a sink's delivery report) counts
  // into the same books.
  latency_ = before.latency_;
  outcomes_ = before.outcomes_;
}

void Pipeline::release_resources() {
  source_.reset();
  workers_.clear();
  recycler_.reset();
  heartbeats_.clear();
}

void Pipeline::pin(std::thread& t, size_t index) {
  if (config_.cpus.empty()) {
    return;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpu = config_.cpus[index % config_.cpus.size()];
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(t.native_handle(), sizeof(set), &set) != 0 && !pin_warned_) {
    // Once per pipeline, not once per thread: the cause (a CPU outside the cpuset) is the same.
    pin_warned_ = true;
    log_warning("pipeline " + config_.name + ": cannot pin threads to CPU " + std::to_string(cpu) +
                "; they run unpinned");
  }
}

Status Pipeline::start() {
  size_t index = 0;
  // Threads are named "<stage>:<pipeline>" (15 bytes at most) so `top -H` shows who is busy.
  auto spawn = [&](auto fn, const std::string& stage) -> Status {
    try {
      threads_.emplace_back(fn);
    } catch (const std::system_error& e) {
      return Status::error("pipeline " + config_.name + ": cannot start its " + stage +
                           " thread: " + thread_error(e));
    }
    ++started_threads_;
    std::string name = (stage + ":" + config_.name).substr(0, 15);
    pthread_setname_np(threads_.back().native_handle(), name.c_str());
    pin(threads_.back(), index++);
    return Status();
  };
  workers_running_.store(static_cast<int>(workers_.size()));
  for (size_t i = 0; i < workers_.size(); ++i) {
    heartbeats_.push_back(
        std::make_unique<StageHeartbeat>("worker" + std::to_string(i) + ":" + config_.name));
  }
  heartbeats_.push_back(std::make_unique<StageHeartbeat>("route:" + config_.name));
  // Consumers first: a pipeline whose later threads cannot start is aborted, and a source that
  // had started reading would have to be told to drop what it read.
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (Status s = spawn([this, i] { run_worker(i); }, "worker" + std::to_string(i)); !s.ok()) {
      return s;
    }
  }
  if (Status s = spawn([this] { run_route(); }, "route"); !s.ok()) {
    return s;
  }
  return spawn([this] { run_ingest(); }, "ingest");
}

Status Pipeline::open_source() {
  if (Status s = source_->open(); !s.ok()) {
    return Status::error("pipeline " + config_.name + ": " + s.message());
  }
  return Status();
}

void Pipeline::interrupt() {
  for (auto& t : threads_) {
    if (t.joinable()) {
      interrupt_thread(t);
    }
  }
}

void Pipeline::request_stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_.store(true);
    if (stop_wakeup_ != nullptr) {
      stop_wakeup_->notify();
    }
  }
  stop_cv_.notify_all();
}

bool Pipeline::wait_for_stop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, timeout, [this] { return stop_.load(); });
  return stop_.load();
}

SourceContext::Wake Pipeline::wait_for_stop_or_readable(int fd, std::chrono::milliseconds timeout) {
  if (fd < 0) {
    return wait_for_stop(timeout) ? Wake::kStopping : Wake::kTimedOut;
  }
  int stop_fd = -1;
  {
    std::lock_guard lock(stop_mu_);
    if (stop_.load()) {
      return Wake::kStopping;
    }
    if (stop_wakeup_ == nullptr) {
      stop_wakeup_ = std::make_unique<Wakeup>();
    }
    stop_fd = stop_wakeup_->fd();
  }
  if (stop_fd < 0) {
    // No eventfd to be had (out of descriptors): the default looks at the flag every 20 ms.
    return SourceContext::wait_for_stop_or_readable(fd, timeout);
  }
  // A stop after the check above has made stop_fd readable: poll() returns at once.
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::max(
        std::chrono::milliseconds(0),
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()));
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (stop_.load()) {
      return Wake::kStopping;
    }
    if (n > 0 && fds[0].revents != 0) {
      return Wake::kReadable;
    }
    if (n == 0) {
      return Wake::kTimedOut;
    }
    // EINTR (a thread interrupt during an abort): the flags are looked at again.
  }
}

void Pipeline::abort() {
  request_stop();
  abort_.store(true);
  to_parse_.wake_consumers();
  to_route_.wake_consumers();
}

void Pipeline::join() {
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
}

void Pipeline::discard_queued() {
  to_parse_.clear();
  to_route_.clear();
}

const BatchQueue<BatchPtr>* Pipeline::queue_in_front_of(Stage s) const {
  switch (s) {
    case Stage::kParse:
      return &to_parse_;
    case Stage::kRoute:
      return &to_route_;
    default:
      return nullptr;
  }
}

size_t Pipeline::queue_bytes(Stage s) const {
  const auto* q = queue_in_front_of(s);
  return q != nullptr ? q->bytes() : 0;
}

size_t Pipeline::queue_capacity(Stage s) const {
  const auto* q = queue_in_front_of(s);
  return q != nullptr ? q->capacity() : 0;
}

BatchPtr Pipeline::new_batch(size_t capacity) {
  return budget_.acquire(capacity, stop_) ? make_batch(capacity, BatchText::kEmpty) : nullptr;
}

BatchPtr Pipeline::try_new_batch(size_t capacity) {
  return try_acquire(capacity) ? make_batch(capacity, BatchText::kEmpty) : nullptr;
}

BatchPtr Pipeline::new_read_batch(size_t bytes) {
  return budget_.acquire(bytes, stop_) ? make_batch(bytes, BatchText::kForRead) : nullptr;
}

BatchPtr Pipeline::try_new_read_batch(size_t bytes) {
  return try_acquire(bytes) ? make_batch(bytes, BatchText::kForRead) : nullptr;
}

bool Pipeline::try_acquire(size_t bytes) { return !stopping() && budget_.try_acquire(bytes); }

bool Pipeline::try_emit(BatchPtr& batch) {
  // The ingest thread is the queue's only producer: room seen here is still there in emit(),
  // which therefore does not block.
  if (!config_.drop_newest && !to_parse_.has_room()) {
    return false;  // nothing counted: the batch has not entered the pipeline
  }
  emit(std::move(batch));
  return true;
}

bool Pipeline::wait_for_room(size_t batch_bytes, std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  bool room = config_.drop_newest || to_parse_.wait_for_space(deadline, abort_);
  if (room && batch_bytes > 0) {
    room = budget_.wait_for_room(batch_bytes, deadline, stop_);
  }
  counters_[static_cast<int>(Stage::kIngest)].blocked_ns.fetch_add(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count()),
      std::memory_order_relaxed);
  return room;
}

BatchPtr Pipeline::make_batch(size_t capacity, BatchText text) {
  auto batch = std::make_unique<Batch>();
  if (text == BatchText::kForRead) {
    recycler_->take_for_read(*batch, capacity);
  } else {
    recycler_->take(*batch);
    batch->text.reserve(capacity);
  }
  batch->recycler = recycler_;
  batch->latency = latency_;
  batch->outcomes = outcomes_;
  batch->lease = MemoryLease(&budget_, capacity);
  return batch;
}

bool Pipeline::emit(BatchPtr batch) {
  auto& ingest = counters_[static_cast<int>(Stage::kIngest)];
  uint64_t events = batch->events.size();
  ingest.add_in(events);
  bytes_in_.fetch_add(batch->text.size(), std::memory_order_relaxed);
  // A sequence number is used only by a batch that enters the queue: the route thread waits for
  // every number in turn, so a dropped batch must not leave a gap.
  batch->sequence = next_sequence_;
  batch->created = std::chrono::steady_clock::now();
  // From here on every event of the batch is owed an outcome; if the batch dies first (abort),
  // its destructor counts them as undelivered.
  batch->pending = static_cast<uint32_t>(events);
  size_t bytes = batch->bytes();
  if (config_.drop_newest) {
    if (!to_parse_.try_push(batch, bytes)) {
      // Refused, the batch stays here: its events are dropped (and counted), not owed.
      batch->pending = 0;
      ingest.add_dropped(DropReason::kQueueFull, events);
      return true;  // the batch is dropped (explicitly configured), the source goes on
    }
  } else if (!to_parse_.push(std::move(batch), bytes, abort_, &ingest.blocked_ns)) {
    return false;
  }
  ++next_sequence_;
  ingest.add_out(events);
  return true;
}

void Pipeline::count_lost(DropReason reason, uint64_t events) {
  auto& ingest = counters_[static_cast<int>(Stage::kIngest)];
  // The drop first: a scrape that reads `in` last never sees more in than accounted for.
  ingest.add_dropped(reason, events);
  ingest.add_in(events);
}

void Pipeline::run_ingest() {
  source_entered_.store(true);
  if (wakeup_ != nullptr) {
    wakeup_->notify();  // the main thread may now tell systemd the service is ready
  }
  source_status_ = source_->run(*this);
  if (!source_status_.ok()) {
    log_error("pipeline " + config_.name + ": " + source_status_.message());
  }
  to_parse_.close();
  thread_done();
}

void Pipeline::run_worker(size_t index) {
  auto& counters = counters_[static_cast<int>(Stage::kParse)];
  while (!abort_.load()) {
    BatchPtr batch;
    if (!to_parse_.pop(batch, kPollTimeout)) {
      if (to_parse_.closed_and_empty()) {
        break;
      }
      continue;
    }
    StageHeartbeat& heartbeat = *heartbeats_[index];
    heartbeat.busy();
    if (stall_ == StallStage::kParse) {
      stall_until(stop_);  // test fault switch (daemon/test_stall.h)
    }
    process(*batch, index);
    heartbeat.not_busy();  // a full queue ahead is backpressure, not a hang
    size_t bytes = batch->bytes();
    if (!to_route_.push(std::move(batch), bytes, abort_, &counters.blocked_ns)) {
      break;
    }
  }
  if (workers_running_.fetch_sub(1) == 1) {
    to_route_.close();
  }
  thread_done();
}

void Pipeline::process(Batch& batch, size_t worker) {
  Worker& w = workers_[worker];
  auto& parse = counters_[static_cast<int>(Stage::kParse)];
  auto& filter = counters_[static_cast<int>(Stage::kFilter)];
  auto& route = counters_[static_cast<int>(Stage::kRoute)];

  uint64_t n = batch.events.size();
  batch.fields.swap(w.fields);
  batch.slot_fields.swap(w.slot_fields);
  if (parse_needed_) {
    batch.slot_fields.reserve(n * schema_.size());
    w.parser->parse(batch);
  } else {
    for (Event& e : batch.events) {
      if (e.state == EventState::kFramed) {
        e.state = EventState::kParsed;
      }
    }
  }
  uint64_t errors = 0;
  for (const Event& e : batch.events) {
    errors += e.state == EventState::kParseError;
  }
  // Parse errors are counted as dropped below, once routing knows whether a dead letter takes
  // them instead.
  parse.add_in(n);
  parse.add_out(n - errors);

  uint64_t filtered = w.filter->apply(batch);
  filter.add_in(n - errors);
  filter.add_out(n - errors - filtered);
  filter.add_dropped(DropReason::kFiltered, filtered);

  RouteCounts rc = w.router->route(batch);
  route.add_in(rc.routed + rc.unrouted + rc.dead_lettered + rc.parse_errors_dropped);
  route.add_out(rc.routed);
  route.add_dropped(DropReason::kUnrouted, rc.unrouted);
  parse.add_dropped(DropReason::kParseError, rc.parse_errors_dropped);
  // Filtered and dropped events have their outcome; the routed ones wait for their sinks.
  batch.routed = static_cast<uint32_t>(rc.routed);
  batch.dead_letters = static_cast<uint32_t>(rc.dead_lettered);
  batch.pending = batch.routed + batch.dead_letters;

  batch.encoded.resize(targets_.size());
  for (size_t t = 0; t < targets_.size(); ++t) {
    w.encoders[t]->encode(batch, batch.targets[t], batch.encoded[t]);
  }
  w.fields.swap(batch.fields);
  w.slot_fields.swap(batch.slot_fields);
  w.fields.clear();
  w.slot_fields.clear();
  batch.update_lease();
}

void Pipeline::run_route() {
  auto& counters = counters_[static_cast<int>(Stage::kRoute)];
  // Parallel workers finish batches out of order; sinks get them in sequence order.
  std::map<uint64_t, BatchPtr> waiting;
  std::vector<uint32_t> to_sinks;  // the targets a batch has events for (reused)
  uint64_t next = 0;
  while (!abort_.load()) {
    BatchPtr batch;
    if (!to_route_.pop(batch, kPollTimeout)) {
      if (to_route_.closed_and_empty()) {
        break;
      }
      continue;
    }
    StageHeartbeat& heartbeat = *heartbeats_.back();
    heartbeat.busy();
    if (stall_ == StallStage::kRoute) {
      stall_until(stop_);  // test fault switch (daemon/test_stall.h)
    }
    waiting.emplace(batch->sequence, std::move(batch));
    // What follows is the hand-off to the sinks: a wait there is backpressure.
    heartbeat.not_busy();
    while (!waiting.empty() && waiting.begin()->first == next && !abort_.load()) {
      BatchPtr owned = std::move(waiting.begin()->second);
      waiting.erase(waiting.begin());
      ++next;
      to_sinks.clear();
      for (uint32_t t = 0; t < targets_.size(); ++t) {
        if (!owned->targets[t].empty()) {
          to_sinks.push_back(t);
        }
      }
      // From here on the batch belongs to its tokens: the sinks may settle and recycle it while
      // later targets are still being handed theirs, so only `to_sinks` is read below.
      std::vector<DeliveryToken> tokens =
          Batch::share(std::move(owned), static_cast<uint32_t>(to_sinks.size()));
      bool pushing = true;
      for (size_t i = 0; i < to_sinks.size() && pushing; ++i) {
        const uint32_t t = to_sinks[i];
        SinkItem item{std::move(tokens[i]), targets_[t].encoder.get(), t, targets_[t].dead_letter};
        pushing = targets_[t].sink->push(std::move(item), abort_, &counters.blocked_ns);
      }
      // A token that could not be handed to its sink (abort) dies here unresolved: the batch is
      // not delivered.
    }
  }
  if (!waiting.empty() && !abort_.load()) {
    // A gap in the sequence would strand these batches: a bug, but never a silent one.
    log_error("pipeline " + config_.name + ": " + std::to_string(waiting.size()) +
              " batches stranded waiting for batch " + std::to_string(next));
  }
  for (auto& t : targets_) {
    t.sink->producer_done();
  }
  thread_done();
}

uint64_t Pipeline::sink_errors() const {
  uint64_t total = 0;
  for (const Target& target : targets_) {
    total += target.sink->errors_total();
  }
  return total;
}

}  // namespace sluice
