// The value librdkafka will use for one of its numeric properties, read from the list sluice
// hands it (sluice's defaults first, the user's `librdkafka:` entries after, so the last wins).
// Sizing librdkafka's buffers and reserving them from memory_limit must agree on that value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sluice {

using KafkaProperties = std::span<const std::pair<std::string, std::string>>;

// The last value `properties` sets for `name`, as a number; `fallback` when none is set or the
// value is not a plain decimal (librdkafka's own config API refuses such a value at load).
uint64_t kafka_numeric_property(KafkaProperties properties, std::string_view name,
                                uint64_t fallback);

}  // namespace sluice
