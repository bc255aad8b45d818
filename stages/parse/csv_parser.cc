#include "stages/parse/csv_parser.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "stages/byte_masks.h"
#include "stages/parse/plain_decimal.h"
#include "stages/parse/type_conversion.h"

namespace sluice {
namespace {

constexpr size_t kBlock = kMaskBlockBytes;

// Bits of the delimiters and of the quotes in one 64-byte block of a record (bits past the
// record cleared). Reads the block in place when the batch text is readable there.
struct BlockMasks {
  uint64_t delimiters;
  uint64_t quotes;
};

inline BlockMasks block_masks(const char* record, size_t size, size_t block,
                              const char* readable_end, char delimiter, char quote) {
  const char* at = record + block;
  const size_t left = size - block;
  BlockMasks masks;
  if (static_cast<size_t>(readable_end - at) >= kBlock) {
    masks = {block_mask(at, delimiter), block_mask(at, quote)};
  } else {
    char copy[kBlock];
    std::memset(copy, 0, sizeof(copy));
    std::memcpy(copy, at, left < kBlock ? left : kBlock);
    masks = {block_mask(copy, delimiter), block_mask(copy, quote)};
  }
  if (left < kBlock) {
    const uint64_t keep = (uint64_t{1} << left) - 1;
    masks.delimiters &= keep;
    masks.quotes &= keep;
  }
  return masks;
}

// Finds delimiters in one record 64 bytes at a time: one compare per block instead of one per
// byte, so an unquoted field costs a bit scan. Reads past the record when the batch text is
// still readable there (the usual case: the next record follows), which avoids a copy.
class DelimiterScanner {
 public:
  DelimiterScanner(const char* record, size_t size, const char* readable_end, char delimiter)
      : p_(record), n_(size), readable_end_(readable_end), delimiter_(delimiter) {}

  // The first delimiter at or after `from`, or the record size when there is none. Calls must
  // not go backwards by more than a block (they never do: fields are scanned left to right).
  size_t next(size_t from) {
    while (from < n_) {
      size_t block = from & ~(kBlock - 1);
      if (block != block_) {
        load(block);
      }
      uint64_t mask = mask_ & (~uint64_t{0} << (from & (kBlock - 1)));
      if (mask != 0) {
        return block + static_cast<size_t>(__builtin_ctzll(mask));
      }
      from = block + kBlock;
    }
    return n_;
  }

 private:
  void load(size_t block) {
    block_ = block;
    size_t left = n_ - block;
    if (static_cast<size_t>(readable_end_ - (p_ + block)) >= kBlock) {
      mask_ = block_mask(p_ + block, delimiter_);
    } else {
      char copy[kBlock];
      std::memset(copy, delimiter_ ^ 1, sizeof(copy));
      std::memcpy(copy, p_ + block, left < kBlock ? left : kBlock);
      mask_ = block_mask(copy, delimiter_);
    }
    if (left < kBlock) {
      mask_ &= (uint64_t{1} << left) - 1;
    }
  }

  const char* p_;
  size_t n_;
  const char* readable_end_;
  char delimiter_;
  size_t block_ = SIZE_MAX;
  uint64_t mask_ = 0;
};

// convert_field's result for the common plain numbers, read without a digit loop when the batch
// text around them allows; false leaves the field to convert_field.
inline bool plain_number(std::string_view text, FieldType type, const char* readable_end,
                         Field& field) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (type == FieldType::kInt && parse_plain_int(begin, end, field.num.i, readable_end)) {
    field.type = type;
    return true;
  }
  if (type == FieldType::kFloat && parse_plain_double(begin, end, field.num.f, readable_end)) {
    field.type = type;
    return true;
  }
  return false;
}

}  // namespace

void split_csv_record(std::string_view record, char delimiter, char quote,
                      std::vector<std::string>& out) {
  // The states of Python's csv reader (non-strict), minus line ends: the record has none.
  enum class State { kStartField, kUnquoted, kQuoted, kQuoteInQuoted };
  out.clear();
  out.emplace_back();
  State state = State::kStartField;
  for (char c : record) {
    switch (state) {
      case State::kStartField:
        if (c == quote) {
          state = State::kQuoted;
          break;
        }
        state = State::kUnquoted;
        [[fallthrough]];
      case State::kUnquoted:
        if (c == delimiter) {
          out.emplace_back();
          state = State::kStartField;
        } else {
          out.back().push_back(c);
        }
        break;
      case State::kQuoted:
        if (c == quote) {
          state = State::kQuoteInQuoted;
        } else {
          out.back().push_back(c);
        }
        break;
      case State::kQuoteInQuoted:
        if (c == quote) {
          out.back().push_back(c);
          state = State::kQuoted;
        } else if (c == delimiter) {
          out.emplace_back();
          state = State::kStartField;
        } else {
          out.back().push_back(c);
          state = State::kUnquoted;
        }
        break;
    }
  }
}

