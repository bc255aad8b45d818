#include "stages/sinks/raw_encoder.h"

#include <cstring>

#include "stages/sinks/byte_writer.h"

namespace sluice {

void RawEncoder::encode_lines(const Batch& batch, std::span<const uint32_t> events,
                              std::string& out, std::vector<uint32_t>& ends) {
  size_t bytes = 0;
  for (uint32_t index : events) {
    bytes += batch.events[index].raw.len + 1;
  }
  ByteWriter w(out, bytes);
  for (uint32_t index : events) {
    const Span raw = batch.events[index].raw;
    char* d = w.room(raw.len + 1);
    std::memcpy(d, batch.text.data() + raw.off, raw.len);
    d[raw.len] = '\n';
    w.commit(d + raw.len + 1);
    ends.push_back(static_cast<uint32_t>(w.size()));
  }
}

bool RawEncoder::encode_in_place(const Batch& batch, std::span<const uint32_t> events,
                                 std::vector<Span>& ranges, std::vector<uint32_t>& ends) {
  const size_t first = ranges.size();
  const size_t first_end = ends.size();
  uint32_t written = first_end > 0 ? ends.back() : 0;
  for (uint32_t index : events) {
    const Span raw = batch.events[index].raw;
    const size_t end = size_t{raw.off} + raw.len;  // where its "\n" must be
    if (end >= batch.text.size() || batch.text[end] != '\n') {
      ranges.resize(first);
      ends.resize(first_end);
      return false;
    }
    written += raw.len + 1;
    ends.push_back(written);
    if (ranges.size() > first && ranges.back().off + ranges.back().len == raw.off) {
      ranges.back().len += raw.len + 1;
    } else {
      ranges.push_back(Span{raw.off, raw.len + 1});
    }
  }
  return true;
}

}  // namespace sluice
