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

  // An incomplete record is not consumed: the next call rescans it from its start with more
  // bytes, so the framer keeps no state inside a record.
  size_t frame(Batch& batch, size_t begin, size_t end, bool at_eof) override;
  void reset() override;
  uint64_t lines_framed() const override { return line_; }
  void skip_lines(uint64_t n) override { line_ += n; }

 private:
  struct RecordScan {
    size_t end;         // the record's terminating '\n', or the end of the bytes
    uint64_t newlines;  // line breaks inside quoted fields
    bool complete;      // a terminating '\n' was found
    bool open;          // the bytes ended inside a quoted field
  };
  // Scans one record that holds a quote with the states of Python's csv reader.
  RecordScan scan_record(const char* p, size_t pos, size_t end) const;
  void take_header(std::string_view record);

  const ParseOptions options_;
  const Schema& schema_;
  std::shared_ptr<const Layout> layout_;  // `columns:`, or this stream's header once seen
  uint64_t line_ = 0;                     // lines of the stream framed so far
};

}  // namespace sluice
