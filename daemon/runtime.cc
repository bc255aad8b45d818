#include "daemon/runtime.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "config/sink_kinds.h"
#include "daemon/thread_interrupt.h"
#include "stages/log.h"

namespace sluice {
namespace {

// Each sink's queue; batches there also count against memory_limit.
constexpr size_t kSinkQueueBytes = 16 << 20;

// "850us", "12.8ms", "3.3s", "inf": short enough for the summary line.
std::string format_seconds(double s) {
  char buf[32];
  if (std::isinf(s)) {
    return "inf";
  }
  if (s < 1e-3) {
    std::snprintf(buf, sizeof(buf), "%.0fus", s * 1e6);
  } else if (s < 1) {
    std::snprintf(buf, sizeof(buf), "%.1fms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1fs", s);
  }
  return buf;
}

// A sink of kind `kind` with its runner; what the kind's client library buffers outside the
// batches is reserved from `budget` for as long as the runner lives.
std::unique_ptr<SinkRunner> make_sink_runner(const SinkConfig& config, const SinkKind& kind,
                                             MemoryBudget& budget) {
  auto runner = std::make_unique<SinkRunner>(config.name, kind.make(config), kSinkQueueBytes);
  if (kind.library_buffer_bytes != nullptr) {
    runner->hold_library_buffers(MemoryReservation(&budget, kind.library_buffer_bytes(config)));
  }
  return runner;
}

}  // namespace

Runtime::Runtime(const Config& config)
    : config_(config), budget_(std::make_unique<MemoryBudget>(config.memory_limit)) {}

Runtime::~Runtime() {
  abort_all();
  pipelines_.clear();
  sinks_.clear();
}

Result<std::unique_ptr<Runtime>> Runtime::build(const Config& config) {
  std::unique_ptr<Runtime> rt(new Runtime(config));
  std::map<std::string, SinkRunner*> by_name;
  for (const SinkConfig& sc : config.sinks) {
    // Through the sink table: the kind was accepted by the loader from the same table.
    const SinkKind* kind = find_sink_kind(sc.type);
    if (kind == nullptr) {
      return Status::error(
          "sink " + sc.name + ": sink type '" + sc.type + "' is not built in this version",
          sc.type_position.line, sc.type_position.column);
    }
    rt->sinks_.push_back(make_sink_runner(sc, *kind, *rt->budget_));
    rt->sinks_.back()->set_wakeup(rt->wakeup_.get());
    by_name[sc.name] = rt->sinks_.back().get();
  }
  for (const PipelineConfig& pc : config.pipelines) {
    auto p = Pipeline::build(pc, config.sinks, by_name, *rt->budget_);
    if (!p.ok()) {
      return p.status();
    }
    rt->pipelines_.push_back(std::move(p.value()));
    rt->pipelines_.back()->set_wakeup(rt->wakeup_.get());
  }
  return rt;
}

Status Runtime::open_sources() {
  for (auto& p : pipelines_) {
    if (Status s = p->open_source(); !s.ok()) {
      return s;
    }
  }
  return Status();
}

Status Runtime::start() {
  for (auto& s : sinks_) {
    if (Status st = s->open(); !st.ok()) {
      return Status::error("sink " + s->name() + ": " + st.message());
    }
  }
  install_thread_interrupt();
  started_ = std::chrono::steady_clock::now();
  Status failed;
  for (auto& s : sinks_) {
    if (failed = s->start(); !failed.ok()) {
      break;
    }
  }
  for (size_t i = 0; failed.ok() && i < pipelines_.size(); ++i) {
    failed = pipelines_[i]->start();
  }
  if (!failed.ok()) {
    abort_all();
    join_all();
  }
  return failed;
}

void Runtime::request_stop() {
  for (auto& p : pipelines_) {
    p->request_stop();
  }
}

bool Runtime::finished() const {
  for (const auto& p : pipelines_) {
    if (!p->finished()) {
      return false;
    }
  }
  // Pipelines are done; sinks finish once their queues are drained and written.
  for (const auto& s : sinks_) {
    if (!s->finished()) {
      return false;
    }
  }
  return true;
}

bool Runtime::sources_open() const {
  return std::all_of(pipelines_.begin(), pipelines_.end(),
                     [](const auto& p) { return p->source_entered(); });
}

bool Runtime::any_sink_broken() const {
  for (const auto& s : sinks_) {
    if (s->broken()) {
      return true;
    }
  }
  return false;
}

void Runtime::abort_all() {
  for (auto& p : pipelines_) {
    p->abort();
  }
  for (auto& s : sinks_) {
    s->abort();
  }
}

void Runtime::join_all() {
  for (auto& p : pipelines_) {
    p->join();
  }
  for (auto& s : sinks_) {
    s->join();
  }
}

namespace {

// True when `signal_fd` has a SIGTERM or SIGINT to read (other signals are read and ignored).
bool read_stop_signal(int signal_fd) {
  signalfd_siginfo info{};
  while (::read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
      return true;
    }
  }
  return false;
}

}  // namespace