CsvParser::CsvParser(const ParseOptions& options, const Schema& schema)
    : schema_(schema),
      delimiter_(options.delimiter),
      quote_(options.quote),
      fixed_layout_(make_fixed_layout(options, schema)) {}

void CsvParser::use_layout(const std::shared_ptr<const Layout>& layout) {
  layout_ = layout;
  dropped_ = dropped_columns(layout->names);
  typed_.clear();
  for (size_t c = 0; c < layout->column_types.size(); ++c) {
    if (layout->column_types[c] != FieldType::kString &&
        !std::binary_search(dropped_.begin(), dropped_.end(), static_cast<uint32_t>(c))) {
      typed_.push_back(Typed{static_cast<uint32_t>(c), layout->column_types[c]});
    }
  }
}

int64_t CsvParser::split(Batch& batch, const Event& event) {
  const char* p = batch.text.data() + event.raw.off;
  const size_t n = event.raw.len;
  const uint32_t base = event.raw.off;
  DelimiterScanner scanner(p, n, batch.text.data() + batch.text.size(), delimiter_);
  unescaped_.clear();
  fixups_.clear();

  uint32_t column = 0;
  size_t pos = 0;
  // Fast prefix: whole fields before the record's first quote come straight from the delimiter
  // bits. From the field holding a quote on, the general loop below takes over.
  const char* readable_end = batch.text.data() + batch.text.size();
  bool quoted = false;
  for (size_t block = 0; block < n; block += kBlock) {
    BlockMasks masks = block_masks(p, n, block, readable_end, delimiter_, quote_);
    uint64_t delimiters = masks.delimiters;
    if (masks.quotes != 0) {
      delimiters &= (masks.quotes & (0 - masks.quotes)) - 1;  // those before the first quote
    }
    while (delimiters != 0) {
      const size_t end = block + static_cast<size_t>(__builtin_ctzll(delimiters));
      delimiters &= delimiters - 1;
      Field& field = batch.fields.emplace_back();
      field.name.off = column++;
      field.flags = Field::kNameInLayout;
      field.value = Span{static_cast<uint32_t>(base + pos), static_cast<uint32_t>(end - pos)};
      pos = end + 1;
    }
    if (masks.quotes != 0) {
      quoted = true;
      break;
    }
  }
  if (!quoted) {
    Field& field = batch.fields.emplace_back();
    field.name.off = column++;
    field.flags = Field::kNameInLayout;
    field.value = Span{static_cast<uint32_t>(base + pos), static_cast<uint32_t>(n - pos)};
    return column;
  }

  for (;;) {
    Field& field = batch.fields.emplace_back();
    field.name.off = column;
    field.flags = Field::kNameInLayout;
    if (pos < n && p[pos] == quote_) {
      // A quoted field: zero copy unless it holds `""` or bytes follow its closing quote.
      const size_t start = pos + 1;
      const size_t copy_start = unescaped_.size();
      size_t segment = start;
      bool copied = false;
      for (;;) {
        const void* found = segment < n ? std::memchr(p + segment, quote_, n - segment) : nullptr;
        if (found == nullptr) {
          return -1;
        }
        size_t q = static_cast<size_t>(static_cast<const char*>(found) - p);
        if (q + 1 < n && p[q + 1] == quote_) {
          unescaped_.append(p + segment, q + 1 - segment);
          segment = q + 2;
          copied = true;
          continue;
        }
        size_t after = q + 1;
        if (after == n || p[after] == delimiter_) {
          if (!copied) {
            field.value =
                Span{static_cast<uint32_t>(base + start), static_cast<uint32_t>(q - start)};
            pos = after;
            break;
          }
          unescaped_.append(p + segment, q - segment);
          pos = after;
        } else {
          // Python's csv keeps what follows a closing quote: `"ab"c` is `abc`.
          size_t end = scanner.next(after);
          unescaped_.append(p + segment, q - segment);
          unescaped_.append(p + after, end - after);
          pos = end;
        }
        field.value = Span{static_cast<uint32_t>(copy_start),
                           static_cast<uint32_t>(unescaped_.size() - copy_start)};
        fixups_.push_back(static_cast<uint32_t>(batch.fields.size() - 1));
        break;
      }
    } else {
      size_t end = scanner.next(pos);
      field.value = Span{static_cast<uint32_t>(base + pos), static_cast<uint32_t>(end - pos)};
      pos = end;
    }
    ++column;
    if (pos >= n) {
      break;
    }
    ++pos;  // the delimiter
  }

  if (!unescaped_.empty()) {
    // Only now may the text grow: `p` is not used past this point.
    Span copy = batch.append(unescaped_);
    for (uint32_t index : fixups_) {
      batch.fields[index].value.off += copy.off;
    }
  }
  return column;
}

