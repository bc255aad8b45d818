#include "stages/ingest/csv_framer.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "stages/byte_masks.h"
#include "stages/log.h"
#include "stages/parse/csv_parser.h"

namespace sluice {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

CsvFramer::CsvFramer(const ParseOptions& options, const Schema& schema)
    : options_(options), schema_(schema) {
  if (!options_.header) {
    layout_ = make_fixed_layout(options_, schema_);
  }
}

void CsvFramer::reset() {
  line_ = 0;
  kept_ = ScanState{};
  if (options_.header) {
    layout_ = nullptr;
  }
}

void CsvFramer::take_header(const Batch& batch, std::string_view record) {
  // Spreadsheets often start a file with a byte order mark; it is not part of the first name.
  if (record.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    record.remove_prefix(kUtf8Bom.size());
  }
  std::vector<std::string> names;
  split_csv_record(record, options_.delimiter, options_.quote, names);
  layout_ = make_layout(std::move(names), options_, schema_);
  // The parser hides these columns in every record of the stream (the field-name rule in
  // parser.h) and counts them; the header is seen once per stream, so this is where to say so.
  const std::vector<uint32_t> dropped = dropped_columns(layout_->names);
  if (!dropped.empty()) {
    std::string message = "csv header of ";
    message.append(batch.source ? *batch.source : std::string("the stream"));
    message.append(":");
    for (uint32_t column : dropped) {
      const std::string& name = layout_->names[column];
      message.append(" column ").append(std::to_string(column + 1)).append(" `").append(name);
      message.append(meta_field_from_name(name) != MetaField::kNone
                         ? "` is a metadata name;"
                         : "` repeats an earlier column;");
    }
    message.append(
        " left out of every event (the first column of a name, and the metadata, are "
        "kept; the values stay in `_raw`)");
    log_warning(message);
  }
}

void CsvFramer::take_record(Batch& batch, size_t from, size_t to, uint64_t quoted_newlines) {
  const char* p = batch.text.data();
  const uint64_t position = line_ + 1;
  line_ += 1 + quoted_newlines;
  size_t len = to - from;
  if (len > 0 && p[to - 1] == '\r') {
    --len;
  }
  // A blank line is no record, as in Python's csv.
  if (len == 0) {
    return;
  }
  if (layout_ == nullptr) {
    take_header(batch, std::string_view(p + from, len));
    return;
  }
  Event& event = batch.events.emplace_back();
  event.raw = Span{static_cast<uint32_t>(from), static_cast<uint32_t>(len)};
  event.position = position;
}

size_t CsvFramer::frame(Batch& batch, size_t begin, size_t end, bool at_eof) {
  return frame_resuming(batch, begin, begin, end, at_eof);
}

size_t CsvFramer::frame_resuming(Batch& batch, size_t begin, size_t scanned, size_t end,
                                 bool at_eof) {
  // Python csv's states, visited only at quotes and line breaks (the set bits of the chunk's
  // masks): a quote opens a quoted field only at the start of a field; inside one, `""` is a
  // quote, and anything after the closing quote is plain text up to the next delimiter. Whether
  // a quote inside a quoted field closes it or starts a `""` is known only at the next byte,
  // which may be in the next block or chunk, so that quote is kept pending until then.
  const char* p = batch.text.data();
  const char delimiter = options_.delimiter;
  const char quote = options_.quote;
  Quoting quoting = Quoting::kOutside;
  size_t pending_quote = 0;  // kPendingClose: where that quote is
  size_t start = begin;      // the current record's first byte
  uint64_t quoted_newlines = 0;
  size_t from = begin;
  // The state is kept only for the record the last call left, and only a whole one: a record
  // that starts with a quote needs its start, so the kept state is relative to it.
  if (scanned > begin && kept_.length == scanned - begin && scanned <= end) {
    quoting = kept_.quoting;
    pending_quote = begin + kept_.pending_quote;
    quoted_newlines = kept_.quoted_newlines;
    from = scanned;
  }
  kept_ = ScanState{};
  uint64_t newlines[kMaskChunkBlocks];
  uint64_t quotes[kMaskChunkBlocks];
  for (size_t chunk = from; chunk < end; chunk += kMaskChunkBytes) {
    const size_t n = std::min(kMaskChunkBytes, end - chunk);
    match_bytes(p + chunk, n, '\n', quote, newlines, quotes);
    for (size_t block = 0; block * kMaskBlockBytes < n; ++block) {
      const size_t block_start = chunk + block * kMaskBlockBytes;
      for (uint64_t marks = newlines[block] | quotes[block]; marks != 0; marks &= marks - 1) {
        const uint64_t bit = marks & (~marks + 1);
        const size_t at = block_start + static_cast<size_t>(__builtin_ctzll(marks));
        const bool is_quote = (quotes[block] & bit) != 0;
        if (quoting == Quoting::kPendingClose) {
          if (is_quote && at == pending_quote + 1) {
            quoting = Quoting::kInside;  // `""`: an escaped quote
            continue;
          }
          quoting = Quoting::kOutside;
        }
        if (quoting == Quoting::kInside) {
          if (is_quote) {
            quoting = Quoting::kPendingClose;
            pending_quote = at;
          } else {
            ++quoted_newlines;
          }
          continue;
        }
        if (is_quote) {
          if (at == start || p[at - 1] == delimiter) {
            quoting = Quoting::kInside;
          }
          continue;
        }
        take_record(batch, start, at, quoted_newlines);
        start = at + 1;
        quoted_newlines = 0;
      }
    }
  }
  if (start < end && at_eof) {
    if (quoting == Quoting::kInside) {
      Event& event = batch.events.emplace_back();
      event.raw = Span{static_cast<uint32_t>(start), static_cast<uint32_t>(end - start)};
      event.position = line_ + 1;
      event.error = batch.append("unterminated quoted field");
      event.state = EventState::kParseError;
      line_ += 1 + quoted_newlines;
    } else {
      take_record(batch, start, end, quoted_newlines);
    }
    start = end;
  }
  if (start < end) {
    kept_ = ScanState{end - start, quoting, pending_quote - std::min(pending_quote, start),
                      quoted_newlines};
  }
  if (layout_ != nullptr) {
    batch.layout = layout_;
  }
  return start;
}

}  // namespace sluice
