// A tiny HTTP/1.0 client and port helper for tests that talk to sluice's metrics endpoint and to a
// Prometheus server on 127.0.0.1. Every call is bounded by a timeout; nothing here retries.
#pragma once

#include <string>
#include <string_view>

namespace sluice::e2e {

struct HttpResponse {
  int status = 0;  // 0: no connection or no valid answer
  std::string body;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_port();
// GET http://127.0.0.1:PORT`target`, waiting at most `timeout_ms` for connect and each read.
HttpResponse http_get(int port, const std::string& target, int timeout_ms = 5000);
// `text` percent-encoded for a query string value.
std::string url_encode(std::string_view text);

}  // namespace sluice::e2e