void CsvParser::fail(Batch& batch, Event& event, std::string_view reason) {
  batch.fields.resize(event.first_field);
  event.field_count = 0;
  // Later stages may look up slots of any event; an error event has none of its fields.
  event.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
  batch.slot_fields.resize(batch.slot_fields.size() + schema_.size(), -1);
  event.error = batch.append(reason);
  event.state = EventState::kParseError;
}

void CsvParser::parse(Batch& batch) {
  if (batch.layout == nullptr && fixed_layout_ != nullptr) {
    batch.layout = fixed_layout_;
  }
  const Layout* layout = batch.layout.get();
  if (layout != nullptr && layout != layout_.get()) {
    use_layout(batch.layout);
  }
  const size_t columns = layout != nullptr ? layout->names.size() : 0;
  const size_t slots = schema_.size();
  batch.fields.reserve(batch.fields.size() + batch.events.size() * columns);
  batch.slot_fields.reserve(batch.slot_fields.size() + batch.events.size() * slots);
  uint64_t dropped = 0;  // fields hidden by the field-name rule, added to the count once

  for (Event& event : batch.events) {
    if (event.state != EventState::kFramed) {
      continue;
    }
    event.first_field = static_cast<uint32_t>(batch.fields.size());
    if (layout == nullptr) {
      fail(batch, event, "no header");
      continue;
    }
    int64_t count = split(batch, event);
    if (count < 0) {
      fail(batch, event, "unterminated quoted field");
      continue;
    }
    if (static_cast<size_t>(count) != columns) {
      message_.assign("expected ");
      message_.append(std::to_string(columns));
      message_.append(" fields, found ");
      message_.append(std::to_string(count));
      fail(batch, event, message_);
      continue;
    }
    // The field-name rule (parser.h): a column whose header name repeats an earlier one or is a
    // metadata name stays in place, so columns keep their positions, but hidden: no encoder
    // writes it and no slot points at it. The usual header has none: an empty loop.
    for (uint32_t column : dropped_) {
      batch.fields[event.first_field + column].flags |= Field::kHidden;
    }
    bool converted = true;
    const char* readable_end = batch.text.data() + batch.text.size();
    for (const Typed& typed : typed_) {
      Field& field = batch.fields[event.first_field + typed.column];
      std::string_view text = batch.str(field.value);
      if (plain_number(text, typed.type, readable_end, field)) {
        continue;
      }
      if (!convert_field(text, typed.type, field)) {
        conversion_error(layout->names[typed.column], text, typed.type, message_);
        converted = false;
        break;
      }
    }
    if (!converted) {
      fail(batch, event, message_);
      continue;
    }
    event.field_count = static_cast<uint32_t>(count);
    event.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
    batch.slot_fields.resize(batch.slot_fields.size() + slots, -1);
    int32_t* slot_field = batch.slot_fields.data() + event.slot_base;
    const size_t mapped = std::min(slots, layout->slot_to_column.size());
    const int32_t first = static_cast<int32_t>(event.first_field);
    for (size_t s = 0; s < mapped; ++s) {
      int32_t column = layout->slot_to_column[s];
      if (column >= 0) {
        slot_field[s] = first + column;
      }
    }
    event.state = EventState::kParsed;
    dropped += dropped_.size();  // counted for parsed events only, as the json parser does
  }
  add_dropped_keys(dropped);
}

Result<std::unique_ptr<Parser>> make_csv_parser(const ParseOptions& options, const Schema& schema) {
  if (!options.header && options.columns.empty()) {
    return Status::error("csv needs `header: true` or `columns: [...]`");
  }
  if (!options.header) {
    // Names from the configuration: a repeated or metadata name is the user's to fix, at load.
    if (Status s = check_configured_names(options.columns, "csv `columns`"); !s.ok()) {
      return s;
    }
  }
  if (options.delimiter == options.quote) {
    return Status::error("csv delimiter and quote must differ");
  }
  for (char c : {options.delimiter, options.quote}) {
    if (c == '\n' || c == '\r') {
      return Status::error("csv delimiter and quote cannot be a line break");
    }
  }
  return std::unique_ptr<Parser>(std::make_unique<CsvParser>(options, schema));
}

}  // namespace sluice
