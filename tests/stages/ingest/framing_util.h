// Test helper for the record framers: frames input the way a stream reader fills one batch.
#pragma once

#include <cstddef>
#include <string_view>

#include "stages/batch.h"

namespace sluice {

// Puts `input` in `batch` and frames it `chunk` more bytes at a time, each call starting where
// the previous one stopped, then the rest at the end of the stream.
template <typename Framer>
void frame_in_chunks(Framer& framer, Batch& batch, std::string_view input, size_t chunk) {
  batch.text = input;
  size_t framed = 0;
  for (size_t used = chunk; used < input.size(); used += chunk) {
    framed = framer.frame(batch, framed, used, false);
  }
  framer.frame(batch, framed, input.size(), true);
}

}  // namespace sluice
