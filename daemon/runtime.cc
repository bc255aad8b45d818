#include "daemon/runtime.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "stages/sinks/file_sink.h"
#include "stages/sinks/stdout_sink.h"

namespace sluice {
namespace {

// Each sink's queue; batches there also count against memory_limit.
constexpr size_t kSinkQueueBytes = 16 << 20;

Result<std::unique_ptr<Sink>> make_sink(const SinkConfig& config) {
  switch (config.type) {
    case SinkConfig::Type::kStdout:
      return std::unique_ptr<Sink>(std::make_unique<StdoutSink>());
    case SinkConfig::Type::kFile:
      return std::unique_ptr<Sink>(std::make_unique<FileSink>(config.path));
    case SinkConfig::Type::kNull:
      return std::unique_ptr<Sink>(std::make_unique<NullSink>());
    case SinkConfig::Type::kTcp:
    case SinkConfig::Type::kKafka:
      break;
  }
  return Status::error("sink " + config.name +
                       ": this sink type is not available in this build yet");
}

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
  for (auto& p : pipelines_) {
    p->abort();
  }
  for (auto& s : sinks_) {
    s->abort();
  }
  pipelines_.clear();
  sinks_.clear();
}

Result<std::unique_ptr<Runtime>> Runtime::build(const Config& config) {
  std::unique_ptr<Runtime> rt(new Runtime(config));
  std::map<std::string, SinkRunner*> by_name;
  for (const SinkConfig& sc : config.sinks) {
    auto sink = make_sink(sc);
    if (!sink.ok()) {
      return sink.status();
    }
    rt->sinks_.push_back(
        std::make_unique<SinkRunner>(sc.name, std::move(sink.value()), kSinkQueueBytes));
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

Status Runtime::start() {
  for (auto& s : sinks_) {
    if (Status st = s->open(); !st.ok()) {
      return Status::error("sink " + s->name() + ": " + st.message());
    }
  }
  started_ = std::chrono::steady_clock::now();
  for (auto& s : sinks_) {
    s->start();
  }
  for (auto& p : pipelines_) {
    p->start();
  }
  return Status();
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

bool Runtime::wait_drained(std::chrono::duration<double> timeout) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  for (auto now = std::chrono::steady_clock::now(); !finished() && now < deadline;
       now = std::chrono::steady_clock::now()) {
    // Checked again at least every 100 ms in case a notification was taken by another waiter.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    wakeup_->wait(std::min(left + std::chrono::milliseconds(1), std::chrono::milliseconds(100)));
  }
  bool clean = finished();
  if (!clean) {
    for (auto& p : pipelines_) {
      p->abort();
    }
    for (auto& s : sinks_) {
      s->abort();
    }
  }
  for (auto& p : pipelines_) {
    p->join();
  }
  for (auto& s : sinks_) {
    s->join();
  }
  return clean;
}

bool Runtime::any_source_failed() const {
  for (const auto& p : pipelines_) {
    if (!p->source_status().ok()) {
      return true;
    }
  }
  return false;
}

std::string Runtime::summary() const {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string out;
  for (const auto& p : pipelines_) {
    const auto& ingest = p->counters(Stage::kIngest);
    uint64_t in = ingest.events_in.load();
    uint64_t routed = p->counters(Stage::kRoute).events_out.load();
    uint64_t filtered = p->counters(Stage::kFilter).get_dropped(DropReason::kFiltered);
    uint64_t parse_errors = p->counters(Stage::kParse).get_dropped(DropReason::kParseError);
    uint64_t unrouted = p->counters(Stage::kRoute).get_dropped(DropReason::kUnrouted);
    uint64_t queue_full = ingest.get_dropped(DropReason::kQueueFull);
    uint64_t dropped = parse_errors + unrouted + queue_full;
    char line[512];
    std::snprintf(
        line, sizeof(line),
        "pipeline %s: in=%llu out=%llu filtered=%llu dead_lettered=%llu dropped=%llu "
        "(parse_error=%llu unrouted=%llu queue_full=%llu) %.0f events/s over %.2f s; "
        "latency p50<=%s p99<=%s\n",
        p->name().c_str(), static_cast<unsigned long long>(in),
        static_cast<unsigned long long>(routed), static_cast<unsigned long long>(filtered),
        static_cast<unsigned long long>(p->dead_lettered()),
        static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(parse_errors),
        static_cast<unsigned long long>(unrouted), static_cast<unsigned long long>(queue_full),
        seconds > 0 ? static_cast<double>(in) / seconds : 0.0, seconds,
        format_seconds(p->latency().quantile(0.5)).c_str(),
        format_seconds(p->latency().quantile(0.99)).c_str());
    out += line;
  }
  return out;
}

}  // namespace sluice
