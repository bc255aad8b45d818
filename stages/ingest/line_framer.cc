#include "stages/ingest/line_framer.h"

#include <cstring>

namespace sluice {

LineFramer::LineFramer(const ParseOptions& options, const Schema& schema)
    : layout_(make_fixed_layout(options, schema)) {}

size_t LineFramer::frame(Batch& batch, size_t begin, size_t end, bool at_eof) {
  if (layout_ != nullptr) {
    batch.layout = layout_;
  }
  const char* p = batch.text.data();
  size_t pos = begin;
  while (pos < end) {
    const void* newline = std::memchr(p + pos, '\n', end - pos);
    size_t line_end;
    size_t next;
    if (newline != nullptr) {
      line_end = static_cast<size_t>(static_cast<const char*>(newline) - p);
      next = line_end + 1;
    } else if (at_eof) {
      line_end = end;
      next = end;
    } else {
      break;  // the caller carries the partial line into the next batch
    }
    ++line_;
    size_t len = line_end - pos;
    if (len > 0 && p[line_end - 1] == '\r') {
      --len;
    }
    if (len > 0) {
      Event& event = batch.events.emplace_back();
      event.raw = Span{static_cast<uint32_t>(pos), static_cast<uint32_t>(len)};
      event.position = line_;
    }
    pos = next;
  }
  return pos;
}

}  // namespace sluice
