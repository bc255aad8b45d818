// Pipeline::build and its named steps: compile the conditions, resolve the targets, declare the
// field types, build the workers, build the source. The configuration was validated by the
// loader, which checks what these steps need; a step still returns a Status (with the position in
// the configuration) rather than trusting that, so `validate`, which runs these same steps,
// reports anything the loader missed instead of `run` failing later.
#include <sched.h>

#include <algorithm>
#include <cassert>

#include "config/limits.h"
#include "config/source_kinds.h"
#include "daemon/pipeline.h"
#include "stages/sinks/file_sink_options.h"

namespace sluice {
namespace {

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

// An expression's error at its place in the configuration file: the expression reports its
// column within its own text, which starts at `at` (exact for a one-line scalar).
Status at_expression(const Status& error, ConfigPosition at, const std::string& what) {
  int column = at.column;
  if (error.line() <= 1 && error.column() > 0) {
    column += error.column() - 1;
  }
  return Status::error(what + ": " + error.message(), at.line, column);
}

}  // namespace

Result<std::unique_ptr<Pipeline>> Pipeline::build(const PipelineConfig& config,
                                                  const std::vector<SinkConfig>& sink_configs,
                                                  const std::map<std::string, SinkRunner*>& sinks,
                                                  MemoryBudget& budget) {
  assert(config.queue_max_bytes >= kMinQueueBytes);
  std::unique_ptr<Pipeline> p(new Pipeline(config, budget));
  Plan plan;
  Status status = p->compile_conditions();
  if (status.ok()) {
    status = p->resolve_targets(sink_configs, sinks, plan);
  }
  if (status.ok()) {
    p->declare_types(plan);
    status = p->build_workers(plan);
  }
  if (status.ok()) {
    status = p->build_source(plan);
  }
  if (status.ok()) {
    status = p->connect_dead_letter(plan);
  }
  if (!status.ok()) {
    // One line naming the pipeline, at the position the step found (else the pipeline's own).
    ConfigPosition at =
        status.line() > 0 ? ConfigPosition{status.line(), status.column()} : config.position;
    return Status::error("pipeline " + config.name + ": " + status.message(), at.line, at.column);
  }
  for (auto& t : p->targets_) {
    t.sink->add_producer();
  }
  return p;
}

Result<EventFilter> Pipeline::compile_filter() {
  if (config_.filter.empty()) {
    return EventFilter(std::nullopt);
  }
  auto expr = Expression::compile(config_.filter, schema_);
  if (!expr.ok()) {
    return at_expression(expr.status(), config_.filter_position, "filter");
  }
  return EventFilter(std::move(expr.value()));
}

Result<std::vector<Route>> Pipeline::compile_routes(const Plan& plan) {
  std::vector<Route> routes;
  for (size_t r = 0; r < config_.routes.size(); ++r) {
    const RouteConfig& rc = config_.routes[r];
    Route route;
    route.continue_ = rc.continue_;
    if (r < plan.route_targets.size()) {
      route.targets = plan.route_targets[r];
    }
    if (!rc.when.empty()) {
      auto expr = Expression::compile(rc.when, schema_);
      if (!expr.ok()) {
        return at_expression(expr.status(), rc.when_position, "route");
      }
      route.when.emplace(std::move(expr.value()));
    }
    routes.push_back(std::move(route));
  }
  return routes;
}

// The filter and the routes' conditions are compiled once here to find errors (and intern their
// field names); each worker compiles its own later: an RE2 keeps a lock-protected cache, and two
// cores sharing one bounce its cache line on every match.
Status Pipeline::compile_conditions() {
  if (auto filter = compile_filter(); !filter.ok()) {
    return filter.status();
  }
  if (auto routes = compile_routes(Plan{}); !routes.ok()) {
    return routes.status();
  }
  return Status();
}

// Targets: one per (sink, dead-letter or not) this pipeline writes to, each with the encoder the
// sink's start uses (a CSV header).
Status Pipeline::resolve_targets(const std::vector<SinkConfig>& sink_configs,
                                 const std::map<std::string, SinkRunner*>& sinks, Plan& plan) {
  std::vector<std::pair<std::string, bool>> keys;
  auto target_for = [&](const std::string& sink, bool dead_letter) -> Result<uint32_t> {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == std::pair(sink, dead_letter)) {
        return static_cast<uint32_t>(i);
      }
    }
    auto runner = sinks.find(sink);
    auto sc = std::find_if(sink_configs.begin(), sink_configs.end(),
                           [&](const SinkConfig& s) { return s.name == sink; });
    if (runner == sinks.end() || sc == sink_configs.end()) {
      return Status::error("unknown sink '" + sink + "'");
    }
    EncoderOptions options = sc->encoding;
    options.dead_letter = dead_letter;
    auto encoder = make_encoder(options, schema_);
    if (!encoder.ok()) {
      return Status::error("sink " + sink + ": " + encoder.status().message(),
                           sc->type_position.line, sc->type_position.column);
    }
    keys.emplace_back(sink, dead_letter);
    plan.target_options.push_back(options);
    plan.target_files.push_back(sc->type == "file" ? sink_options<FileSinkOptions>(*sc).path : "");
    targets_.push_back(Target{runner->second, std::move(encoder.value())});
    return static_cast<uint32_t>(keys.size() - 1);
  };
  for (const RouteConfig& rc : config_.routes) {
    std::vector<uint32_t>& targets = plan.route_targets.emplace_back();
    for (const std::string& sink : rc.to) {
      auto t = target_for(sink, false);
      if (!t.ok()) {
        return t.status();
      }
      targets.push_back(t.value());
    }
  }
  if (!config_.dead_letter.empty()) {
    auto t = target_for(config_.dead_letter, true);
    if (!t.ok()) {
      return t.status();
    }
    plan.dead_letter = t.value();
  }
  return Status();
}

