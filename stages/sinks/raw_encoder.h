// RawEncoder: writes each event's original text (`_raw`) unchanged, then "\n". Stateless; safe
// from any thread.
#pragma once

#include <span>
#include <string>

#include "stages/batch.h"
#include "stages/sinks/encoder.h"

namespace sluice {

class RawEncoder final : public Encoder {
 public:
  void encode(const Batch& batch, std::span<const uint32_t> events, std::string& out) override;
};

}  // namespace sluice
