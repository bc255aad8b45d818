// Byte sizes written in the configuration: "512MiB", "64 MiB", "1GiB", "100KB", "1.5GB", or plain
// bytes ("4096", "4096B"). IEC units (KiB, MiB, GiB, TiB) are powers of 1024, SI units (KB, MB, GB,
// TB) powers of 1000, as everywhere else; units are case-insensitive. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "stages/status.h"

namespace sluice {

// Errors are messages without a position ("expected a size such as 64MiB ...").
Result<uint64_t> parse_size(std::string_view text);

// `bytes` for a message, exactly: in the largest IEC unit that divides it ("2MiB", "1536KiB",
// "4GiB"), else as a byte count ("1000000 bytes"). Exact rather than rounded, because messages
// quote limits that the user copies into the configuration.
std::string format_size(uint64_t bytes);

}  // namespace sluice
