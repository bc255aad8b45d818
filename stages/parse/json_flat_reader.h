// The JSON parser's flat reader: the common line, a flat object of plain values, read in one pass
// without simdjson's two. It knows the grammar only: what each key means (slots, declared types,
// the field-name rule) is the caller's, told one member at a time. A template in a header, always
// inlined, so that the caller's per-member step compiles into the loop as when both were one
// function (same instruction count per line). Runs on the calling parse worker; no state of its
// own.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "stages/batch.h"
#include "stages/byte_masks.h"

namespace sluice::json {

// The flat reader's whitespace: mark_quotes has sent lines with tabs, CRs or LFs to simdjson.
inline const char* skip_spaces(const char* p, const char* end) {
  while (p < end && *p == ' ') {
    ++p;
  }
  return p;
}

// Marks the quotes of `line` (bit i of word i / 64 for byte i) in `quotes`, a word per 64 bytes;
// returns whether the line holds a byte the flat path leaves to simdjson: a backslash, a control
// character (tabs and CRs included, which lines rarely hold) or a byte >= 0x80. Reads up to 63
// bytes past the line. Marking every quote up front, in independent steps, lets the walk find a
// string's end with a shift and a count instead of a scan it would have to wait for.
inline bool mark_quotes(const char* line, size_t size, std::vector<uint64_t>& quotes) {
  const size_t words = (size + 63) / 64;
  if (quotes.size() < words) {
    quotes.resize(words);
  }
  for (size_t w = 0; w < words; ++w) {
    const char* block = line + w * kMaskBlockBytes;
    uint64_t quote = block_mask(block, '"');
    uint64_t other = block_mask_control_or_high(block, '\\');
    if (w + 1 == words && size % 64 != 0) {
      const uint64_t inside = (uint64_t{1} << (size % 64)) - 1;  // bytes past the line do not count
      quote &= inside;
      other &= inside;
    }
    if (other != 0) {
      return true;
    }
    quotes[w] = quote;
  }
  return false;
}

// The offset of the first quote at or after offset i of a line of `size` bytes, or size.
inline size_t next_quote(const std::vector<uint64_t>& quotes, size_t i, size_t size) {
  if (i >= size) {
    return size;
  }
  size_t w = i / 64;
  uint64_t bits = quotes[w] & (~uint64_t{0} << (i % 64));
  const size_t words = (size + 63) / 64;
  while (bits == 0) {
    if (++w == words) {
      return size;
    }
    bits = quotes[w];
  }
  return w * 64 + static_cast<size_t>(std::countr_zero(bits));
}

// Divisors of the plain decimals parse_flat reads: exact doubles, as Clinger's fast path needs.
inline constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// One member of a flat object, as the reader found it.
struct FlatMember {
  std::string_view key;     // as written: the flat path takes no escapes
  const char* value_begin;  // the value's first byte (a string's opening quote)
  const char* value_end;    // one past its last (a string's closing quote)
  bool exact_float;         // the field is a normal kFloat: num.f is what from_chars reads

