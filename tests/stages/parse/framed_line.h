// Test helper for parser unit tests: appends a line to a batch as a framed event, the way the
// line framer leaves it (the text followed by its '\n', the event's span without it).
#pragma once

#include <cstdint>
#include <string_view>

#include "stages/batch.h"

namespace sluice {

inline void add_framed_line(Batch& batch, std::string_view line) {
  Event& e = batch.events.emplace_back();
  e.raw = Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(line.size())};
  batch.text.append(line);
  batch.text.push_back('\n');
}

}  // namespace sluice
