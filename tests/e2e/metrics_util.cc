#include "tests/e2e/metrics_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include <string>

extern char** environ;

namespace sluice::e2e {
namespace {

// posix_spawnp with stdin from `in` and stdout/stderr appended to `out`/`err`; -1 on failure.
pid_t spawn_program(const std::vector<std::string>& args, const std::string& in,
                    const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

}  // namespace

MetricsDaemon::MetricsDaemon(const TempDir& dir, int rate) : dir_(dir), port_(free_port()) {
  write_file(dir.file("sluice.yaml"),
             "data_dir: " + dir.file("data") + "\nmetrics: { listen: 127.0.0.1:" +
                 std::to_string(port_) + " }\npipelines:\n  " + kMetricsPipeline +
                 ":\n"
                 "    source: { type: generate, format: csv, rate: " +
                 std::to_string(rate) +
                 ", seed: 3 }\n"
                 "    parse:\n"
                 "      format: csv\n"
                 "      columns: [ts, host, method, path, status, bytes, latency_ms, agent]\n"
                 "      types: { status: int, bytes: int, latency_ms: float }\n"
                 "    filter: 'status >= 500 or path =~ \"^/api/v[0-9]+/orders\"'\n"
                 "    routes: [{ when: 'status >= 500', to: out }]\n"
                 "sinks:\n  out: { type: file, path: " +
                 dir.file("out.ndjson") + ", encoding: json }\n");
  pid_ = spawn_sluice({"run", "-c", dir.file("sluice.yaml")}, dir.path());
}

MetricsDaemon::~MetricsDaemon() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    wait_exit(pid_, 100);
  }
}

bool MetricsDaemon::wait_ready() {
  return wait_until([&] { return http_get(port_, "/ready", 1000).status == 200; }, 200);
}

int MetricsDaemon::stop() {
  kill(pid_, SIGTERM);
  int code = wait_exit(pid_, 600);
  pid_ = -1;
  return code;
}

std::string MetricsDaemon::err() const { return read_file(dir_.file("sluice.err")); }

RunResult run_program(const std::vector<std::string>& argv, const TempDir& dir,
                      const std::string& stdin_path) {
  const std::string out = dir.file("program.out"), err = dir.file("program.err");
  pid_t pid = spawn_program(argv, stdin_path.empty() ? "/dev/null" : stdin_path, out, err);
  RunResult result;
  if (pid > 0) {
    result.exit_code = wait_exit(pid, 600);
    result.out = read_file(out);
    result.err = read_file(err);
  }
  return result;
}

PrometheusServer::PrometheusServer(const TempDir& dir, int target_port,
                                   const std::vector<std::string>& rule_files)
    : dir_(dir), port_(free_port()) {
  std::string config =
      "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n";
  config += "rule_files:\n";
  for (const std::string& f : rule_files) {
    config += "  - " + f + "\n";
  }
  config +=
      "scrape_configs:\n  - job_name: sluice\n    static_configs:\n      - targets: ['127.0.0.1:" +
      std::to_string(target_port) + "']\n";
  write_file(dir.file("prometheus.yml"), config);
  pid_ =
      spawn_program({"prometheus", "--config.file=" + dir.file("prometheus.yml"),
                     "--storage.tsdb.path=" + dir.file("tsdb"),
                     "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
                    "/dev/null", dir.file("prometheus.out"), dir.file("prometheus.log"));
}

PrometheusServer::~PrometheusServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    wait_exit(pid_, 100);  // SIGKILL after 10 s
  }
}

bool PrometheusServer::wait_target_up() {
  return wait_until([&] { return has_data(query("up{job=\"sluice\"} == 1")); }, 600);
}

HttpResponse PrometheusServer::query(const std::string& promql) {
  return http_get(port_, "/api/v1/query?query=" + url_encode(promql));
}

std::string PrometheusServer::log() const { return read_file(dir_.file("prometheus.log")); }

bool has_data(const HttpResponse& r) {
  return r.status == 200 && r.body.find("\"status\":\"success\"") != std::string::npos &&
         r.body.find("\"result\":[") != std::string::npos &&
         r.body.find("\"result\":[]") == std::string::npos;
}

}  // namespace sluice::e2e
