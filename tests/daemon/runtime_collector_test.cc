// RuntimeCollector: what a scrape reads from a runtime that has run a finite pipeline, without
// HTTP in between: values, histogram shape, the bounded label sets, the empty Kafka lag family.
#include "daemon/runtime_collector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "config/config_loader.h"

namespace sluice {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const MetricFamily* find(const std::vector<MetricFamily>& families, const std::string& name) {
  for (const MetricFamily& f : families) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

// The metric of `family` whose labels are exactly `labels`; null if none.
const ClientMetric* metric(const std::vector<MetricFamily>& families, const std::string& family,
                           const std::map<std::string, std::string>& labels) {
  const MetricFamily* f = find(families, family);
  if (f == nullptr) {
    return nullptr;
  }
  for (const ClientMetric& m : f->metric) {
    std::map<std::string, std::string> have;
    for (const auto& l : m.label) {
      have[l.name] = l.value;
    }
    if (have == labels) {
      return &m;
    }
  }
  return nullptr;
}

class RuntimeCollectorTest : public ::testing::Test {
 protected:
  // 1000 generated events, two in three filtered out (sample(3)), the rest routed to a null sink.
  void SetUp() override {
    LoadedConfig loaded = load_config(R"yaml(
memory_limit: 64MiB
pipelines:
  p:
    source: { type: generate, format: csv, count: 1000, seed: 2 }
    parse: { format: csv, columns: [ts, host, method, path, status, bytes, latency_ms, agent] }
    filter: 'sample(3)'
    routes: [{ to: out }]
sinks:
  out: { type: null }
)yaml",
                                      [](const std::string&) { return std::nullopt; });
    ASSERT_TRUE(loaded.ok()) << format_problems(loaded.problems, "<test>");
    auto built = Runtime::build(loaded.config);
    ASSERT_TRUE(built.ok()) << built.status().message();
    runtime_ = std::move(built.value());
    ASSERT_TRUE(runtime_->start().ok());
    ASSERT_EQ(runtime_->shutdown(std::chrono::seconds(60), -1), Runtime::Shutdown::kDrained);
  }

  std::unique_ptr<Runtime> runtime_;
  ProcessStatus status_;
};

TEST_F(RuntimeCollectorTest, CountersAreReadAsTheyStand) {
  RuntimeCollector collector(*runtime_, status_, "9.9.9");
  std::vector<MetricFamily> f = collector.Collect();
  const ClientMetric* in =
      metric(f, "sluice_events_in_total", {{"pipeline", "p"}, {"stage", "ingest"}});
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->counter.value, 1000);
  const ClientMetric* filtered =
      metric(f, "sluice_events_dropped_total",
             {{"pipeline", "p"}, {"stage", "filter"}, {"reason", "filtered"}});
  ASSERT_NE(filtered, nullptr);
  const ClientMetric* written = metric(f, "sluice_sink_events_total", {{"sink", "out"}});
  ASSERT_NE(written, nullptr);
  EXPECT_GT(filtered->counter.value, 0);
  EXPECT_EQ(filtered->counter.value + written->counter.value, 1000);
  EXPECT_EQ(metric(f, "sluice_memory_limit_bytes", {})->gauge.value, 64.0 * 1024 * 1024);
  EXPECT_EQ(metric(f, "sluice_build_info", {{"version", "9.9.9"}})->gauge.value, 1);
  EXPECT_GT(metric(f, "sluice_bytes_in_total", {{"pipeline", "p"}})->counter.value, 0);
}

TEST_F(RuntimeCollectorTest, LatencyIsACumulativeHistogramEndingAtInfinity) {
  RuntimeCollector collector(*runtime_, status_, "1");
  std::vector<MetricFamily> f = collector.Collect();
  ASSERT_EQ(find(f, "sluice_event_latency_seconds")->type, MetricType::Histogram);
  const ClientMetric* m = metric(f, "sluice_event_latency_seconds", {{"pipeline", "p"}});
  ASSERT_NE(m, nullptr);
  const auto written = static_cast<uint64_t>(
      metric(f, "sluice_sink_events_total", {{"sink", "out"}})->counter.value);
  EXPECT_EQ(m->histogram.sample_count, written);
  EXPECT_GT(m->histogram.sample_sum, 0);
  ASSERT_FALSE(m->histogram.bucket.empty());
  for (size_t i = 1; i < m->histogram.bucket.size(); ++i) {
    EXPECT_GE(m->histogram.bucket[i].cumulative_count, m->histogram.bucket[i - 1].cumulative_count);
    EXPECT_GT(m->histogram.bucket[i].upper_bound, m->histogram.bucket[i - 1].upper_bound);
  }
  EXPECT_TRUE(std::isinf(m->histogram.bucket.back().upper_bound));
  EXPECT_EQ(m->histogram.bucket.back().cumulative_count, m->histogram.sample_count);
}

// Only SPEC §4's label names, and drops only where each reason arises while they are zero: a
// bounded, predictable set of series.
TEST_F(RuntimeCollectorTest, LabelSetsAreBounded) {
  RuntimeCollector collector(*runtime_, status_, "1");
  std::vector<MetricFamily> f = collector.Collect();
  const std::set<std::string> allowed{"pipeline", "stage",     "sink",    "reason",
                                      "topic",    "partition", "version", "result"};
  for (const MetricFamily& family : f) {
    for (const ClientMetric& m : family.metric) {
      for (const auto& l : m.label) {
        EXPECT_EQ(allowed.count(l.name), 1u) << family.name << " " << l.name;
      }
    }
  }
  std::set<std::string> drops;
  for (const ClientMetric& m : find(f, "sluice_events_dropped_total")->metric) {
    std::map<std::string, std::string> have;
    for (const auto& l : m.label) {
      have[l.name] = l.value;
    }
    drops.insert(have["stage"] + "/" + have["reason"]);
  }
  EXPECT_EQ(drops, (std::set<std::string>{"filter/filtered", "parse/parse_error",
                                          "ingest/queue_full", "route/unrouted",
                                          "route/dropped_by_sink", "route/undelivered"}));
  const MetricFamily* lag = find(f, "sluice_kafka_consumer_lag");
  ASSERT_NE(lag, nullptr);
  EXPECT_EQ(lag->type, MetricType::Gauge);
  EXPECT_TRUE(lag->metric.empty()) << "no Kafka source, no partition";
}

TEST_F(RuntimeCollectorTest, ReloadsAreCountedByResult) {
  RuntimeCollector collector(*runtime_, status_, "1");
  const double start = status_.start_time_s;
  std::vector<MetricFamily> f = collector.Collect();
  EXPECT_EQ(metric(f, "sluice_config_last_reload_success_timestamp_seconds", {})->gauge.value,
            start);
  EXPECT_EQ(metric(f, "process_start_time_seconds", {})->gauge.value, start);
  status_.record_reload(false);
  status_.record_reload(true);
  status_.record_reload(true);
  f = collector.Collect();
  EXPECT_EQ(metric(f, "sluice_config_reloads_total", {{"result", "success"}})->counter.value, 2);
  EXPECT_EQ(metric(f, "sluice_config_reloads_total", {{"result", "failure"}})->counter.value, 1);
  EXPECT_GE(metric(f, "sluice_config_last_reload_success_timestamp_seconds", {})->gauge.value,
            start);
}

}  // namespace
}  // namespace sluice
