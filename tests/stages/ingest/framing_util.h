// Test helper for the record framers: frames input the way a stream reader fills one batch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "stages/batch.h"

namespace sluice {

// How each call of frame_in_chunks() looks at an incomplete record: from its start again (as a
// file's stream reader frames), or from where the last call stopped (frame_resuming(), as a TCP
// connection frames).
enum class ChunkScan { kFromRecordStart, kResuming };

// Puts `input` in `batch` and frames it `chunk` more bytes at a time, each call starting where
// the previous one stopped, then the rest at the end of the stream.
template <typename Framer>
void frame_in_chunks(Framer& framer, Batch& batch, std::string_view input, size_t chunk,
                     ChunkScan scan = ChunkScan::kFromRecordStart) {
  batch.text = input;
  size_t framed = 0;
  size_t scanned = 0;
  for (size_t used = chunk; used < input.size(); used += chunk) {
    framed = scan == ChunkScan::kResuming
                 ? framer.frame_resuming(batch, framed, std::max(scanned, framed), used, false)
                 : framer.frame(batch, framed, used, false);
    scanned = used;
  }
  if (scan == ChunkScan::kResuming) {
    framer.frame_resuming(batch, framed, std::max(scanned, framed), input.size(), true);
  } else {
    framer.frame(batch, framed, input.size(), true);
  }
}

}  // namespace sluice