void Pipeline::declare_types(const Plan& plan) {
  for (const auto& [name, type] : config_.parse.types) {
    schema_.declare_type(schema_.intern(name), type);
  }
  // Lines passed through as they are (format none, no conversion, no condition, raw output
  // without a message key) have no field anything reads and cannot fail to parse: the workers
  // skip the parser.
  parse_needed_ = config_.parse.format != ParseOptions::Format::kNone ||
                  !config_.parse.types.empty() || !config_.filter.empty() ||
                  std::any_of(config_.routes.begin(), config_.routes.end(),
                              [](const RouteConfig& rc) { return !rc.when.empty(); }) ||
                  std::any_of(plan.target_options.begin(), plan.target_options.end(),
                              [](const EncoderOptions& o) {
                                return o.kind != EncoderOptions::Kind::kRaw || !o.key.empty();
                              });
}

// The schema is complete now: parsers and framers may be built against it. Each worker gets its
// own parser, conditions and encoders, which keep per-thread caches.
Status Pipeline::build_workers(const Plan& plan) {
  int workers = config_.parse_threads > 0 ? config_.parse_threads : default_workers(config_.cpus);
  for (int i = 0; i < workers; ++i) {
    Worker worker;
    auto filter = compile_filter();
    auto routes = compile_routes(plan);
    if (!filter.ok() || !routes.ok()) {
      return !filter.ok() ? filter.status() : routes.status();
    }
    worker.filter.emplace(std::move(filter.value()));
    worker.router.emplace(std::move(routes.value()), plan.dead_letter, targets_.size());
    auto parser = make_parser(config_.parse, schema_);
    if (!parser.ok()) {
      return Status::error("parse: " + parser.status().to_string());
    }
    worker.parser = std::move(parser.value());
    for (const EncoderOptions& options : plan.target_options) {
      auto encoder = make_encoder(options, schema_);
      if (!encoder.ok()) {
        return Status::error(encoder.status().to_string());
      }
      worker.encoders.push_back(std::move(encoder.value()));
    }
    workers_.push_back(std::move(worker));
  }
  return Status();
}

Status Pipeline::connect_dead_letter(const Plan& plan) {
  if (!plan.dead_letter) {
    return Status();
  }
  std::vector<SinkRunner*> senders;
  for (uint32_t t = 0; t < targets_.size(); ++t) {
    SinkRunner* runner = targets_[t].sink;
    if (t == *plan.dead_letter || !runner->sends_messages()) {
      continue;
    }
    if (dead_letter_ == nullptr) {
      auto encoder = make_encoder(plan.target_options[*plan.dead_letter], schema_);
      if (!encoder.ok()) {
        return Status::error(encoder.status().to_string());
      }
      dead_letter_ = std::make_shared<PipelineDeadLetter>(
          targets_[*plan.dead_letter].sink, std::move(encoder.value()),
          targets_[*plan.dead_letter].encoder.get(), schema_.size(), abort_);
    }
    targets_[t].dead_letter = dead_letter_.get();
    if (std::find(senders.begin(), senders.end(), runner) == senders.end()) {
      senders.push_back(runner);
      dead_letter_->add_sender();
      runner->add_dead_letter(dead_letter_);
    }
  }
  return Status();
}

// Through the source table: the kind was accepted by the loader from the same table.
Status Pipeline::build_source(const Plan& plan) {
  const SourceKind* kind = find_source_kind(config_.source.type);
  if (kind == nullptr) {
    return Status::error("source type '" + config_.source.type + "' is not built in this version",
                         config_.source.type_position.line, config_.source.type_position.column);
  }
  if (config_.exactly_once) {
    // The loader checked that every target is a file sink only this pipeline writes.
    config_.source.exactly_once_outputs = plan.target_files;
  }
  if (kind->library_buffer_bytes != nullptr) {
    library_buffers_ = MemoryReservation(&budget_, kind->library_buffer_bytes(config_.source));
  }
  source_ = kind->make(config_.source, config_.parse, schema_);
  if (source_ != nullptr) {
    source_lost_reasons_ = source_->lost_reasons();
  }
  return Status();
}

}  // namespace sluice
