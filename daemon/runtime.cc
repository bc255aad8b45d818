#include "daemon/runtime.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "config/sink_kinds.h"
#include "daemon/thread_interrupt.h"

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
    rt->sinks_.push_back(std::make_unique<SinkRunner>(sc.name, kind->make(sc), kSinkQueueBytes));
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

Runtime::Shutdown Runtime::shutdown(std::chrono::duration<double> timeout, int signal_fd) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  Shutdown result = Shutdown::kDrained;
  for (auto now = Clock::now(); !finished(); now = Clock::now()) {
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
    abort_all();
    // A thread blocked in write(2) or open(2) sees the abort only once that call ends: end it,
    // again and again, since a signal may land just before the thread enters the call.
    constexpr auto kGrace = std::chrono::seconds(2);
    const auto give_up = Clock::now() + kGrace;
    while (!finished() && Clock::now() < give_up) {
      for (auto& p : pipelines_) {
        p->interrupt();
      }
      for (auto& s : sinks_) {
        s->interrupt();
      }
      wakeup_->wait(std::chrono::milliseconds(20));
    }
    if (!finished()) {
      return Shutdown::kStuck;
    }
  }
  join_all();
  for (auto& p : pipelines_) {
    p->discard_queued();
  }
  for (auto& s : sinks_) {
    s->discard_queued();
  }
  return result;
}

bool Runtime::any_source_failed() const {
  for (const auto& p : pipelines_) {
    if (!p->source_status().ok()) {
      return true;
    }
  }
  return false;
}

namespace {

struct Books {
  uint64_t in, out, filtered, dead_lettered, parse_errors, unrouted, queue_full, sink_dropped,
      undelivered;
  uint64_t dropped() const { return parse_errors + unrouted + queue_full + sink_dropped; }
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
  b.in = p.counters(Stage::kIngest).events_in.load();
  return b;
}

}  // namespace

uint64_t Runtime::unaccounted() const {
  uint64_t total = 0;
  for (const auto& p : pipelines_) {
    Books b = books_of(*p);
    total += b.in > b.accounted() ? b.in - b.accounted() : 0;
  }
  return total;
}

uint64_t Runtime::undelivered() const {
  uint64_t total = 0;
  for (const auto& p : pipelines_) {
    total += p->outcomes().undelivered.load();
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
  for (const auto& p : pipelines_) {
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
    char rest[160];
    std::snprintf(rest, sizeof(rest), ") %.0f events/s over %.2f s; latency p50<=%s p99<=%s\n",
                  seconds > 0 ? static_cast<double>(b.in) / seconds : 0.0, seconds,
                  format_seconds(p->latency().quantile(0.5)).c_str(),
                  format_seconds(p->latency().quantile(0.99)).c_str());
    out += rest;
  }
  return out;
}

}  // namespace sluice
