// RecordFramer: finds where records end in the bytes a source read, so that every batch holds
// whole records and parse workers can work on batches independently. One framer per stream
// (file, connection), owned by the source's thread. Line framing for text formats; quote-aware
// framing for CSV, where a quoted field may hold newlines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "stages/batch.h"
#include "stages/parse/parser.h"

namespace sluice {

// How much of a record the dead letter gets in place of its whole text (one longer than
// max_event_bytes, or one that cannot be framed) as its `_raw`: enough to show what it was.
inline constexpr size_t kRejectedRawPrefix = 1024;

class RecordFramer {
 public:
  virtual ~RecordFramer() = default;

  // Frames the records in batch.text[begin, end): appends one kFramed event per complete record
  // (raw = the record without its line terminator, CRLF or LF; position = its first line number,
  // counted from the previous call) and returns the offset just past the last complete record.
  // When `at_eof`, a final record without a terminator is complete too (and, for CSV, a record
  // whose quote never closes becomes a kParseError event with the reason).
  // The caller moves batch.text[returned, end) to the start of the next batch.
  // The CSV framer with `header: true` consumes a stream's first record and sets batch.layout
  // from it (and on every later batch of the stream).
  virtual size_t frame(Batch& batch, size_t begin, size_t end, bool at_eof) = 0;
  // As frame(), for a caller that framed batch.text[begin, scanned) before (without at_eof) and
  // got `begin` back: no record ends there. A framer that can resume its scan at `scanned` does,
  // so a long record that arrives in many small reads is scanned once rather than once per read
  // (quadratic in its length). The default scans from `begin` again.
  virtual size_t frame_resuming(Batch& batch, size_t begin, size_t scanned, size_t end,
                                bool at_eof) {
    (void)scanned;
    return frame(batch, begin, end, at_eof);
  }

  // The stream restarts (a new file, a truncated file, a new connection): line numbers start at
  // 1 again and a CSV header is expected again.
  virtual void reset() = 0;

  // Lines of the stream framed so far (the next record starts on line lines_framed() + 1).
  virtual uint64_t lines_framed() const = 0;
  // Counts `n` lines the caller consumed without framing them (the rest of an oversized record).
  virtual void skip_lines(uint64_t n) = 0;
  // The stream resumes after `n` lines (a checkpoint): the line count is set, a header already
  // framed is kept.
  virtual void resume_after_lines(uint64_t n) = 0;
  // True while the stream's header (CSV `header: true`) has not been framed.
  virtual bool awaits_header() const { return false; }
};

// Builds the framer the parse format needs. `schema` must be complete and outlive the framer.
std::unique_ptr<RecordFramer> make_framer(const ParseOptions& options, const Schema& schema);

}  // namespace sluice
