#include "stages/kafka_property.h"

#include <charconv>

namespace sluice {

uint64_t kafka_numeric_property(KafkaProperties properties, std::string_view name,
                                uint64_t fallback) {
  uint64_t value = fallback;
  for (const auto& [key, text] : properties) {
    if (key != name) {
      continue;
    }
    uint64_t parsed = 0;
    const char* end = text.data() + text.size();
    auto [at, err] = std::from_chars(text.data(), end, parsed);
    value = err == std::errc() && at == end ? parsed : fallback;
  }
  return value;
}

}  // namespace sluice
