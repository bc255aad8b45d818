#include "daemon/metrics_exporter.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/runtime_collector.h"

namespace sluice {

namespace {

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

// One connection attempt to the exporter's own port, closed at once; never waits (a full backlog
// must not hold the stop).
void knock(const sockaddr_storage& addr, socklen_t length) {
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd >= 0) {
    ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), length);
    ::close(fd);
  }
}

}  // namespace

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
    std::thread knocker;
    try {
      knocker = std::thread([&] {
        while (!stopped.load()) {
          knock(self_, self_length_);
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      });
    } catch (const std::system_error&) {
      // No thread to spare: the stop just takes up to 2 s.
    }
    exposer_.reset();  // joins the HTTP threads: no scrape or probe runs after this
    stopped.store(true);
    if (knocker.joinable()) {
      knocker.join();
    }
  }
  g_probe_status.store(nullptr);
}

int MetricsExporter::port() const {
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace sluice
