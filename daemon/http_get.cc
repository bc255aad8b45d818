#include "daemon/http_get.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// An answer larger than this is not a metrics page; refusing it bounds what a wrong URL costs.
constexpr size_t kMaxAnswerBytes = 64u << 20;

// strerror's text with a lower-case first letter, to read inside a sentence.
std::string reason_text(int error) {
  std::string text = std::strerror(error);
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Closes the socket however the exchange ends.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or the deadline passed; false on timeout.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) {
      return true;
    }
    if (n < 0 && errno != EINTR) {
      return true;  // let the following call report the error
    }
  }
}

std::string timeout_text(std::chrono::milliseconds timeout) {
  char text[64];
  std::snprintf(text, sizeof(text), "no answer within %.1f s",
                static_cast<double>(timeout.count()) / 1000.0);
  return text;
}

// Connects to the first address of `url` that accepts; errno-style reason on failure.
Result<int> connect_to(const HttpUrl& url, Clock::time_point deadline,
                       std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  // Name resolution is not bounded by the deadline; a numeric address (the default) needs none.
  int gai = ::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found);
  if (gai != 0) {
    return Status::error("host '" + url.host + "' not found (" + ::gai_strerror(gai) + ")");
  }
  std::string why = "no address";
  int connected = -1;
  for (addrinfo* a = found; a != nullptr && connected < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = reason_text(errno);
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait_ready(fd, POLLOUT, deadline)) {
        why = timeout_text(timeout);
        ::close(fd);
        break;
      }
      int error = 0;
      socklen_t len = sizeof(error);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      rc = error == 0 ? 0 : -1;
      errno = error;
    }
    if (rc == 0) {
      connected = fd;
    } else {
      why = reason_text(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (connected < 0) {
    return Status::error(why);
  }
  return connected;
}

enum class Body { kIncomplete, kComplete, kMalformed };

// Decodes a chunked body (RFC 9112 §7.1) from `raw` into `out`; trailers are ignored.
Body decode_chunked(std::string_view raw, std::string& out) {
  out.clear();
  for (;;) {
    size_t eol = raw.find("\r\n");
    if (eol == std::string_view::npos) {
      return Body::kIncomplete;
    }
    size_t size = 0;
    std::string_view digits = raw.substr(0, eol);
    digits = digits.substr(0, digits.find(';'));  // chunk extensions
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
      return Body::kMalformed;
    }
    raw.remove_prefix(eol + 2);
    if (size == 0) {
      return Body::kComplete;
    }
    if (raw.size() < size + 2) {
      return Body::kIncomplete;
    }
    out.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
}

struct Head {
  int status = 0;
  std::string reason;
  std::optional<size_t> content_length;
  bool chunked = false;
};

// The status line and the headers top needs; nullopt when it is not an HTTP/1.x answer.
std::optional<Head> parse_head(std::string_view head) {
  Head h;
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, h.status);
  if (ec != std::errc() || ptr != status_line.data() + 12) {
    return std::nullopt;
  }
  h.reason = std::string(status_line.substr(std::min<size_t>(13, status_line.size())));
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
    if (iequals(key, "Content-Length")) {
      size_t length = 0;
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (e != std::errc()) {
        return std::nullopt;
      }
      h.content_length = length;
    } else if (iequals(key, "Transfer-Encoding") &&
               value.find("chunked") != std::string_view::npos) {
      h.chunked = true;
    }
  }
  return h;
}

// Where the body stands in what was received so far; fills `response` once it is complete.
Body take_body(std::string_view received, bool ended, HttpResponse& response) {
  size_t head_end = received.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return ended ? Body::kMalformed : Body::kIncomplete;
  }
  std::optional<Head> head = parse_head(received.substr(0, head_end));
  if (!head) {
    return Body::kMalformed;
  }
  std::string_view raw = received.substr(head_end + 4);
  response.status = head->status;
  response.reason = head->reason;
  if (head->chunked) {
    Body b = decode_chunked(raw, response.body);
    return b == Body::kIncomplete && ended ? Body::kMalformed : b;
  }
  if (head->content_length) {
    if (raw.size() < *head->content_length) {
      return ended ? Body::kMalformed : Body::kIncomplete;
    }
    response.body = std::string(raw.substr(0, *head->content_length));
    return Body::kComplete;
  }
  if (!ended) {
    return Body::kIncomplete;  // the body runs to the end of the connection
  }
  response.body = std::string(raw);
  return Body::kComplete;
}

Status send_all(int fd, std::string_view bytes, Clock::time_point deadline,
                std::chrono::milliseconds timeout) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_ready(fd, POLLOUT, deadline)) {
        return Status::error(timeout_text(timeout));
      }
    } else {
      return Status::error(reason_text(errno));
    }
  }
  return Status();
}

}  // namespace

std::string HttpUrl::text() const {
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + path;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  const std::string quoted = "'" + std::string(url) + "'";
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !iequals(url.substr(0, kScheme.size()), kScheme)) {
    return Status::error(quoted + " is not an http:// URL (http://HOST[:PORT][/PATH])");
  }
  url.remove_prefix(kScheme.size());
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  HttpUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::error(quoted + ": unterminated [ in the host");
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') {
      return Status::error(quoted + ": expected :PORT after ]");
    }
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    port = colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    return Status::error(quoted + " names no host");
  }
  if (authority.find(':') != std::string_view::npos || !port.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return Status::error(quoted + ": the port must be a number from 1 to 65535");
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

Result<HttpResponse> http_get(const HttpUrl& url, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  auto fail = [&](const std::string& why) -> Result<HttpResponse> {
    return Status::error("cannot reach " + url.text() + ": " + why);
  };
  Result<int> connected = connect_to(url, deadline, timeout);
  if (!connected.ok()) {
    return fail(connected.status().message());
  }
  Socket socket(connected.value());
  bool v6 = url.host.find(':') != std::string::npos;
  std::string request = "GET " + url.path +
                        " HTTP/1.1\r\nHost: " + (v6 ? "[" + url.host + "]" : url.host) + ":" +
                        std::to_string(url.port) +
                        "\r\nUser-Agent: sluice-top\r\nAccept: text/plain\r\n"
                        "Connection: close\r\n\r\n";
  if (Status s = send_all(socket.fd(), request, deadline, timeout); !s.ok()) {
    return fail(s.message());
  }
  std::string received;
  HttpResponse response;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_ready(socket.fd(), POLLIN, deadline)) {
        return fail(timeout_text(timeout));
      }
      continue;
    }
    if (n < 0) {
      return fail(reason_text(errno));
    }
    received.append(buffer, static_cast<size_t>(n));
    if (received.size() > kMaxAnswerBytes) {
      return fail("the answer is larger than 64 MiB");
    }
    Body body = take_body(received, n == 0, response);
    if (body == Body::kComplete) {
      return response;
    }
    if (body == Body::kMalformed) {
      return fail(received.empty() ? "the connection closed without an answer"
                                   : "the answer is not HTTP/1.x");
    }
  }
}

}  // namespace sluice