Runtime::Shutdown Runtime::drain(const std::vector<Pipeline*>& pipelines,
                                 const std::vector<SinkRunner*>& sinks,
                                 std::chrono::duration<double> timeout, int signal_fd) {
  using Clock = std::chrono::steady_clock;
  auto drained = [&] {
    return std::all_of(pipelines.begin(), pipelines.end(),
                       [](Pipeline* p) { return p->finished(); }) &&
           std::all_of(sinks.begin(), sinks.end(), [](SinkRunner* s) { return s->finished(); });
  };
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  Shutdown result = Shutdown::kDrained;
  for (auto now = Clock::now(); !drained(); now = Clock::now()) {
    if (now >= deadline) {
      result = Shutdown::kTimedOut;
      break;
    }
    // Checked again at least every 100 ms in case a notification was taken by another waiter.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    int wait_ms = static_cast<int>(std::min<int64_t>(left.count() + 1, 100));
    pollfd fds[2] = {{wakeup_->fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}};
    ::poll(fds, signal_fd >= 0 ? 2 : 1, wait_ms);
    wakeup_->clear();
    if (signal_fd >= 0 && (fds[1].revents & POLLIN) != 0 && read_stop_signal(signal_fd)) {
      result = Shutdown::kInterrupted;
      break;
    }
  }
  if (result != Shutdown::kDrained) {
    for (Pipeline* p : pipelines) {
      p->abort();
    }
    for (SinkRunner* s : sinks) {
      s->abort();
    }
    // A thread blocked in write(2) or open(2) sees the abort only once that call ends: end it,
    // again and again, since a signal may land just before the thread enters the call.
    constexpr auto kGrace = std::chrono::seconds(2);
    const auto give_up = Clock::now() + kGrace;
    while (!drained() && Clock::now() < give_up) {
      for (Pipeline* p : pipelines) {
        p->interrupt();
      }
      for (SinkRunner* s : sinks) {
        s->interrupt();
      }
      wakeup_->wait(std::chrono::milliseconds(20));
    }
    if (!drained()) {
      return Shutdown::kStuck;
    }
  }
  for (Pipeline* p : pipelines) {
    p->join();
  }
  for (SinkRunner* s : sinks) {
    s->join();
  }
  for (Pipeline* p : pipelines) {
    p->discard_queued();
  }
  for (SinkRunner* s : sinks) {
    s->discard_queued();
  }
  return result;
}

Runtime::Shutdown Runtime::shutdown(std::chrono::duration<double> timeout, int signal_fd) {
  std::vector<Pipeline*> pipelines;
  for (auto& p : pipelines_) {
    pipelines.push_back(p.get());
  }
  std::vector<SinkRunner*> sinks;
  for (auto& s : sinks_) {
    sinks.push_back(s.get());
  }
  return drain(pipelines, sinks, timeout, signal_fd);
}

