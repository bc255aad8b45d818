#include "stages/ingest/octet_counting_framer.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace sluice {
namespace {

constexpr size_t kMaxDigits = OctetCountingFramer::kMaxHeaderBytes - 1;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_line_end(char c) { return c == '\n' || c == '\r'; }

}  // namespace

std::optional<bool> looks_octet_counted(std::string_view header) {
  size_t digits = 0;
  while (digits < header.size() && digits <= kMaxDigits && is_digit(header[digits])) {
    ++digits;
  }
  if (digits == header.size() && digits <= kMaxDigits) {
    return std::nullopt;
  }
  return digits > 0 && digits <= kMaxDigits && header[digits] == ' ';
}

OctetCountingFramer::OctetCountingFramer(const ParseOptions& options, const Schema& schema,
                                         size_t max_event_bytes)
    : layout_(make_fixed_layout(options, schema)), max_event_bytes_(max_event_bytes) {}

void OctetCountingFramer::reset() {
  records_ = 0;
  skip_bytes_ = 0;
  skip_to_line_ = false;
}

void OctetCountingFramer::take_error(Batch& batch, size_t from, size_t length,
                                     std::string_view reason) {
  Event& event = batch.events.emplace_back();
  event.raw = Span{static_cast<uint32_t>(from),
                   static_cast<uint32_t>(std::min(length, kRejectedRawPrefix))};
  event.state = EventState::kParseError;
  event.position = ++records_;
  // Appended past the batch's read buffer: a caller that cuts the buffer back to the framed
  // bytes keeps what was appended after it (TcpConnection does).
  event.error = batch.append(reason);
}

size_t OctetCountingFramer::frame(Batch& batch, size_t begin, size_t end, bool at_eof) {
  if (layout_ != nullptr) {
    batch.layout = layout_;
  }
  // Reread after take_error(): appending a reason may move the buffer.
  const char* p = batch.text.data();
  size_t pos = begin;
  while (pos < end) {
    if (skip_bytes_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_bytes_, end - pos));
      pos += n;
      skip_bytes_ -= n;
      continue;
    }
    if (skip_to_line_) {
      const void* nl = std::memchr(p + pos, '\n', end - pos);
      if (nl == nullptr) {
        return end;
      }
      pos = static_cast<size_t>(static_cast<const char*>(nl) - p) + 1;
      skip_to_line_ = false;
      continue;
    }
    if (is_line_end(p[pos])) {
      ++pos;  // a line end between frames
      continue;
    }
    size_t digits = 0;
    uint64_t length = 0;
    while (pos + digits < end && digits <= kMaxDigits && is_digit(p[pos + digits])) {
      length = length * 10 + static_cast<uint64_t>(p[pos + digits] - '0');
      ++digits;
    }
    if (pos + digits == end && digits <= kMaxDigits) {
      break;  // the header goes on in the next bytes
    }
    if (digits == 0 || digits > kMaxDigits || p[pos + digits] != ' ') {
      // Not a frame header: the count is lost, so the rest of the line is an error and framing
      // starts again after it.
      const void* nl = std::memchr(p + pos, '\n', end - pos);
      size_t line_end = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - p) : end;
      if (nl == nullptr && !at_eof && line_end - pos < kRejectedRawPrefix) {
        break;  // wait for the line end (or the first KiB) to report the whole line
      }
      take_error(batch, pos, line_end - pos,
                 "not an octet-counted frame (RFC 6587: LENGTH SP MESSAGE); skipped to the next "
                 "line end");
      p = batch.text.data();
      pos = line_end;
      skip_to_line_ = nl == nullptr;
      continue;
    }
    const size_t body = pos + digits + 1;
    const size_t have = end - body;
    if (length > max_event_bytes_) {
      const size_t prefix = static_cast<size_t>(std::min<uint64_t>(length, kRejectedRawPrefix));
      if (have < prefix && !at_eof) {
        break;  // its first KiB, for the dead letter, has not all arrived
      }
      take_error(batch, body, std::min(have, prefix),
                 "record longer than max_event_bytes (" + std::to_string(max_event_bytes_) +
                     " bytes); truncated");
      p = batch.text.data();
      const size_t taken = static_cast<size_t>(std::min<uint64_t>(length, have));
      skip_bytes_ = length - taken;
      pos = body + taken;
      continue;
    }
    if (have < length) {
      if (at_eof) {
        take_error(batch, pos, end - pos, "the stream ended inside an octet-counted frame");
        return end;
      }
      break;
    }
    size_t message = static_cast<size_t>(length);
    if (message > 0 && p[body + message - 1] == '\n') {
      --message;
      if (message > 0 && p[body + message - 1] == '\r') {
        --message;
      }
    }
    ++records_;
    if (message > 0) {
      Event& event = batch.events.emplace_back();
      event.raw = Span{static_cast<uint32_t>(body), static_cast<uint32_t>(message)};
      event.position = records_;
    }
    pos = body + static_cast<size_t>(length);
  }
  if (at_eof && pos < end && skip_bytes_ == 0 && !skip_to_line_) {
    take_error(batch, pos, end - pos, "the stream ended inside an octet-counted frame");
    return end;
  }
  return pos;
}

}  // namespace sluice
