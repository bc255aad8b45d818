#include "stages/ingest/line_framer.h"

#include <algorithm>

#include "stages/byte_masks.h"

namespace sluice {

LineFramer::LineFramer(const ParseOptions& options, const Schema& schema)
    : layout_(make_fixed_layout(options, schema)) {}

void LineFramer::take_line(Batch& batch, size_t from, size_t to) {
  ++line_;
  size_t len = to - from;
  if (len > 0 && batch.text[to - 1] == '\r') {
    --len;
  }
  if (len > 0) {
    Event& event = batch.events.emplace_back();
    event.raw = Span{static_cast<uint32_t>(from), static_cast<uint32_t>(len)};
    event.position = line_;
  }
}

size_t LineFramer::frame(Batch& batch, size_t begin, size_t end, bool at_eof) {
  return frame_resuming(batch, begin, begin, end, at_eof);
}

size_t LineFramer::frame_resuming(Batch& batch, size_t begin, size_t scanned, size_t end,
                                  bool at_eof) {
  if (layout_ != nullptr) {
    batch.layout = layout_;
  }
  const char* p = batch.text.data();
  size_t start = begin;  // the current line's first byte
  uint64_t newlines[kMaskChunkBlocks];
  for (size_t chunk = scanned; chunk < end; chunk += kMaskChunkBytes) {
    const size_t n = std::min(kMaskChunkBytes, end - chunk);
    match_bytes(p + chunk, n, '\n', newlines);
    for (size_t block = 0; block * kMaskBlockBytes < n; ++block) {
      for (uint64_t marks = newlines[block]; marks != 0; marks &= marks - 1) {
        const size_t at =
            chunk + block * kMaskBlockBytes + static_cast<size_t>(__builtin_ctzll(marks));
        take_line(batch, start, at);
        start = at + 1;
      }
    }
  }
  if (start < end && at_eof) {
    take_line(batch, start, end);
    start = end;
  }
  return start;
}

}  // namespace sluice
