// Harnesses for the metrics tests: a sluice daemon serving its metrics endpoint on a free port
// while a generated pipeline runs until SIGTERM, a Debian `prometheus` server scraping it every
// second, and a runner for other programs (promtool). Everything listens on 127.0.0.1, every wait
// is a bounded poll, and every process started here is stopped when its object goes away.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/http_util.h"

namespace sluice::e2e {

// The pipeline the metrics tests watch: generated CSV events at `rate` per second, parsed,
// filtered (so `filtered` moves) and routed only when status >= 500 (so `unrouted` moves) into
// DIR/out.ndjson.
constexpr const char* kMetricsPipeline = "web";

class MetricsDaemon {
 public:
  MetricsDaemon(const TempDir& dir, int rate);
  ~MetricsDaemon();  // SIGKILL unless stop() ended it
  MetricsDaemon(const MetricsDaemon&) = delete;
  MetricsDaemon& operator=(const MetricsDaemon&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Polls /ready (bounded, about 10 s) until it answers 200; false if it never does.
  bool wait_ready();
  // SIGTERM, then the exit code (bounded wait).
  int stop();
  std::string err() const;

 private:
  const TempDir& dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Runs `argv` (looked up in PATH) to its end, stdin from `stdin_path` (or /dev/null when empty),
// stdout and stderr through files in `dir`. exit_code is -1 when it could not be started.
RunResult run_program(const std::vector<std::string>& argv, const TempDir& dir,
                      const std::string& stdin_path = "");

// `prometheus` on a free port with its config and TSDB in `dir`, scraping 127.0.0.1:target_port
// as job "sluice" every second and evaluating `rule_files` every second.
class PrometheusServer {
 public:
  PrometheusServer(const TempDir& dir, int target_port, const std::vector<std::string>& rule_files);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  bool started() const { return pid_ > 0; }
  // Polls (bounded, about 30 s) until `up{job="sluice"} == 1` holds, i.e. a scrape succeeded.
  bool wait_target_up();
  // GET /api/v1/query?query=`promql` (evaluated now).
  HttpResponse query(const std::string& promql);
  HttpResponse get(const std::string& target) { return http_get(port_, target); }
  std::string log() const;

 private:
  const TempDir& dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// True when a Prometheus API answer is a success whose `result` holds at least one element.
bool has_data(const HttpResponse& r);

}  // namespace sluice::e2e
