// Field access for the encoders, on the hot path: unchecked views of spans the parser produced,
// and the field in a slot for events whose slot entries are filled in (parsed or filtered).
#pragma once

#include <string_view>

#include "stages/batch.h"

namespace sluice {

// Batch::str() checks bounds on every call; spans come from the parser and are in range.
inline std::string_view view(const Batch& batch, Span s) {
  return std::string_view(batch.text.data() + s.off, s.len);
}

// The field in `slot`, or nullptr. Only parsed events have their slot entries filled in.
inline const Field* slot_field(const Batch& batch, const Event& e, Slot slot) {
  if (e.state != EventState::kParsed && e.state != EventState::kFiltered) {
    return nullptr;
  }
  size_t i = static_cast<size_t>(e.slot_base) + slot;
  if (i >= batch.slot_fields.size()) {
    return nullptr;
  }
  int32_t index = batch.slot_fields[i];
  return index < 0 ? nullptr : &batch.fields[static_cast<size_t>(index)];
}

}  // namespace sluice
