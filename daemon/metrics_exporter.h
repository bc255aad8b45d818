// MetricsExporter: the Prometheus endpoint at `metrics.listen` (SPEC §4): /metrics builds every
// metric family when scraped, from the counters the pipelines, sinks and memory budget already
// keep (daemon/runtime_collector.h); /health and /ready answer from ProcessStatus.
// civetweb and the Exposer stay behind this file: their exceptions become a Status here.
// Threading: start() and the destructor run on the main thread; scrapes run on the exporter's own
// HTTP threads and read atomics, holding the Runtime's list lock (a reload swaps pipelines and
// sinks only under it). The Runtime and ProcessStatus must outlive the exporter.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "daemon/process_status.h"
#include "daemon/runtime.h"
#include "stages/status.h"

namespace prometheus {
class Exposer;
}

namespace sluice {

class RuntimeCollector;

class MetricsExporter {
 public:
  // Binds `config.listen` and starts serving. An address that cannot be resolved or bound is one
  // line: "metrics.listen 127.0.0.1:9598: address already in use".
  static Result<std::unique_ptr<MetricsExporter>> start(const MetricsConfig& config,
                                                        const Runtime& runtime,
                                                        const ProcessStatus& status,
                                                        std::string version);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // The port bound (useful when the system chose it).
  int port() const;

 private:
  MetricsExporter() = default;

  std::shared_ptr<RuntimeCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  sockaddr_storage self_{};  // the listening address, loopback for a wildcard (see destructor)
  socklen_t self_length_ = 0;
};

}  // namespace sluice
