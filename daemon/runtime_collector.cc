#include "daemon/runtime_collector.h"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "stages/latency_histogram.h"
#include "stages/stage_counters.h"

namespace sluice {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

namespace {

constexpr std::array<Stage, 4> kStages{Stage::kIngest, Stage::kParse, Stage::kFilter,
                                       Stage::kRoute};
// Where each drop reason arises: these series are always present (at 0), so a dashboard shows a
// flat line rather than no data; another stage's count for a reason shows up once non-zero.
// kCount: a reason only some sources have, present at ingest for the pipelines whose source
// says it may count it (Source::lost_reasons), elsewhere once non-zero.
constexpr std::array<Stage, static_cast<int>(DropReason::kCount)> kStageOfReason{
    Stage::kFilter,  // kFiltered
    Stage::kParse,   // kParseError
    Stage::kIngest,  // kQueueFull
    Stage::kRoute,   // kUnrouted
    Stage::kCount,   // kUdpOverflow
    Stage::kCount,   // kIncompleteRecord
};
// Stages that take their batches from a queue (filtering runs inside the parse workers).
constexpr std::array<Stage, 2> kQueuedStages{Stage::kParse, Stage::kRoute};

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add(MetricFamily& f, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

double as_double(uint64_t v) { return static_cast<double>(v); }

ClientMetric latency_histogram(const std::string& pipeline, const LatencyHistogram& latency) {
  ClientMetric m;
  m.label = {{"pipeline", pipeline}};
  uint64_t cumulative = 0;
  for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
    cumulative += latency.bucket_count(b);
    // The last bucket's bound is +Inf, which the serializer writes as le="+Inf".
    m.histogram.bucket.push_back({cumulative, LatencyHistogram::upper_bound(b)});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = latency.sum();
  return m;
}

}  // namespace

std::vector<MetricFamily> RuntimeCollector::Collect() const {
  std::vector<MetricFamily> out;
  // A reload swaps the pipelines and sinks only under this lock, so none goes away mid-scrape.
  auto lists = runtime_.lock_lists();
  collect_pipelines(out);
  collect_sinks(out);
  collect_process(out);
  return out;
}

void RuntimeCollector::collect_pipelines(std::vector<MetricFamily>& out) const {
  auto in = family("sluice_events_in_total", "Events a stage took in.", MetricType::Counter);
  auto outf = family("sluice_events_out_total", "Events a stage passed on.", MetricType::Counter);
  auto dropped = family("sluice_events_dropped_total",
                        "Events that left a pipeline other than through a sink, by reason.",
                        MetricType::Counter);
  auto bytes =
      family("sluice_bytes_in_total", "Bytes a pipeline's source read.", MetricType::Counter);
  auto queue = family("sluice_queue_bytes", "Bytes queued in front of a stage.", MetricType::Gauge);
  auto capacity = family("sluice_queue_capacity_bytes",
                         "The bound of the queue in front of a stage.", MetricType::Gauge);
  auto blocked =
      family("sluice_backpressure_seconds_total",
             "Time a stage waited on a full queue or on memory_limit.", MetricType::Counter);
  auto latency =
      family("sluice_event_latency_seconds", "Time from ingest to acknowledgement by every sink.",
             MetricType::Histogram);
  auto lag =
      family("sluice_kafka_consumer_lag",
             "Messages between a partition's end and the consumer's position.", MetricType::Gauge);
  auto open_connections = family("sluice_source_open_connections",
                                 "Connections a source is serving now (tcp).", MetricType::Gauge);
  auto connections = family(
      "sluice_source_connections_total",
      "Connections a source accepted, by result: served, or refused over max_connections (tcp).",
      MetricType::Counter);
  for (const auto& p : runtime_.pipelines()) {
    const std::string& name = p->name();
    const std::span<const DropReason> source_reasons = p->source_lost_reasons();
    for (Stage s : kStages) {
      const StageCounters& c = p->counters(s);
      const std::string stage = stage_name(s);
      add(in, {{"pipeline", name}, {"stage", stage}}, as_double(c.events_in.load()));
      add(outf, {{"pipeline", name}, {"stage", stage}}, as_double(c.events_out.load()));
      add(blocked, {{"pipeline", name}, {"stage", stage}}, as_double(c.blocked_ns.load()) * 1e-9);
      for (int r = 0; r < static_cast<int>(DropReason::kCount); ++r) {
        const auto reason = static_cast<DropReason>(r);
        const uint64_t n = c.get_dropped(reason);
        const bool source_counts_it =
            s == Stage::kIngest &&
            std::find(source_reasons.begin(), source_reasons.end(), reason) != source_reasons.end();
        if (n == 0 && kStageOfReason[static_cast<size_t>(r)] != s && !source_counts_it) {
          continue;
        }
        add(dropped, {{"pipeline", name}, {"reason", drop_reason_name(reason)}, {"stage", stage}},
            as_double(n));
      }
    }
    // Outcomes decided past the route stage: a sink's drop policy, and events that reached no
    // outcome (a shutdown that timed out, a sink that gave up).
    const DeliveryCounters& o = p->outcomes();
    add(dropped, {{"pipeline", name}, {"reason", "dropped_by_sink"}, {"stage", "route"}},
        as_double(o.dropped_by_sink.load()));
    add(dropped, {{"pipeline", name}, {"reason", "undelivered"}, {"stage", "route"}},
        as_double(o.undelivered.load()));
    add(bytes, {{"pipeline", name}}, as_double(p->bytes_in()));
    for (Stage s : kQueuedStages) {
      add(queue, {{"pipeline", name}, {"stage", stage_name(s)}}, as_double(p->queue_bytes(s)));
      add(capacity, {{"pipeline", name}, {"stage", stage_name(s)}},
          as_double(p->queue_capacity(s)));
    }
    latency.metric.push_back(latency_histogram(name, p->latency()));
    // Kafka consumer lag: one series per partition the pipeline's Kafka source is assigned now,
    // so a revoked partition takes its series with it (nothing for other sources).
    std::vector<PartitionLag> lags;
    p->partition_lags(lags);
    for (const PartitionLag& l : lags) {
      add(lag, {{"partition", std::to_string(l.partition)}, {"pipeline", name}, {"topic", l.topic}},
          static_cast<double>(l.lag));
    }
    // Connections: only for a source that has them, present from the start (at 0).
    if (const std::optional<SourceConnections> c = p->source_connections()) {
      add(open_connections, {{"pipeline", name}}, as_double(c->open));
      add(connections, {{"pipeline", name}, {"result", "accepted"}}, as_double(c->accepted));
      add(connections, {{"pipeline", name}, {"result", "refused"}}, as_double(c->refused));
    }
  }
  for (auto* f : {&in, &outf, &dropped, &bytes, &queue, &capacity, &blocked, &latency, &lag,
                  &open_connections, &connections}) {
    out.push_back(std::move(*f));
  }
}

void RuntimeCollector::collect_sinks(std::vector<MetricFamily>& out) const {
  auto events = family("sluice_sink_events_total", "Events a sink wrote.", MetricType::Counter);
  auto errors = family("sluice_sink_errors_total", "Failed writes of a sink (each retried).",
                       MetricType::Counter);
  for (const auto& s : runtime_.sinks()) {
    add(events, {{"sink", s->name()}}, as_double(s->events_total()));
    add(errors, {{"sink", s->name()}}, as_double(s->errors_total()));
  }
  out.push_back(std::move(events));
  out.push_back(std::move(errors));
}

void RuntimeCollector::collect_process(std::vector<MetricFamily>& out) const {
  const MemoryBudget& budget = runtime_.budget();
  auto memory = family("sluice_memory_bytes",
                       "Bytes held by event buffers, librdkafka's reserved buffers included.",
                       MetricType::Gauge);
  add(memory, {}, as_double(budget.used()));
  auto limit = family("sluice_memory_limit_bytes", "memory_limit.", MetricType::Gauge);
  add(limit, {}, as_double(budget.limit()));
  auto build = family("sluice_build_info", "The running version (always 1).", MetricType::Gauge);
  add(build, {{"version", version_}}, 1);
  auto reloads = family("sluice_config_reloads_total", "Configuration reloads by outcome.",
                        MetricType::Counter);
  add(reloads, {{"result", "success"}}, as_double(status_.reloads_succeeded.load()));
  add(reloads, {{"result", "failure"}}, as_double(status_.reloads_failed.load()));
  auto last = family("sluice_config_last_reload_success_timestamp_seconds",
                     "Unix time the running configuration took effect.", MetricType::Gauge);
  add(last, {}, status_.last_reload_success_s.load());
  auto start =
      family("process_start_time_seconds", "Unix time the process started.", MetricType::Gauge);
  add(start, {}, status_.start_time_s);
  for (auto* f : {&memory, &limit, &build, &reloads, &last, &start}) {
    out.push_back(std::move(*f));
  }
}

}  // namespace sluice
