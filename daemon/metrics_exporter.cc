#include "daemon/metrics_exporter.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "stages/latency_histogram.h"
#include "stages/stage_counters.h"

namespace sluice {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Builds the metric families of SPEC §4 at each scrape from the runtime's plain counters. Label
// values are configuration names and fixed enumerations only, so the series stay bounded.
class RuntimeCollector : public prometheus::Collectable {
 public:
  RuntimeCollector(const Runtime& runtime, const ProcessStatus& status, std::string version)
      : runtime_(runtime), status_(status), version_(std::move(version)) {}

  std::vector<MetricFamily> Collect() const override;

 private:
  void collect_pipelines(std::vector<MetricFamily>& out) const;
  void collect_sinks(std::vector<MetricFamily>& out) const;
  void collect_process(std::vector<MetricFamily>& out) const;

  const Runtime& runtime_;
  const ProcessStatus& status_;
  std::string version_;
};

namespace {

constexpr std::array<Stage, 4> kStages{Stage::kIngest, Stage::kParse, Stage::kFilter,
                                       Stage::kRoute};
// Where each drop reason arises: these series are always present (at 0), so a dashboard shows a
// flat line rather than no data; another stage's count for a reason shows up once non-zero.
constexpr std::array<Stage, static_cast<int>(DropReason::kCount)> kStageOfReason{
    Stage::kFilter,  // kFiltered
    Stage::kParse,   // kParseError
    Stage::kIngest,  // kQueueFull
    Stage::kRoute,   // kUnrouted
};
// Stages that take their batches from a queue (filtering runs inside the parse workers).
constexpr std::array<Stage, 2> kQueuedStages{Stage::kParse, Stage::kRoute};

// One consumed partition's lag, as the Kafka source will report it.
struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t lag = 0;
};

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

// ---- /health and /ready --------------------------------------------------------------------
// prometheus::Exposer keeps its CivetServer private, so no CivetHandler can be added for other
// paths. It does take civetweb callbacks: begin_request sees every request first and may answer
// it. A plain function pointer carries no user data (civetweb's is the CivetServer itself), so the
// probes read the one exporter's ProcessStatus through this pointer.
std::atomic<const ProcessStatus*> g_probe_status{nullptr};

int reply(mg_connection* conn, int code, std::string_view body) {
  mg_response_header_start(conn, code);
  mg_response_header_add(conn, "Content-Type", "text/plain; charset=utf-8", -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  const std::string length = std::to_string(body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_send(conn);
  mg_write(conn, body.data(), body.size());
  return code;
}

int answer_probe(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  const ProcessStatus* status = g_probe_status.load();
  if (info == nullptr || info->local_uri == nullptr || status == nullptr) {
    return 0;
  }
  std::string_view uri = info->local_uri;
  if (uri == "/health") {
    return reply(conn, 200, "ok\n");
  }
  if (uri == "/ready") {
    return status->ready.load() ? reply(conn, 200, "ready\n") : reply(conn, 503, "not ready\n");
  }
  return 0;  // /metrics: prometheus-cpp's handler
}

// "address already in use" from strerror's "Address already in use".
std::string lower_first(std::string text) {
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') {
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  }
  return text;
}

// Where to listen, as civetweb takes it ("127.0.0.1:9598", "[::1]:9598"), and where the
// exporter connects to itself when stopping (loopback for a wildcard address).
struct ListenAddress {
  std::string civetweb;
  sockaddr_storage self{};
  socklen_t self_length = 0;
};

void point_wildcard_at_loopback(sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(addr);
    if (v4.sin_addr.s_addr == htonl(INADDR_ANY)) {
      v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
  } else if (addr.ss_family == AF_INET6) {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(addr);
    if (IN6_IS_ADDR_UNSPECIFIED(&v6.sin6_addr)) {
      v6.sin6_addr = in6addr_loopback;
    }
  }
}

// Checks that the host resolves and that the port can be bound: civetweb's own failure says only
// "null context", so the cause (in use, not permitted, no such address) is found here.
Result<ListenAddress> bindable_address(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  const bool has_ipv6 = mg_check_feature(8) != 0;  // civetweb built with IPv6
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    if (!has_ipv6) {
      return Status::error(
          "the HTTP server library (civetweb) of this build has no IPv6; use an "
          "IPv4 address");
    }
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  // Without IPv6 in civetweb, a name such as localhost must resolve to its IPv4 address.
  hints.ai_family = has_ipv6 ? AF_UNSPEC : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Status::error("cannot resolve '" + host + "': " + lower_first(::gai_strerror(rc)));
  }
  const addrinfo& a = *found;
  ListenAddress address;
  std::memcpy(&address.self, a.ai_addr, a.ai_addrlen);
  address.self_length = a.ai_addrlen;
  point_wildcard_at_loopback(address.self);
  std::array<char, NI_MAXHOST> numeric{};
  ::getnameinfo(a.ai_addr, a.ai_addrlen, numeric.data(), numeric.size(), nullptr, 0,
                NI_NUMERICHOST);
  const bool v6 = a.ai_family == AF_INET6;
  int fd = ::socket(a.ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int error = fd < 0 ? errno : 0;
  if (fd >= 0) {
    int one = 1;  // as civetweb does, so a port in TIME_WAIT is not reported as taken
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a.ai_addr, a.ai_addrlen) != 0) {
      error = errno;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (error != 0) {
    return Status::error(lower_first(std::strerror(error)));
  }
  std::string numeric_host = numeric.data();
  address.civetweb = (v6 ? "[" + numeric_host + "]" : numeric_host) + ":" + port;
  return address;
}

// One connection attempt to the exporter's own port, closed at once.
void knock(const sockaddr_storage& addr, socklen_t length) {
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), length);
    ::close(fd);
  }
}

}  // namespace

