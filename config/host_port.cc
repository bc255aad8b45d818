#include "config/host_port.h"

#include <charconv>
#include <string>

namespace sluice {

Status check_host_port(std::string_view text, bool allow_port_zero) {
  auto bad = [&text] {
    return Status::error("expected HOST:PORT (e.g. 127.0.0.1:9000), got '" + std::string(text) +
                         "'");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return bad();
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.empty()) {
    return bad();
  }
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return bad();
    }
  } else if (host.find(':') != std::string_view::npos || host.find(' ') != std::string_view::npos) {
    return bad();
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) {
    return bad();
  }
  if (value > 65535 || (value == 0 && !allow_port_zero)) {
    return Status::error("port " + std::string(port) + " in '" + std::string(text) +
                         "' is out of range (1-65535)");
  }
  return Status();
}

}  // namespace sluice
