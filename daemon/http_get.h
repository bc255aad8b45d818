// A minimal HTTP/1.1 GET client over a plain TCP socket, for `sluice top` reading a daemon's
// /metrics: one request per connection (Connection: close), a deadline over the whole exchange,
// Content-Length or chunked bodies. No TLS, no redirects, no proxies. Blocking; call it from one
// thread at a time per call (it keeps no state between calls).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "stages/status.h"

namespace sluice {

struct HttpUrl {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without its brackets
  uint16_t port = 80;
  std::string path = "/";

  // "http://host:port/path" (IPv6 hosts in brackets), for messages.
  std::string text() const;
};

// Accepts http://HOST[:PORT][/PATH]; anything else (https, no host, a bad port) is an error
// saying what is wrong.
Result<HttpUrl> parse_http_url(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string reason;  // "OK", "Not Found", ...
  std::string body;
};

// GETs `url`. Any answer with a status line is a value, whatever its status; a failure to connect,
// a timeout or an answer that is not HTTP is an error reading "cannot reach URL: why" (e.g.
// "connection refused"), one line for the user.
Result<HttpResponse> http_get(const HttpUrl& url, std::chrono::milliseconds timeout);

}  // namespace sluice
