// CsvFramer: finds CSV record boundaries; a line break inside a quoted field does not end a
// record. With `header: true` it consumes each stream's first record and builds the layout from
// it; it sets the layout on every batch it frames. One framer per stream, used by its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "stages/ingest/record_framer.h"

namespace sluice {

class CsvFramer final : public RecordFramer {
 public:
  CsvFramer(const ParseOptions& options, const Schema& schema);

  // An incomplete record is not consumed: the next call scans it again from its start.
  size_t frame(Batch& batch, size_t begin, size_t end, bool at_eof) override;
  // As frame(), but an incomplete record the last call left at [begin, scanned) is not scanned
  // again: its quoting state at `scanned` was kept. When [begin, scanned) is not what the last
  // call left (another length), it scans from `begin`, as frame() does.
  size_t frame_resuming(Batch& batch, size_t begin, size_t scanned, size_t end,
                        bool at_eof) override;
  void reset() override;
  uint64_t lines_framed() const override { return line_; }
  void skip_lines(uint64_t n) override { line_ += n; }
  void resume_after_lines(uint64_t n) override { line_ = n; }
  bool awaits_header() const override { return layout_ == nullptr; }

 private:
  // Takes batch.text[from, to) as a record (to: its '\n', or the end of the data), without a
  // trailing '\r': an event, the header, or nothing for a blank line. Counts its lines.
  void take_record(Batch& batch, size_t from, size_t to, uint64_t quoted_newlines);
  // Builds the stream's layout from its header record; warns once when the header names a column
  // twice or names a metadata field, which the parser then leaves out of every event.
  void take_header(const Batch& batch, std::string_view record);

  // Python csv's states, visited only at quotes and line breaks; see frame_resuming().
  enum class Quoting : uint8_t { kOutside, kInside, kPendingClose };
  // Where the scan of the incomplete record the last call left stopped, relative to its start,
  // so that the next call can go on from there.
  struct ScanState {
    size_t length = 0;  // of the incomplete record scanned (0: none kept)
    Quoting quoting = Quoting::kOutside;
    size_t pending_quote = 0;  // kPendingClose: that quote's offset in the record
    uint64_t quoted_newlines = 0;
  };

  const ParseOptions options_;
  const Schema& schema_;
  std::shared_ptr<const Layout> layout_;  // `columns:`, or this stream's header once seen
  uint64_t line_ = 0;                     // lines of the stream framed so far
  ScanState kept_;                        // the last call's incomplete record
};

}  // namespace sluice