SinkRunner* Runtime::sink_named(const std::string& name) const {
  for (const auto& s : sinks_) {
    if (s->name() == name) {
      return s.get();
    }
  }
  return nullptr;
}

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Status Runtime::reload(const Config& next_config, const ReloadPlan& plan, bool& stopped_old) {
  stopped_old = false;
  Config next = next_config;
  // Process-wide settings keep their running values (the plan said so in the log).
  next.memory_limit = config_.memory_limit;
  next.metrics = config_.metrics;
  next.data_dir = config_.data_dir;

  // Sinks: a kept one is fed on, unless its last producer is already done (its queue is closing:
  // it cannot take a new one), in which case it is replaced like a changed one.
  std::vector<std::string> replaced = plan.sinks_replaced;
  replaced.insert(replaced.end(), plan.sinks_removed.begin(), plan.sinks_removed.end());
  std::vector<SinkRunner*> held;  // kept sinks, held open by an extra producer until the end
  for (const SinkConfig& sc : next.sinks) {
    SinkRunner* s = sink_named(sc.name);
    if (s == nullptr || contains(replaced, sc.name)) {
      continue;
    }
    if (s->try_add_producer()) {
      held.push_back(s);
    } else {
      replaced.push_back(sc.name);
    }
  }
  auto release_held = [&held] {
    for (SinkRunner* s : held) {
      s->producer_done();
    }
  };

  // Build the new sinks and pipelines and open the new sinks, touching nothing that runs.
  std::vector<std::unique_ptr<SinkRunner>> fresh_sinks;
  std::map<std::string, SinkRunner*> by_name;
  for (const SinkConfig& sc : next.sinks) {
    const bool fresh = contains(replaced, sc.name) || contains(plan.sinks_added, sc.name);
    if (!fresh) {
      by_name[sc.name] = sink_named(sc.name);
      continue;
    }
    const SinkKind* kind = find_sink_kind(sc.type);
    if (kind == nullptr) {
      release_held();
      return Status::error("sink " + sc.name + ": sink type '" + sc.type + "' is not built");
    }
    fresh_sinks.push_back(make_sink_runner(sc, *kind, *budget_));
    fresh_sinks.back()->set_wakeup(wakeup_.get());
    by_name[sc.name] = fresh_sinks.back().get();
  }
  std::map<std::string, std::unique_ptr<Pipeline>> fresh_pipelines;
  std::vector<SinkRunner*> sinks_to_start;
  for (auto& s : fresh_sinks) {
    sinks_to_start.push_back(s.get());
  }
  std::vector<Pipeline*> pipelines_to_start;  // in the new file's order
  Status failed;
  for (const PipelineConfig& pc : next.pipelines) {
    if (contains(plan.kept, pc.name)) {
      continue;
    }
    auto p = Pipeline::build(pc, next.sinks, by_name, *budget_);
    if (!p.ok()) {
      failed = p.status();
      break;
    }
    p.value()->set_wakeup(wakeup_.get());
    pipelines_to_start.push_back(p.value().get());
    fresh_pipelines[pc.name] = std::move(p.value());
  }
  for (size_t i = 0; failed.ok() && i < fresh_sinks.size(); ++i) {
    if (Status st = fresh_sinks[i]->open(); !st.ok()) {
      failed = Status::error("sink " + fresh_sinks[i]->name() + ": " + st.message());
    }
  }
  if (!failed.ok()) {
    fresh_pipelines.clear();  // unstarted: they let go of their sinks
    release_held();
    return failed;
  }

  // Drain what goes: restarted and removed pipelines, and the sinks being replaced (their
  // producers are exactly those pipelines).
  std::vector<Pipeline*> leaving;
  stopped_old = true;
  for (auto& p : pipelines_) {
    if (!contains(plan.kept, p->name())) {
      p->request_stop();
      leaving.push_back(p.get());
    }
  }
  std::vector<SinkRunner*> leaving_sinks;
  for (auto& s : sinks_) {
    if (contains(replaced, s->name())) {
      leaving_sinks.push_back(s.get());
    }
  }
  // A SIGTERM meanwhile waits in the signalfd for the main loop: the drain is bounded anyway.
  const Shutdown drained =
      drain(leaving, leaving_sinks, std::chrono::duration<double>(config_.shutdown_timeout_s), -1);
  if (drained == Shutdown::kStuck) {
    release_held();
    return Status::error(
        "a draining pipeline is blocked in a system call that cannot be interrupted");
  }
  if (drained == Shutdown::kTimedOut) {
    log_warning(
        "reload: shutdown_timeout reached before the replaced pipelines drained; what they "
        "still held is counted as undelivered");
  }

  // Swap: the new lists in the new file's order, under the lock a scrape takes.
  std::vector<std::unique_ptr<SinkRunner>> old_sinks;
  {
    std::lock_guard lock(lists_mu_);
    std::map<std::string, std::unique_ptr<Pipeline>> running;
    for (auto& p : pipelines_) {
      running[p->name()] = std::move(p);
    }
    pipelines_.clear();
    for (const PipelineConfig& pc : next.pipelines) {
      if (contains(plan.kept, pc.name)) {
        pipelines_.push_back(std::move(running[pc.name]));
        continue;
      }
      std::unique_ptr<Pipeline>& p = fresh_pipelines[pc.name];
      if (running[pc.name] != nullptr) {
        p->continue_counts(*running[pc.name]);
      } else {
        auto same = [&pc](const auto& r) { return r->name() == pc.name; };
        auto it = std::find_if(retired_.begin(), retired_.end(), same);
        if (it != retired_.end()) {
          p->continue_counts(**it);
          drained_.push_back(std::move(*it));
          retired_.erase(it);
        }
      }
      pipelines_.push_back(std::move(p));
    }
    for (auto& [name, p] : running) {
      if (p == nullptr) {
        continue;
      }
      p->release_resources();
      (contains(plan.removed, name) ? retired_ : drained_).push_back(std::move(p));
    }
    std::vector<std::unique_ptr<SinkRunner>> sinks;
    for (auto& s : sinks_) {
      (contains(replaced, s->name()) ? old_sinks : sinks).push_back(std::move(s));
    }
    for (auto& s : fresh_sinks) {
      for (auto& before : old_sinks) {
        if (before->name() == s->name()) {
          s->continue_counts(*before);
        }
      }
      sinks.push_back(std::move(s));
    }
    sinks_ = std::move(sinks);
    config_ = next;
  }
  // Drained and joined, with nothing queued: nobody points at them any more.
  old_sinks.clear();

  for (size_t i = 0; failed.ok() && i < sinks_to_start.size(); ++i) {
    failed = sinks_to_start[i]->start();
  }
  // A new or restarted source binds its socket only now, once the pipeline it replaces let go of
  // the port.
  for (size_t i = 0; failed.ok() && i < pipelines_to_start.size(); ++i) {
    failed = pipelines_to_start[i]->open_source();
    if (failed.ok()) {
      failed = pipelines_to_start[i]->start();
    }
  }
  release_held();
  return failed;
}

