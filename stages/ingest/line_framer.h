// LineFramer: one record per '\n'-terminated line (a trailing '\r' is dropped), for every format
// but CSV. Blank lines are not records. One framer per stream, used by the stream's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "stages/ingest/record_framer.h"

namespace sluice {

class LineFramer final : public RecordFramer {
 public:
  // Sets the format's fixed layout (regex groups, `message`; none for json) on every batch.
  LineFramer(const ParseOptions& options, const Schema& schema);

  size_t frame(Batch& batch, size_t begin, size_t end, bool at_eof) override;
  // A line has no end before `scanned`: the search for '\n' starts there.
  size_t frame_resuming(Batch& batch, size_t begin, size_t scanned, size_t end,
                        bool at_eof) override;
  void reset() override { line_ = 0; }
  uint64_t lines_framed() const override { return line_; }
  void skip_lines(uint64_t n) override { line_ += n; }
  void resume_after_lines(uint64_t n) override { line_ = n; }

 private:
  // Takes batch.text[from, to) as a line (to: its '\n', or the end of the data), without a
  // trailing '\r'; a blank line is counted but is no record.
  void take_line(Batch& batch, size_t from, size_t to);

  std::shared_ptr<const Layout> layout_;
  uint64_t line_ = 0;  // lines of the stream framed so far
};

}  // namespace sluice
