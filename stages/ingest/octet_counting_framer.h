// OctetCountingFramer: RFC 6587 octet counting, as syslog senders frame messages over TCP: each
// record is "LENGTH SP MESSAGE" with LENGTH the message's bytes in decimal, so a message may hold
// newlines. Line ends between frames (some senders add one) are skipped, and one at the end of a
// message is dropped, as for lines. A message over max_event_bytes becomes a parse error (its
// first KiB kept) and the rest of it is skipped by its count; a header that is not digits and a
// space (octet counting cannot be resumed after it) becomes a parse error up to the next line
// end, where framing starts again. One framer per stream, used by the stream's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "stages/ingest/record_framer.h"

namespace sluice {

class OctetCountingFramer final : public RecordFramer {
 public:
  // Sets the format's fixed layout (regex groups, `message`, CSV `columns`) on every batch.
  OctetCountingFramer(const ParseOptions& options, const Schema& schema, size_t max_event_bytes);

  // Frames whole messages; the bytes of an incomplete header or message are left for the next
  // call (it rescans them). At the end of the stream, an incomplete frame is a parse error.
  size_t frame(Batch& batch, size_t begin, size_t end, bool at_eof) override;
  void reset() override;
  uint64_t lines_framed() const override { return records_; }
  void skip_lines(uint64_t n) override { records_ += n; }
  void resume_after_lines(uint64_t n) override { records_ = n; }

  // The longest frame header: up to 10 digits and the space.
  static constexpr size_t kMaxHeaderBytes = 11;

 private:
  // An event in state kParseError for batch.text[from, from + length), its raw text cut to the
  // first KiB.
  void take_error(Batch& batch, size_t from, size_t length, std::string_view reason);

  std::shared_ptr<const Layout> layout_;
  size_t max_event_bytes_;
  uint64_t records_ = 0;       // frames of the stream so far (the events' positions)
  uint64_t skip_bytes_ = 0;    // the rest of an oversized message, still to discard
  bool skip_to_line_ = false;  // discarding a bad header's bytes up to the next line end
};

// True when `header` (the first bytes of a stream) starts as an octet-counted frame does: digits
// and a space. nullopt while it is only digits, too few to tell.
std::optional<bool> looks_octet_counted(std::string_view header);

}  // namespace sluice
