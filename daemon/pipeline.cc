#include "daemon/pipeline.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>

#include "daemon/thread_interrupt.h"
#include "stages/ingest/file_source.h"
#include "stages/ingest/generate_source.h"
#include "stages/ingest/record_framer.h"
#include "stages/ingest/stdin_source.h"
#include "stages/log.h"

namespace sluice {
namespace {

// Stages wake at once when an item arrives, when their input closes and on abort(); the
// timeout is only a safety net (a consumer just going to sleep as abort() wakes the others), so
// it is long: every wake-up of an idle stage costs CPU, times three threads per pipeline.
constexpr auto kPollTimeout = std::chrono::milliseconds(1000);

size_t share_of(uint64_t max_bytes, int parts) {
  // The pipeline's queue budget is split over its queues; each holds at least one batch.
  return std::max<size_t>(static_cast<size_t>(max_bytes) / static_cast<size_t>(parts), 1 << 20);
}

// Without `threads.parse`: one worker per CPU the pipeline may run on (its `cpus`, else the
// process's affinity mask, which honours taskset and cgroup cpusets), at most 16.
int default_workers(const std::vector<int>& cpus) {
  int n = static_cast<int>(cpus.size());
  if (n == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  }
  return std::clamp(n, 1, 16);
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
      to_parse_(share_of(config.queue_max_bytes, 2)),
      to_route_(share_of(config.queue_max_bytes, 2)) {}

Pipeline::~Pipeline() {
  abort();
  join();
}

Result<std::unique_ptr<Pipeline>> Pipeline::build(const PipelineConfig& config,
                                                  const std::vector<SinkConfig>& sink_configs,
                                                  const std::map<std::string, SinkRunner*>& sinks,
                                                  MemoryBudget& budget) {
  std::unique_ptr<Pipeline> p(new Pipeline(config, budget));
  auto fail = [&](const std::string& message) {
    return Status::error("pipeline " + config.name + ": " + message);
  };

  // The filter and the routes' conditions are compiled once per worker: an RE2 keeps a
  // lock-protected cache, and two cores sharing one bounce its cache line on every match.
  auto compile_filter = [&]() -> Result<EventFilter> {
    if (config.filter.empty()) {
      return EventFilter(std::nullopt);
    }
    auto expr = Expression::compile(config.filter, p->schema_);
    if (!expr.ok()) {
      return fail("filter: " + expr.status().to_string());
    }
    return EventFilter(std::move(expr.value()));
  };
  auto compile_when = [&](const RouteConfig& rc, Route& route) -> Status {
    if (!rc.when.empty()) {
      auto expr = Expression::compile(rc.when, p->schema_);
      if (!expr.ok()) {
        return fail("route: " + expr.status().to_string());
      }
      route.when.emplace(std::move(expr.value()));
    }
    return Status();
  };
  if (auto filter = compile_filter(); !filter.ok()) {
    return filter.status();
  }

  // Targets: one per (sink, dead-letter or not) this pipeline writes to.
  std::vector<std::pair<std::string, bool>> target_keys;
  std::vector<EncoderOptions> target_options;
  auto target_for = [&](const std::string& sink, bool dead_letter) -> Result<uint32_t> {
    for (size_t i = 0; i < target_keys.size(); ++i) {
      if (target_keys[i] == std::pair(sink, dead_letter)) {
        return static_cast<uint32_t>(i);
      }
    }
    auto runner = sinks.find(sink);
    auto sc = std::find_if(sink_configs.begin(), sink_configs.end(),
                           [&](const SinkConfig& s) { return s.name == sink; });
    if (runner == sinks.end() || sc == sink_configs.end()) {
      return fail("unknown sink '" + sink + "'");
    }
    EncoderOptions options = sc->encoding;
    options.dead_letter = dead_letter;
    auto encoder = make_encoder(options, p->schema_);
    if (!encoder.ok()) {
      return fail("sink " + sink + ": " + encoder.status().to_string());
    }
    target_keys.emplace_back(sink, dead_letter);
    target_options.push_back(options);
    p->targets_.push_back(Target{runner->second, std::move(encoder.value())});
    return static_cast<uint32_t>(target_keys.size() - 1);
  };

  std::vector<Route> routes;
  for (const RouteConfig& rc : config.routes) {
    Route route;
    route.continue_ = rc.continue_;
    if (Status st = compile_when(rc, route); !st.ok()) {
      return st;
    }
    for (const std::string& sink : rc.to) {
      auto t = target_for(sink, false);
      if (!t.ok()) {
        return t.status();
      }
      route.targets.push_back(t.value());
    }
    routes.push_back(std::move(route));
  }
  std::optional<uint32_t> dead_letter;
  if (!config.dead_letter.empty()) {
    auto t = target_for(config.dead_letter, true);
    if (!t.ok()) {
      return t.status();
    }
    dead_letter = t.value();
  }
  for (const auto& [name, type] : config.parse.types) {
    p->schema_.declare_type(p->schema_.intern(name), type);
  }

  // Lines passed through as they are (format none, no conversion, no condition, raw output
  // without a message key) have no field anything reads and cannot fail to parse: the workers skip
  // the parser.
  p->parse_needed_ =
      config.parse.format != ParseOptions::Format::kNone || !config.parse.types.empty() ||
      !config.filter.empty() ||
      std::any_of(config.routes.begin(), config.routes.end(),
                  [](const RouteConfig& rc) { return !rc.when.empty(); }) ||
      std::any_of(target_options.begin(), target_options.end(), [](const EncoderOptions& o) {
        return o.kind != EncoderOptions::Kind::kRaw || !o.key.empty();
      });

  // The schema is complete now: parsers and framers may be built against it. Each worker gets
  // its own parser and encoders, which keep per-thread caches.
  int workers = config.parse_threads > 0 ? config.parse_threads : default_workers(config.cpus);
  for (int i = 0; i < workers; ++i) {
    Worker worker;
    // Compiled fine above, so these cannot fail.
    worker.filter.emplace(compile_filter().value());
    std::vector<Route> own_routes;
    for (size_t r = 0; r < routes.size(); ++r) {
      Route route;
      route.continue_ = routes[r].continue_;
      route.targets = routes[r].targets;
      (void)compile_when(config.routes[r], route);
      own_routes.push_back(std::move(route));
    }
    worker.router.emplace(std::move(own_routes), dead_letter, p->targets_.size());
    auto parser = make_parser(config.parse, p->schema_);
    if (!parser.ok()) {
      return fail("parse: " + parser.status().to_string());
    }
    worker.parser = std::move(parser.value());
    for (const EncoderOptions& options : target_options) {
      auto encoder = make_encoder(options, p->schema_);
      if (!encoder.ok()) {
        return fail(encoder.status().to_string());  // unreachable: the same options built above
      }
      worker.encoders.push_back(std::move(encoder.value()));
    }
    p->workers_.push_back(std::move(worker));
  }

  const SourceConfig& sc = config.source;
  StreamReaderOptions reader;
  reader.max_event_bytes = sc.max_event_bytes;
  const ParseOptions& parse = p->config_.parse;
  const Schema& schema = p->schema_;
  switch (sc.type) {
    case SourceConfig::Type::kStdin:
      p->source_ = std::make_unique<StdinSource>(make_framer(parse, schema), reader);
      break;
    case SourceConfig::Type::kFile: {
      FileSourceOptions options;
      options.paths = sc.paths;
      options.read_from_end = sc.read_from_end;
      options.follow = sc.follow;
      options.reader = reader;
      p->source_ = std::make_unique<FileSource>(
          options, [&parse, &schema] { return make_framer(parse, schema); });
      break;
    }
    case SourceConfig::Type::kGenerate: {
      GenerateSourceOptions options;
      if (!EventGenerator::parse_format(sc.format, options.format)) {
        return fail("generate: unknown format '" + sc.format + "'");
      }
      options.count = sc.count;
      options.rate = sc.rate;
      options.seed = sc.seed;
      p->source_ = std::make_unique<GenerateSource>(make_framer(parse, schema), options);
      break;
    }
    case SourceConfig::Type::kTcp:
    case SourceConfig::Type::kUdp:
    case SourceConfig::Type::kKafka:
      return fail("this source type is not available in this build yet");
  }
  for (auto& t : p->targets_) {
    t.sink->add_producer();
  }
  return p;
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
  }
  stop_cv_.notify_all();
}

bool Pipeline::wait_for_stop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, timeout, [this] { return stop_.load(); });
  return stop_.load();
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
  if (!budget_.acquire(capacity, stop_)) {
    return nullptr;
  }
  auto batch = std::make_unique<Batch>();
  recycler_->take(*batch);
  batch->recycler = recycler_;
  batch->latency = latency_;
  batch->outcomes = outcomes_;
  batch->lease = MemoryLease(&budget_, capacity);
  batch->text.reserve(capacity);
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

void Pipeline::run_ingest() {
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
    process(*batch, index);
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
    waiting.emplace(batch->sequence, std::move(batch));
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
        SinkItem item{std::move(tokens[i]), targets_[t].encoder.get(), t};
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

}  // namespace sluice