std::vector<MetricFamily> RuntimeCollector::Collect() const {
  std::vector<MetricFamily> out;
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
  for (const auto& p : runtime_.pipelines()) {
    const std::string& name = p->name();
    for (Stage s : kStages) {
      const StageCounters& c = p->counters(s);
      const std::string stage = stage_name(s);
      add(in, {{"pipeline", name}, {"stage", stage}}, as_double(c.events_in.load()));
      add(outf, {{"pipeline", name}, {"stage", stage}}, as_double(c.events_out.load()));
      add(blocked, {{"pipeline", name}, {"stage", stage}}, as_double(c.blocked_ns.load()) * 1e-9);
      for (int r = 0; r < static_cast<int>(DropReason::kCount); ++r) {
        const auto reason = static_cast<DropReason>(r);
        const uint64_t n = c.get_dropped(reason);
        if (n == 0 && kStageOfReason[static_cast<size_t>(r)] != s) {
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
    // Kafka consumer lag: one series per partition the pipeline's Kafka source is assigned. The
    // Kafka source is not wired here yet; read its per-partition lags into `lags` (and only
    // assigned partitions, so a revoked one takes its series with it).
    const std::vector<PartitionLag> lags;
    for (const PartitionLag& l : lags) {
      add(lag, {{"partition", std::to_string(l.partition)}, {"pipeline", name}, {"topic", l.topic}},
          static_cast<double>(l.lag));
    }
  }
  for (auto* f : {&in, &outf, &dropped, &bytes, &queue, &capacity, &blocked, &latency, &lag}) {
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
  auto memory = family("sluice_memory_bytes", "Bytes held by event buffers.", MetricType::Gauge);
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

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::start(const MetricsConfig& config,
                                                                const Runtime& runtime,
                                                                const ProcessStatus& status,
                                                                std::string version) {
  const std::string what = "metrics.listen " + config.listen + ": ";
  Result<ListenAddress> address = bindable_address(config.listen);
  if (!address.ok()) {
    return Status::error(what + address.status().message());
  }
  std::unique_ptr<MetricsExporter> exporter(new MetricsExporter());
  exporter->self_ = address->self;
  exporter->self_length_ = address->self_length;
  exporter->collector_ = std::make_shared<RuntimeCollector>(runtime, status, std::move(version));
  g_probe_status.store(&status);
  CivetCallbacks callbacks;
  callbacks.begin_request = answer_probe;
  try {
    exporter->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", address->civetweb, "num_threads", "2"},
        &callbacks);
    exporter->exposer_->RegisterCollectable(exporter->collector_);
  } catch (const std::exception& e) {
    // civetweb's CivetException: the bind succeeded a moment ago, so something took the port
    // since, or civetweb refused the address.
    g_probe_status.store(nullptr);
    return Status::error(what + "cannot listen (" + e.what() + ")");
  }
  return exporter;
}

MetricsExporter::~MetricsExporter() {
  if (exposer_ != nullptr) {
    // civetweb's listener waits for connections in 2 s slices and sees the stop only between
    // them, which would hold every SIGTERM up to 2 s: knock on the port until the stop is through.
    std::atomic<bool> stopped{false};
    std::thread knocker([&] {
      while (!stopped.load()) {
        knock(self_, self_length_);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
    exposer_.reset();  // joins the HTTP threads: no scrape or probe runs after this
    stopped.store(true);
    knocker.join();
  }
  g_probe_status.store(nullptr);
}

int MetricsExporter::port() const {
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace sluice
