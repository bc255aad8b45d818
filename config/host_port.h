// HOST:PORT addresses in the configuration (`listen`, `address`, `metrics.listen`): a host name, an
// IPv4 address or a bracketed IPv6 address ("[::1]:9000"), then a port. Pure functions.
#pragma once

#include <string_view>

#include "stages/status.h"

namespace sluice {

// OK when `text` is HOST:PORT. Port 0 (let the system choose) is allowed only when
// `allow_port_zero` (listening addresses). Errors are messages without a position.
Status check_host_port(std::string_view text, bool allow_port_zero);

}  // namespace sluice
