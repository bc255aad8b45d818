// RawEncoder: writes each event's original text (`_raw`) unchanged, then "\n". Stateless; safe
// from any thread.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "stages/batch.h"
#include "stages/sinks/encoder.h"

namespace sluice {

class RawEncoder final : public Encoder {
 public:
  void encode_lines(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                    std::vector<uint32_t>& ends) override;
  // Raw lines read from a file or stream are followed by their "\n" in the batch text, and
  // consecutive lines are adjacent: a whole batch is usually one range.
  bool encode_in_place(const Batch& batch, std::span<const uint32_t> events,
                       std::vector<Span>& ranges, std::vector<uint32_t>& ends) override;
};

}  // namespace sluice
