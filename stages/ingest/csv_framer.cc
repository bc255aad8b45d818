#include "stages/ingest/csv_framer.h"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/csv_parser.h"

namespace sluice {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The first `c` in p[from, to), or `to`.
inline size_t find(const char* p, char c, size_t from, size_t to) {
  const void* found = from < to ? std::memchr(p + from, c, to - from) : nullptr;
  return found != nullptr ? static_cast<size_t>(static_cast<const char*>(found) - p) : to;
}

// Line breaks in p[from, to); quoted fields seldom hold any, so this is one memchr.
inline uint64_t count_newlines(const char* p, size_t from, size_t to) {
  uint64_t n = 0;
  for (size_t at = find(p, '\n', from, to); at < to; at = find(p, '\n', at + 1, to)) {
    ++n;
  }
  return n;
}

}  // namespace

CsvFramer::CsvFramer(const ParseOptions& options, const Schema& schema)
    : options_(options), schema_(schema) {
  if (!options_.header) {
    layout_ = make_fixed_layout(options_, schema_);
  }
}

void CsvFramer::reset() {
  line_ = 0;
  if (options_.header) {
    layout_ = nullptr;
  }
}

CsvFramer::RecordScan CsvFramer::scan_record(const char* p, size_t pos, size_t end) const {
  // Python csv's states, visited only where a quote or line break is: a quote opens a quoted
  // field only at the start of a field; inside one, `""` is a quote and anything else after the
  // closing quote is plain text up to the next delimiter.
  const char delimiter = options_.delimiter;
  const char quote = options_.quote;
  uint64_t newlines = 0;
  size_t i = pos;  // the start of a field, outside quotes
  size_t newline = find(p, '\n', i, end);
  for (;;) {
    if (i < end && p[i] == quote) {
      size_t j = i + 1;
      for (;;) {
        size_t q = find(p, quote, j, end);
        newlines += count_newlines(p, j, q);
        if (q == end) {
          return RecordScan{end, newlines, false, true};
        }
        if (q + 1 == end) {
          return RecordScan{end, newlines, false, false};
        }
        if (p[q + 1] != quote) {
          i = q + 1;
          break;
        }
        j = q + 2;
      }
      newline = find(p, '\n', i, end);
      if (p[i] == delimiter) {
        ++i;
        continue;
      }
      if (p[i] == '\n') {
        return RecordScan{i, newlines, true, false};
      }
    }
    // Plain text from i to the line break, unless a quote follows a delimiter before it.
    size_t k = i;
    for (;;) {
      size_t q = find(p, quote, k, newline);
      if (q == newline) {
        return RecordScan{newline, newlines, newline < end, false};
      }
      // q > i here: a field starting at i with a quote was handled above.
      if (p[q - 1] == delimiter) {
        i = q;
        break;
      }
      k = q + 1;
    }
  }
}

void CsvFramer::take_header(std::string_view record) {
  // Spreadsheets often start a file with a byte order mark; it is not part of the first name.
  if (record.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    record.remove_prefix(kUtf8Bom.size());
  }
  std::vector<std::string> names;
  split_csv_record(record, options_.delimiter, options_.quote, names);
  layout_ = make_layout(std::move(names), options_, schema_);
}

size_t CsvFramer::frame(Batch& batch, size_t begin, size_t end, bool at_eof) {
  const char* p = batch.text.data();
  const char quote = options_.quote;
  size_t pos = begin;
  // The next quote at or after `pos` (or `end`): lines before it need no quote-aware scan.
  size_t next_quote = pos;
  bool quote_known = false;
  while (pos < end) {
    const size_t line_end = find(p, '\n', pos, end);
    if (!quote_known || next_quote < pos) {
      next_quote = find(p, quote, pos, end);
      quote_known = true;
    }
    RecordScan scan{line_end, 0, line_end < end, false};
    if (next_quote < line_end) {
      scan = scan_record(p, pos, end);
    }
    if (!scan.complete && !at_eof) {
      break;  // the caller carries the partial record into the next batch
    }
    const uint64_t position = line_ + 1;
    line_ += 1 + scan.newlines;
    if (scan.open) {
      Event& event = batch.events.emplace_back();
      event.raw = Span{static_cast<uint32_t>(pos), static_cast<uint32_t>(end - pos)};
      event.position = position;
      event.error = batch.append("unterminated quoted field");
      event.state = EventState::kParseError;
      pos = end;
      break;
    }
    size_t len = scan.end - pos;
    if (len > 0 && p[scan.end - 1] == '\r') {
      --len;
    }
    // A blank line is no record, as in Python's csv.
    if (len > 0) {
      if (layout_ == nullptr) {
        take_header(std::string_view(p + pos, len));
      } else {
        Event& event = batch.events.emplace_back();
        event.raw = Span{static_cast<uint32_t>(pos), static_cast<uint32_t>(len)};
        event.position = position;
      }
    }
    pos = scan.complete ? scan.end + 1 : end;
  }
  if (layout_ != nullptr) {
    batch.layout = layout_;
  }
  return pos;
}

}  // namespace sluice