  // The value as convert_field sees it: a string without its quotes.
  std::string_view text(const Field& field) const {
    return field.type == FieldType::kString
               ? std::string_view(value_begin + 1, static_cast<size_t>(value_end - value_begin - 2))
               : std::string_view(value_begin, static_cast<size_t>(value_end - value_begin));
  }
};

// A flat object whose keys and string values are printable ASCII without escapes (the line holds
// no control character at all), whose numbers are plain (`-?I` up to 18 digits, `-?I.F` up to 15)
// and whose other values are true, false and null, is read here in one pass, without simdjson's
// two. It takes only lines simdjson would accept, and fills them in the same way: the numbers are
// the same correctly rounded values (simdjson's own fast path for them is the same division),
// every byte is checked (so no UTF-8 check is skipped), and a flat object leaves every dotted path
// absent. Everything else, malformed lines and failed conversions included, returns false and
// goes to simdjson, which reports errors as it always did.
// Each member is appended to batch.fields and filled (name, value, type, number), then handed to
// `on_member(Field&, const FlatMember&)`, which may pop it (a key the caller leaves out) and
// returns false to decline the line. On false the caller drops the fields appended so far.
// REQUIRES: 64 bytes past the line's end are readable.
// Always inlined into its one caller, so the caller's state (the keys seen so far) stays in
// registers across members instead of being reached through the closure.
template <typename OnMember>
[[gnu::always_inline]] inline bool read_flat_object(Batch& batch, const Event& event,
                                                    const char* line,
                                                    std::vector<uint64_t>& quote_bits,
                                                    OnMember&& on_member) {
  const size_t size = event.raw.len;
  if (mark_quotes(line, size, quote_bits)) {
    return false;
  }
  const char* end = line + size;
  const char* p = skip_spaces(line, end);
  if (p == end || *p != '{') {
    return false;
  }
  p = skip_spaces(p + 1, end);
  if (p < end && *p == '}') {
    return skip_spaces(p + 1, end) == end;
  }
  auto span = [&](const char* begin, const char* stop) {
    return Span{event.raw.off + static_cast<uint32_t>(begin - line),
                static_cast<uint32_t>(stop - begin)};
  };
  while (true) {
    if (p == end || *p != '"') {
      return false;
    }
    const char* key_begin = p + 1;
    const char* key_end =
        line + next_quote(quote_bits, static_cast<size_t>(key_begin - line), size);
    if (key_end == end) {
      return false;
    }
    p = skip_spaces(key_end + 1, end);
    if (p == end || *p != ':') {
      return false;
    }
    p = skip_spaces(p + 1, end);
    if (p == end) {
      return false;
    }
    Field& field = batch.fields.emplace_back();
    field.name = span(key_begin, key_end);
    const std::string_view key(key_begin, static_cast<size_t>(key_end - key_begin));
    const char* value_begin = p;
    bool exact_float = false;
    switch (*p) {
      case '"': {
        const char* stop = line + next_quote(quote_bits, static_cast<size_t>(p + 1 - line), size);
        if (stop == end) {
          return false;
        }
        field.type = FieldType::kString;
        field.value = span(p + 1, stop);
        p = stop + 1;
        break;
      }
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9': {
        const bool negative = *p == '-';
        p += negative;
        const char* digits = p;
        uint64_t mantissa = 0;
        while (p < end && static_cast<unsigned>(*p - '0') < 10) {
          mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
          ++p;
        }
        const size_t int_digits = static_cast<size_t>(p - digits);
        if (int_digits == 0 || (*digits == '0' && int_digits > 1) || int_digits > 18) {
          return false;
        }
        if (p < end && *p == '.') {
          const char* fraction = ++p;
          while (p < end && static_cast<unsigned>(*p - '0') < 10) {
            mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
            ++p;
          }
          const size_t fraction_digits = static_cast<size_t>(p - fraction);
          if (fraction_digits == 0 || int_digits + fraction_digits > 15) {
            return false;
          }
          // Below 10^15 < 2^53 over an exact power of ten: one correctly rounded division.
          double d = static_cast<double>(mantissa) / kPow10[fraction_digits];
          field.type = FieldType::kFloat;
          field.num.f = negative ? -d : d;
          exact_float = std::isnormal(d);
        } else {
          if (negative && mantissa == 0) {
            return false;  // "-0" is left to simdjson, whatever it makes of the sign
          }
          field.type = FieldType::kInt;
          const int64_t magnitude = static_cast<int64_t>(mantissa);  // below 10^18
          field.num.i = negative ? -magnitude : magnitude;
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
          return false;
        }
        field.value = span(value_begin, p);
        break;
      }
      case 't':
        if (end - p < 4 || std::memcmp(p, "true", 4) != 0) {
          return false;
        }
        field.type = FieldType::kBool;
        field.num.i = 1;
        p += 4;
        field.value = span(value_begin, p);
        break;
      case 'f':
        if (end - p < 5 || std::memcmp(p, "false", 5) != 0) {
          return false;
        }
        field.type = FieldType::kBool;
        field.num.i = 0;
        p += 5;
        field.value = span(value_begin, p);
        break;
      case 'n':
        if (end - p < 4 || std::memcmp(p, "null", 4) != 0) {
          return false;
        }
        field.type = FieldType::kNull;
        p += 4;
        field.value = span(value_begin, p);
        break;
      default:
        return false;  // a nested object or array, or no value at all
    }
    // What follows the value is checked before it is used: `1x` or `truex` are not values.
    const char* after = skip_spaces(p, end);
    if (after == end || (*after != ',' && *after != '}')) {
      return false;
    }
    if (!on_member(field, FlatMember{key, value_begin, p, exact_float})) {
      return false;
    }
    p = skip_spaces(after + 1, end);
    if (*after == '}') {
      return p == end;
    }
  }
}

}  // namespace sluice::json
