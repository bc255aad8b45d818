// RuntimeCollector: the metric families of SPEC §4, built each time Prometheus scrapes, from the
// plain counters the pipelines, sinks and memory budget keep anyway (a prometheus::Collectable:
// nothing is registered or updated on the data path). Label values are configuration names and
// fixed enumerations only, so the series stay bounded; a pipeline that is gone has no series.
// Threading: Collect() runs on the metrics exporter's HTTP threads and only reads atomics; the
// Runtime and ProcessStatus must outlive the collector.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

#include "daemon/process_status.h"
#include "daemon/runtime.h"

namespace sluice {

class RuntimeCollector : public prometheus::Collectable {
 public:
  RuntimeCollector(const Runtime& runtime, const ProcessStatus& status, std::string version)
      : runtime_(runtime), status_(status), version_(std::move(version)) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  void collect_pipelines(std::vector<prometheus::MetricFamily>& out) const;
  void collect_sinks(std::vector<prometheus::MetricFamily>& out) const;
  void collect_process(std::vector<prometheus::MetricFamily>& out) const;

  const Runtime& runtime_;
  const ProcessStatus& status_;
  std::string version_;
};

}  // namespace sluice