bool Runtime::any_source_failed() const {
  for (const auto* list : {&pipelines_, &retired_}) {
    for (const auto& p : *list) {
      if (!p->source_status().ok()) {
        return true;
      }
    }
  }
  return false;
}

namespace {

struct Books {
  uint64_t in, out, filtered, dead_lettered, parse_errors, unrouted, queue_full, sink_dropped,
      udp_overflow, incomplete_records, undelivered;
  uint64_t dropped() const {
    return parse_errors + unrouted + queue_full + sink_dropped + udp_overflow + incomplete_records;
  }
  uint64_t accounted() const { return out + filtered + dead_lettered + dropped() + undelivered; }
};

Books books_of(const Pipeline& p) {
  Books b{};
  // Outcomes first, `in` last: read while a stuck run still moves, the difference never goes
  // negative.
  b.out = p.outcomes().delivered.load();
  b.dead_lettered = p.outcomes().dead_lettered.load();
  b.sink_dropped = p.outcomes().dropped_by_sink.load();
  b.undelivered = p.outcomes().undelivered.load();
  b.filtered = p.counters(Stage::kFilter).get_dropped(DropReason::kFiltered);
  b.parse_errors = p.counters(Stage::kParse).get_dropped(DropReason::kParseError);
  b.unrouted = p.counters(Stage::kRoute).get_dropped(DropReason::kUnrouted);
  b.queue_full = p.counters(Stage::kIngest).get_dropped(DropReason::kQueueFull);
  b.udp_overflow = p.counters(Stage::kIngest).get_dropped(DropReason::kUdpOverflow);
  b.incomplete_records = p.counters(Stage::kIngest).get_dropped(DropReason::kIncompleteRecord);
  b.in = p.counters(Stage::kIngest).events_in.load();
  return b;
}

}  // namespace

