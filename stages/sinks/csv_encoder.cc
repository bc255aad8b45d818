#include "stages/sinks/csv_encoder.h"

#include <cstring>
#include <string_view>
#include <vector>

#include "stages/sinks/byte_writer.h"
#include "stages/sinks/event_access.h"
#include "stages/sinks/json_escape.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice {
namespace {

// The most bytes write_cell() writes for text of n bytes: every byte a doubled quote, plus quotes,
// or a number.
inline size_t cell_max_size(size_t n) { return 2 * n + 2 + kJsonNumberMaxSize; }

bool needs_quotes(std::string_view s, char delimiter) {
  const char* p = s.data();
  const char* end = p + s.size();
#if defined(__SSE2__)
  const __m128i d = _mm_set1_epi8(delimiter);
  const __m128i q = _mm_set1_epi8('"');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, q)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
    if (_mm_movemask_epi8(hit) != 0) {
      return true;
    }
  }
#endif
  for (; p < end; ++p) {
    char c = *p;
    if (c == delimiter || c == '"' || c == '\r' || c == '\n') {
      return true;
    }
  }
  return false;
}

// Writes `s` as one cell, quoted only when it holds the delimiter, a quote, CR or LF.
char* write_cell(std::string_view s, char delimiter, char* dst) {
  if (!needs_quotes(s, delimiter)) {
    return write_literal(s, dst);
  }
  *dst++ = '"';
  size_t start = 0;
  while (true) {
    size_t q = s.find('"', start);
    if (q == std::string_view::npos) {
      dst = write_literal(s.substr(start), dst);
      break;
    }
    dst = write_literal(s.substr(start, q + 1 - start), dst);
    *dst++ = '"';  // the quote doubled
    start = q + 1;
  }
  *dst++ = '"';
  return dst;
}

char* write_value(const Batch& batch, const Field& f, char delimiter, char* dst) {
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kTimestamp:
    case FieldType::kJson:
      return write_cell(view(batch, f.value), delimiter, dst);
    case FieldType::kInt:
      return write_json_int(f.num.i, dst);
    case FieldType::kFloat:
      return write_float_or_nothing(f.num.f, dst);
    case FieldType::kBool:
      return write_literal(f.num.i != 0 ? "true" : "false", dst);
    case FieldType::kNull:
      return dst;
  }
  return dst;
}

}  // namespace

CsvEncoder::CsvEncoder(const std::vector<std::string>& columns, Schema& schema, bool header,
                       char delimiter)
    : header_(header), delimiter_(delimiter) {
  columns_.reserve(columns.size());
  for (const std::string& name : columns) {
    Slot slot = schema.intern(name);
    columns_.push_back(Column{slot, schema.meta(slot), name});
  }
}

void CsvEncoder::begin(std::string& out) {
  if (!header_) {
    return;
  }
  if (columns_.empty()) {
    return;  // named by the data: header_from_data()
  }
  ByteWriter w(out, 0);
  for (size_t i = 0; i < columns_.size(); ++i) {
    char* d = w.room(1 + cell_max_size(columns_[i].name.size()));
    if (i > 0) {
      *d++ = delimiter_;
    }
    w.commit(write_cell(columns_[i].name, delimiter_, d));
  }
  w.put('\n');
}

void CsvEncoder::header_from_data(const Batch& batch, std::span<const uint32_t> events,
                                  std::string& out) {
  if (header_ && columns_.empty() && !events.empty()) {
    write_data_header(batch, events, out);
  }
}

void CsvEncoder::write_data_header(const Batch& batch, std::span<const uint32_t> events,
                                   std::string& out) {
  ByteWriter w(out, 0);
  bool first = true;
  auto put_name = [&](std::string_view name) {
    char* d = w.room(1 + cell_max_size(name.size()));
    if (!first) {
      *d++ = delimiter_;
    }
    w.commit(write_cell(name, delimiter_, d));
    first = false;
  };
  if (batch.layout) {
    // A column a parser hid (a CSV header naming a field twice, or naming metadata: the rule in
    // stages/parse/parser.h) is hidden in every event of its layout and the rows leave it out,
    // so the header does too. Read from the first event: once per output, so a scan is fine.
    const std::vector<std::string>& names = batch.layout->names;
    std::vector<bool> hidden(names.size(), false);
    const Event& e = batch.events[events.front()];
    for (uint32_t i = 0; i < e.field_count; ++i) {
      const Field& f = batch.fields[e.first_field + i];
      if ((f.flags & Field::kNameInLayout) && (f.flags & Field::kHidden) &&
          f.name.off < names.size()) {
        hidden[f.name.off] = true;
      }
    }
    for (size_t c = 0; c < names.size(); ++c) {
      if (!hidden[c]) {
        put_name(names[c]);
      }
    }
  } else {
    const Event& e = batch.events[events.front()];
    for (uint32_t i = 0; i < e.field_count; ++i) {
      const Field& f = batch.fields[e.first_field + i];
      if (!(f.flags & Field::kHidden)) {
        put_name(view(batch, f.name));
      }
    }
  }
  w.put('\n');
}

void CsvEncoder::encode_lines(const Batch& batch, std::span<const uint32_t> events,
                              std::string& out, std::vector<uint32_t>& ends) {
  size_t start = out.size();
  write_rows(batch, events, out, ends);
  estimate_.learn(events.size(), out.size() - start);
}

void CsvEncoder::write_rows(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                            std::vector<uint32_t>& ends) {
  ByteWriter w(out, estimate_.guess(events.size()));
  for (uint32_t index : events) {
    const Event& e = batch.events[index];
    if (columns_.empty()) {
      bool first = true;
      const Field* f = batch.fields.data() + e.first_field;
      const Field* last = f + e.field_count;
      for (; f < last; ++f) {
        if (f->flags & Field::kHidden) {
          continue;
        }
        char* d = w.room(1 + cell_max_size(f->value.len));
        if (!first) {
          *d++ = delimiter_;
        }
        w.commit(write_value(batch, *f, delimiter_, d));
        first = false;
      }
    } else {
      for (size_t i = 0; i < columns_.size(); ++i) {
        const Column& c = columns_[i];
        if (i > 0) {
          w.put(delimiter_);
        }
        std::string_view text;
        switch (c.meta) {
          case MetaField::kNone: {
            const Field* f = slot_field(batch, e, c.slot);
            if (f != nullptr) {
              w.commit(write_value(batch, *f, delimiter_, w.room(cell_max_size(f->value.len))));
            }
            continue;  // a missing field is an empty cell
          }
          case MetaField::kRaw:
            text = view(batch, e.raw);
            break;
          case MetaField::kSource:
            scratch_.clear();
            batch.append_source(e, scratch_);
            text = scratch_;
            break;
          case MetaField::kError:
            text = view(batch, e.error);
            break;
        }
        w.commit(write_cell(text, delimiter_, w.room(cell_max_size(text.size()))));
      }
    }
    w.put('\n');
    ends.push_back(static_cast<uint32_t>(w.size()));
  }
}

}  // namespace sluice