uint64_t Runtime::unaccounted() const {
  uint64_t total = 0;
  for (const auto* list : {&pipelines_, &retired_}) {
    for (const auto& p : *list) {
      Books b = books_of(*p);
      total += b.in > b.accounted() ? b.in - b.accounted() : 0;
    }
  }
  return total;
}

uint64_t Runtime::undelivered() const {
  uint64_t total = 0;
  for (const auto* list : {&pipelines_, &retired_}) {
    for (const auto& p : *list) {
      total += p->outcomes().undelivered.load();
    }
  }
  return total;
}

std::string Runtime::summary() const {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string out;
  auto number = [&out](const char* name, uint64_t value) {
    out += name;
    out += std::to_string(value);
  };
  std::vector<const Pipeline*> all;
  for (const auto* list : {&pipelines_, &retired_}) {
    for (const auto& p : *list) {
      all.push_back(p.get());
    }
  }
  for (const Pipeline* p : all) {
    Books b = books_of(*p);
    // Built piece by piece: a pipeline name has no length limit here.
    out += "pipeline " + p->name() + ":";
    number(" in=", b.in);
    number(" out=", b.out);
    number(" filtered=", b.filtered);
    number(" dead_lettered=", b.dead_lettered);
    number(" dropped=", b.dropped());
    number(" undelivered=", b.undelivered);
    if (b.in > b.accounted()) {
      // Only a shutdown that had to leave a thread blocked gets here: said, never hidden.
      number(" unaccounted=", b.in - b.accounted());
    }
    number(" (parse_error=", b.parse_errors);
    number(" unrouted=", b.unrouted);
    number(" queue_full=", b.queue_full);
    if (b.udp_overflow > 0) {
      number(" udp_overflow=", b.udp_overflow);
    }
    if (b.incomplete_records > 0) {
      number(" incomplete_record=", b.incomplete_records);
    }
    // Permanent sink failures (a Kafka message refused for good): their events are counted as
    // dead_lettered or undelivered above; this says how many failures the sinks saw.
    if (const uint64_t sink_errors = p->sink_errors(); sink_errors > 0) {
      number(" sink_errors=", sink_errors);
    }
    char rest[160];
    std::snprintf(rest, sizeof(rest), ") %.0f events/s over %.2f s; latency p50<=%s p99<=%s\n",
                  seconds > 0 ? static_cast<double>(b.in) / seconds : 0.0, seconds,
                  format_seconds(p->latency().quantile(0.5)).c_str(),
                  format_seconds(p->latency().quantile(0.99)).c_str());
    out += rest;
    if (std::any_of(retired_.begin(), retired_.end(),
                    [p](const auto& r) { return r.get() == p; })) {
      out.insert(out.size() - 1, " (removed by a reload)");
    }
  }
  return out;
}

}  // namespace sluice
