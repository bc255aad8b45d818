#include "stages/parse/json_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "stages/log.h"
#include "stages/parse/type_conversion.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice {
namespace {

namespace od = simdjson::ondemand;

// The walk that writes nested values recurses, so it needs a bound; simdjson's parser keeps
// per-depth state up to its own limit (DEFAULT_MAX_DEPTH), which the walk must stay under.
constexpr int32_t kMaxDepth = simdjson::DEFAULT_MAX_DEPTH - 2;

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// raw_json_token() runs up to the next structural character, so it carries trailing whitespace.
std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_json_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

static_assert(std::endian::native == std::endian::little, "the word scans assume it");

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// High bit set in each byte of `word` that equals `c`.
inline uint64_t bytes_equal(uint64_t word, char c) {
  const uint64_t x = word ^ (kOnes * static_cast<uint8_t>(c));
  return (x - kOnes) & ~x & kHighs;
}

// The escaped text of a key, from just after its opening quote up to its closing quote; `escaped`
// tells whether it holds a backslash (else it reads the same unescaped, and needs no copy).
// Reads a word at a time, up to 7 bytes past the closing quote: the padding makes that safe.
[[gnu::always_inline]] inline std::string_view raw_key(const char* start, bool& escaped) {
  for (size_t i = 0;; i += 8) {
    uint64_t word;
    std::memcpy(&word, start + i, 8);
    const uint64_t quote = bytes_equal(word, '"');
    const uint64_t backslash = bytes_equal(word, '\\');
    if ((quote | backslash) == 0) {
      continue;
    }
    // Bits below the first hit are exact; borrows in the zero-byte trick only run upward.
    const uint64_t first = (quote | backslash) & (~(quote | backslash) + 1);
    if (quote & first) {
      escaped = false;
      return std::string_view(start, i + static_cast<size_t>(std::countr_zero(quote)) / 8);
    }
    // A backslash comes first: step over escape pairs byte by byte (rare).
    escaped = true;
    size_t j = i + static_cast<size_t>(std::countr_zero(backslash)) / 8;
    while (start[j] != '"') {
      j += start[j] == '\\' ? 2 : 1;
    }
    return std::string_view(start, j);
  }
}

// Whether s holds a backslash. Reads up to 15 bytes past its end, which simdjson's padding after
// the line makes safe; no call, and a block or two covers most values of a log line.
bool has_backslash(std::string_view s) {
#if defined(__SSE2__)
  const __m128i backslash = _mm_set1_epi8('\\');
  for (size_t i = 0; i < s.size(); i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    uint32_t hits = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, backslash)));
    if (s.size() - i < 16) {
      hits &= (1u << (s.size() - i)) - 1;  // bytes past the end do not count
    }
    if (hits != 0) {
      return true;
    }
  }
  return false;
#else
  for (size_t i = 0; i < s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    uint64_t hits = bytes_equal(word, '\\');
    if (s.size() - i < 8) {
      hits &= (uint64_t{1} << ((s.size() - i) * 8)) - 1;  // bytes past the end do not count
    }
    if (hits != 0) {
      return true;
    }
  }
  return false;
#endif
}

// A scalar getter reports a malformed literal, number or string as INCORRECT_TYPE, which reads
// as if the caller had asked for the wrong type; name the malformed token instead.
simdjson::error_code scalar_error(od::json_type type, std::string_view token,
                                  simdjson::error_code error) {
  if (error != simdjson::INCORRECT_TYPE) {
    return error;
  }
  switch (type) {
    case od::json_type::boolean:
      return !token.empty() && token[0] == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
    case od::json_type::null:
      return simdjson::N_ATOM_ERROR;
    case od::json_type::number:
      return simdjson::NUMBER_ERROR;
    case od::json_type::string:
      return simdjson::STRING_ERROR;
    default:
      return error;
  }
}

// Writes `value` to `out` without insignificant whitespace, validating it on the way (On Demand
// only checks what is read). Strings, numbers and keys keep their original spelling.
simdjson::error_code write_minified(od::value& value, std::string& out) {
  if (value.current_depth() >= kMaxDepth) {
    return simdjson::DEPTH_ERROR;
  }
  od::json_type type;
  if (auto error = value.type().get(type)) {
    return error;
  }
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) {
        return error;
      }
      out.push_back('{');
      bool first = true;
      for (auto result : object) {
        if (auto error = result.error()) {
          return error;
        }
        od::field& field = result.value_unsafe();  // a copy would cost a store-forwarding stall
        bool escaped = false;
        const std::string_view key = raw_key(field.key().raw(), escaped);
        std::string_view unescaped;
        if (escaped) {
          if (auto error = field.unescaped_key().get(unescaped)) {
            return error;  // a bad escape
          }
        }
        if (!first) {
          out.push_back(',');
        }
        first = false;
        out.push_back('"');
        out.append(key);
        out.append("\":");
        if (auto error = write_minified(field.value(), out)) {
          return error;
        }
      }
      out.push_back('}');
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) {
        return error;
      }
      out.push_back('[');
      bool first = true;
      for (auto result : array) {
        if (auto error = result.error()) {
          return error;
        }
        od::value& element = result.value_unsafe();
        if (!first) {
          out.push_back(',');
        }
        first = false;
        if (auto error = write_minified(element, out)) {
          return error;
        }
      }
      out.push_back(']');
      return simdjson::SUCCESS;
    }
    default:
      break;
  }
  const std::string_view token = trim_right(value.raw_json_token());
  simdjson::error_code error = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::string: {
      if (!has_backslash(token.substr(1, token.size() - 2))) {
        error = value.get_raw_json_string().error();  // read past, without get_string's copy
        break;
      }
      std::string_view s;
      error = value.get_string().get(s);  // checks the escapes
      break;
    }
    case od::json_type::number: {
      od::number n;
      error = value.get_number().get(n);
      break;
    }
    case od::json_type::boolean: {
      bool b;
      error = value.get_bool().get(b);
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      error = value.is_null().get(is_null);
      if (!error && !is_null) {
        error = simdjson::N_ATOM_ERROR;
      }
      break;
    }
    default:
      error = simdjson::TAPE_ERROR;
      break;
  }
  if (error) {
    return scalar_error(type, token, error);
  }
  out.append(token);
  return simdjson::SUCCESS;
}

// The first 16 bytes of a key, zero past its end. `readable`: 16 bytes from p may be read.
inline void load_head(const char* p, size_t length, bool readable, uint64_t head[2]) {
  if (readable) {
    std::memcpy(head, p, 16);
  } else {
    char copy[16] = {};
    std::memcpy(copy, p, std::min<size_t>(length, 16));
    std::memcpy(head, copy, 16);
  }
  if (length < 16) {
    const size_t bits = length * 8;
    // Shifts stay below 64: the mask of a word the key does not reach is 0.
    head[0] &= bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    head[1] &= bits <= 64 ? 0 : (uint64_t{1} << (bits - 64)) - 1;
  }
}

}  // namespace

struct JsonParser::Impl {
  // A name the configuration refers to: its slot (or -1 when only `types:` names it) and type;
  // or a metadata name; or a key learned from the input (slot -1, untyped), see KeysSeen.
  struct Name {
    std::string name;
    int32_t slot = -1;
    FieldType type = FieldType::kString;
    bool typed = false;
    uint64_t bit = 0;  // in KeysSeen::names; 0 past the first kNameBits names
  };
  static constexpr size_t kNameBits = 64;

  // The keys an event has so far, for the field-name rule (parser.h), beside what the slots tell.
  // A key with a slot has its repeat in slot_field already: it is filled by that key only. Any
  // other key the table knows (metadata, a name only `types:` gives, a learned one) sets its
  // name's own bit, so its repeat is certain too. Every other key sets the bit of the empty table
  // entry its lookup ended at: the lookup is done anyway, so this costs a shift and an OR, and two
  // keys share a bit only when they end at the same entry or at entries 64 apart. Only then are
  // names compared; when they differ, the key is learned after the event (it gets an entry and a
  // bit of its own), so a stream whose keys collide pays the comparison about once per key.
  struct KeysSeen {
    uint64_t names;
    uint64_t entries = 0;
  };
  // A schema name with a dot, resolved as a JSON pointer when no top-level key has that name.
  struct Path {
    uint32_t name;  // into names
    std::string pointer;
  };

  Impl(const ParseOptions& options, const Schema& schema);
  void parse(Batch& batch);
  // Parses one line; false with message set when it fails.
  bool parse_event(Batch& batch, Event& event);
  // The common line without simdjson: a flat object of plain values. False when the line is
  // anything else, having appended fields the caller drops; see the definition.
  bool parse_flat(Batch& batch, const Event& event, const char* line, int32_t* slot_field);
  // Applies the declared type of `name` to a filled-in scalar `field` whose text is `text`.
  // `exact_float`: field.num.f is what from_chars would read from text.
  bool apply_declared_type(const Name* name, std::string_view field_name, std::string_view text,
                           bool exact_float, Field& field);
  // The name spelled `key`, or nullptr. `readable`: 16 bytes from key.data() may be read (the key
  // is in the padded line), so it is loaded without a copy. `entry`: where the lookup ended (the
  // name's entry, or the empty one after the probe).
  [[gnu::always_inline]] const Name* find(std::string_view key, bool readable, size_t& entry) const;
  // Whether `key`, found as `name` at `entry`, repeats a key of the event or is a metadata name.
  // `appended`: 1 when the key's own field is batch.fields.back() already, else 0.
  [[gnu::always_inline]] bool repeats(const Name* name, size_t entry, std::string_view key,
                                      const Batch& batch, const Event& event, size_t appended,
                                      const int32_t* slot_field, KeysSeen& seen) {
    if (name != nullptr && name->slot >= 0) {
      return slot_field[name->slot] >= 0;
    }
    if (name != nullptr && name->bit != 0) {
      const bool seen_before = (seen.names & name->bit) != 0;
      seen.names |= name->bit;
      return seen_before;
    }
    const uint64_t bit = uint64_t{1} << (entry & 63);
    if ((seen.entries & bit) == 0) [[likely]] {
      seen.entries |= bit;
      return false;
    }
    return repeats_by_name(key, batch, event, appended);
  }
  bool repeats_by_name(std::string_view key, const Batch& batch, const Event& event,
                       size_t appended);
  // Adds `key` to the table as a name of its own, with a bit while there are bits left.
  void learn(std::string_view key);
  void insert_key(uint32_t name);
  // Counts a key the field-name rule drops from the event being parsed.
  void note_dropped(std::string_view key, bool metadata);
  // After a parsed event that dropped keys: adds them to the batch's count; warns the first time.
  void settle_dropped(const Batch& batch, const Event& event);
  // Fills field.type, value and num from `value`, then applies the declared type of `name`.
  bool fill_value(od::value& value, const Name* name, std::string_view field_name, Batch& batch,
                  const Event& event, Field& field);
  // Copies `line` into `padded`, followed by simdjson's padding (zeros); returns the copy.
  const char* copy_padded(std::string_view line);
  void fail_json(simdjson::error_code error);

  size_t key_slot(uint64_t head, size_t length) const {
    return static_cast<size_t>(((head ^ length) * 0x9E3779B97F4A7C15ULL) >> key_shift);
  }

  const Schema& schema;
  std::vector<Name> names;
  // Open addressing over the names: a key's first 16 bytes (zero past its end) and its length
  // find it with one multiply and, usually, one probe, without a call or a pointer chase.
  struct KeyEntry {
    uint64_t head[2] = {0, 0};
    uint32_t length = 0;  // 0: an empty entry (the empty name is never looked up)
    uint32_t name = 0;    // into names
  };
  std::vector<KeyEntry> key_table;  // a power of two in size, at most a quarter full
  uint64_t reserved_bits = 0;       // the bits of `_raw`, `_source`, `_error`: every event has them
  std::string to_learn;             // a key whose entry bit collided, learned after its event
  uint32_t key_shift = 64;
  std::vector<Path> paths;
  od::parser parser;
  enum class FlatPath { kAdaptive, kAlways, kNever };
  FlatPath flat_path = FlatPath::kAdaptive;
  // Lines of a stream are mostly alike: when the flat path declines line after line (nested
  // values, escapes), it only costs time, so it pauses for a while, then tries again.
  static constexpr uint32_t kFlatDeclinesBeforePause = 16;
  static constexpr uint32_t kFlatPauseLines = 1024;
  uint32_t flat_declined = 0;        // in a row
  uint32_t flat_pause = 0;           // lines left to parse with simdjson only
  std::vector<uint64_t> quote_bits;  // parse_flat's, per line; reused
  std::string padded;                // the line copied with simdjson's padding; reused
  std::string message;               // reused per error
  // The field-name rule's count: keys dropped from the event being parsed, from this batch.
  uint64_t event_dropped = 0;
  uint64_t batch_dropped = 0;
  bool warned = false;            // one warning per parser: the count says the rest
  bool dropped_metadata = false;  // what the warning will say about dropped_example
  std::string dropped_example;    // the event's first dropped key, until the warning is written
};

JsonParser::Impl::Impl(const ParseOptions& options, const Schema& schema) : schema(schema) {
  // First, so that they always get a bit: a key spelled like metadata is dropped (parser.h).
  for (std::string_view meta : {"_raw", "_source", "_error"}) {
    names.push_back(Name{std::string(meta)});
  }
  auto name_index = [&](std::string_view name) -> Name& {
    for (auto& n : names) {
      if (n.name == name) {
        return n;
      }
    }
    names.push_back(Name{std::string(name)});
    return names.back();
  };
  for (Slot s = 0; s < schema.size(); ++s) {
    // `_raw`, `_source`, `_error` always mean the event's metadata, never a key of the line.
    if (schema.meta(s) == MetaField::kNone) {
      name_index(schema.name(s)).slot = static_cast<int32_t>(s);
    }
  }
  for (const auto& [name, type] : options.types) {
    Name& n = name_index(name);
    n.type = type;
    n.typed = true;
  }
  for (size_t i = 0; i < names.size() && i < kNameBits; ++i) {
    names[i].bit = uint64_t{1} << i;
  }
  reserved_bits = names[0].bit | names[1].bit | names[2].bit;
  // Room for the names learned later (up to kNameBits in all), so neither the table nor `names`
  // ever grows while an event is parsed. A table of at least 256 entries also spreads the keys it
  // does not know over many empty entries, whose bits then rarely collide (see KeysSeen).
  const size_t most_names = std::max(names.size(), kNameBits);
  names.reserve(most_names);
  size_t table_size = 4;
  while (table_size < most_names * 4) {
    table_size *= 2;
  }
  key_table.resize(table_size);
  key_shift = static_cast<uint32_t>(64 - std::countr_zero(table_size));
  for (uint32_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i].name;
    if (name.empty()) {
      continue;
    }
    insert_key(i);
    if (names[i].slot >= 0 && name.find('.') != std::string::npos) {
      Path path{i, "/"};
      for (char c : name) {
        if (c == '.') {
          path.pointer.push_back('/');
        } else if (c == '~') {
          path.pointer.append("~0");
        } else if (c == '/') {
          path.pointer.append("~1");
        } else {
          path.pointer.push_back(c);
        }
      }
      paths.push_back(std::move(path));
    }
  }
}

void JsonParser::Impl::insert_key(uint32_t name) {
  const std::string& text = names[name].name;
  KeyEntry entry;
  load_head(text.data(), text.size(), false, entry.head);
  entry.length = static_cast<uint32_t>(text.size());
  entry.name = name;
  size_t slot = key_slot(entry.head[0], text.size());
  while (key_table[slot].length != 0) {
    slot = (slot + 1) & (key_table.size() - 1);
  }
  key_table[slot] = entry;
}

// Between events (the entries a lookup ends at must not move within one), at most once per
// colliding key of the stream and kNameBits names in all, so off the hot path.
void JsonParser::Impl::learn(std::string_view key) {
  if (key.empty() || names.size() >= kNameBits) {
    return;  // "" has no entry (length 0 marks an empty one); past the bits, names are compared
  }
  size_t entry;
  if (find(key, false, entry) != nullptr) {
    return;
  }
  names.push_back(Name{std::string(key)});  // within the capacity reserved: no Name* moves
  names.back().bit = uint64_t{1} << (names.size() - 1);
  insert_key(static_cast<uint32_t>(names.size() - 1));
}

[[gnu::noinline]] bool JsonParser::Impl::repeats_by_name(std::string_view key, const Batch& batch,
                                                         const Event& event, size_t appended) {
  for (size_t i = event.first_field; i + appended < batch.fields.size(); ++i) {
    if (batch.str(batch.fields[i].name) == key) {
      return true;
    }
  }
  if (to_learn.empty()) {
    to_learn.assign(key);  // two keys share a bit: give this one a name, so they stop sharing
  }
  return false;
}

void JsonParser::Impl::note_dropped(std::string_view key, bool metadata) {
  if (++event_dropped == 1 && !warned) {  // the warning names the event's first
    dropped_example.assign(key);
    dropped_metadata = metadata;
  }
}

void JsonParser::Impl::settle_dropped(const Batch& batch, const Event& event) {
  batch_dropped += event_dropped;
  if (warned) {
    return;
  }
  warned = true;
  std::string line = "json input: key `";
  line.append(dropped_example);
  line.append("` at ");
  batch.append_source(event, line);
  if (dropped_metadata) {
    line.append(
        " is a metadata name; such keys are left out of events, so `_raw`, `_source` and "
        "`_error` always mean the event's metadata (the key's text stays in `_raw`)");
  } else {
    line.append(
        " repeats within the event; the first occurrence is kept and later ones are left "
        "out (their text stays in `_raw`)");
  }
  line.append(". Warned once per parse worker; later ones are only counted.");
  log_warning(line);
}

inline const JsonParser::Impl::Name* JsonParser::Impl::find(std::string_view key, bool readable,
                                                            size_t& slot) const {
  if (key.empty()) {
    slot = 0;
    return nullptr;
  }
  uint64_t head[2];
  load_head(key.data(), key.size(), readable, head);
  for (slot = key_slot(head[0], key.size());; slot = (slot + 1) & (key_table.size() - 1)) {
    const KeyEntry& entry = key_table[slot];
    if (entry.length == 0) {
      return nullptr;
    }
    if (entry.length == key.size() && entry.head[0] == head[0] && entry.head[1] == head[1] &&
        (key.size() <= 16 ||
         std::memcmp(names[entry.name].name.data() + 16, key.data() + 16, key.size() - 16) == 0)) {
      return &names[entry.name];
    }
  }
}

const char* JsonParser::Impl::copy_padded(std::string_view line) {
  static_assert(simdjson::SIMDJSON_PADDING >= 64, "parse_flat reads 64 bytes past a line");
  // Grown only, never shrunk or zero-filled whole: the line and its padding are written below.
  if (padded.size() < line.size() + simdjson::SIMDJSON_PADDING) {
    padded.resize(std::max(padded.size() * 2, line.size() + simdjson::SIMDJSON_PADDING));
  }
  std::memcpy(padded.data(), line.data(), line.size());
  std::memset(padded.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);
  return padded.data();
}

void JsonParser::Impl::fail_json(simdjson::error_code error) {
  message.assign("invalid JSON: ");
  message.append(simdjson::error_message(error));
}

bool JsonParser::Impl::fill_value(od::value& value, const Name* name, std::string_view field_name,
                                  Batch& batch, const Event& event, Field& field) {
  od::json_type type;
  if (auto error = value.type().get(type)) {
    fail_json(error);
    return false;
  }
  // Offsets in `padded` are offsets in the raw line.
  auto raw_span = [&](std::string_view s) {
    return Span{event.raw.off + static_cast<uint32_t>(s.data() - padded.data()),
                static_cast<uint32_t>(s.size())};
  };
  std::string_view text;     // the value as convert_field sees it
  bool exact_float = false;  // field.num.f is what convert_field would read from text
  simdjson::error_code error = simdjson::SUCCESS;
  if (type == od::json_type::object || type == od::json_type::array) {
    const size_t start = batch.text.size();
    error = write_minified(value, batch.text);
    if (error) {
      batch.text.resize(start);
      fail_json(error);
      return false;
    }
    field.type = FieldType::kJson;
    field.value =
        Span{static_cast<uint32_t>(start), static_cast<uint32_t>(batch.text.size() - start)};
    if (name != nullptr && name->typed && name->type != FieldType::kString) {
      conversion_error(field_name, batch.str(field.value), name->type, message);
      return false;
    }
    return true;
  }
  const std::string_view token = trim_right(value.raw_json_token());
  switch (type) {
    case od::json_type::string: {
      const std::string_view inner = token.substr(1, token.size() - 2);
      field.type = FieldType::kString;
      if (!has_backslash(inner)) {
        // Reads the same unescaped and cannot hold a bad escape: consume it (On Demand would
        // skip an unread value without checking what follows) but skip the copy get_string makes.
        error = value.get_raw_json_string().error();
        field.value = raw_span(inner);
        text = inner;
        break;
      }
      std::string_view s;
      error = value.get_string().get(s);
      if (error) {
        break;
      }
      field.value = batch.append(s);  // s lives in simdjson's buffer, not in batch.text
      text = s;
      break;
    }
    case od::json_type::number: {
      od::number n;
      error = value.get_number().get(n);
      if (error) {
        break;
      }
      switch (n.get_number_type()) {
        case simdjson::ondemand::number_type::signed_integer:
          field.type = FieldType::kInt;
          field.num.i = n.get_int64();
          break;
        case simdjson::ondemand::number_type::unsigned_integer:
          field.type = FieldType::kFloat;  // above int64's range
          field.num.f = static_cast<double>(n.get_uint64());
          break;
        case simdjson::ondemand::number_type::floating_point_number:
          field.type = FieldType::kFloat;
          field.num.f = n.get_double();
          // Correctly rounded, as from_chars is; only for zero and subnormals (which from_chars
          // may report out of range) could a declared float read the text differently.
          exact_float = std::isnormal(field.num.f);
          break;
      }
      field.value = raw_span(token);
      text = token;
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      error = value.get_bool().get(b);
      field.type = FieldType::kBool;
      field.num.i = b ? 1 : 0;
      field.value = raw_span(token);
      text = token;
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      error = value.is_null().get(is_null);
      if (!error && !is_null) {
        error = simdjson::N_ATOM_ERROR;
      }
      field.type = FieldType::kNull;
      field.value = raw_span(token);
      break;
    }
    default:
      error = simdjson::TAPE_ERROR;
      break;
  }
  if (error) {
    fail_json(scalar_error(type, token, error));
    return false;
  }
  return apply_declared_type(name, field_name, text, exact_float, field);
}

inline bool JsonParser::Impl::apply_declared_type(const Name* name, std::string_view field_name,
                                                  std::string_view text, bool exact_float,
                                                  Field& field) {
  // A declared type converts the value; null stays null (absent data is not a bad value).
  if (name != nullptr && name->typed && field.type != FieldType::kNull) {
    if (name->type == field.type &&
        (field.type == FieldType::kInt || field.type == FieldType::kBool || exact_float)) {
      // Already exact: a JSON integer that fits int64 (or true/false, or a normal double) is what
      // from_chars (or the bool conversion) would read from the same text.
    } else if (name->type == FieldType::kString) {
      field.type = FieldType::kString;
      field.num.i = 0;
    } else if (!convert_field(text, name->type, field)) {
      conversion_error(field_name, text, name->type, message);
      return false;
    }
  }
  return true;
}

namespace {

// parse_flat's whitespace: mark_quotes has sent lines with tabs, CRs or LFs to simdjson.
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
bool mark_quotes(const char* line, size_t size, std::vector<uint64_t>& quotes) {
  const size_t words = (size + 63) / 64;
  if (quotes.size() < words) {
    quotes.resize(words);
  }
  for (size_t w = 0; w < words; ++w) {
    uint64_t quote = 0;
    uint64_t other = 0;
    for (int k = 0; k < 4; ++k) {
#if defined(__SSE2__)
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(line + w * 64 + k * 16));
      quote |= static_cast<uint64_t>(
                   static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')))))
               << (k * 16);
      // A signed compare with 0x20 catches control characters and every byte >= 0x80 at once.
      other |=
          static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(
              _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')), _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))))))
          << (k * 16);
#else
      for (int b = 0; b < 16; ++b) {
        const auto c = static_cast<unsigned char>(line[w * 64 + k * 16 + b]);
        quote |= static_cast<uint64_t>(c == '"') << (k * 16 + b);
        other |= static_cast<uint64_t>(c == '\\' || c < 0x20 || c >= 0x80) << (k * 16 + b);
      }
#endif
    }
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
constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

}  // namespace

// A flat object whose keys and string values are printable ASCII without escapes (the line holds
// no control character at all), whose numbers are plain (`-?I` up to 18 digits, `-?I.F` up to 15)
// and whose other values are true, false and null, is read here in one pass, without simdjson's
// two. It takes only lines simdjson would accept, and fills them in the same way: the numbers are
// the same correctly rounded values (simdjson's own fast path for them is the same division),
// every byte is checked (so no UTF-8 check is skipped), and a flat object leaves every dotted path
// absent. Everything else, malformed lines and failed conversions included, returns false and
// goes to simdjson, which reports errors as it always did.
// REQUIRES: 64 bytes past the line's end are readable.
bool JsonParser::Impl::parse_flat(Batch& batch, const Event& event, const char* line,
                                  int32_t* slot_field) {
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
  KeysSeen seen{reserved_bits};  // the names the event has: its metadata, then its keys
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
    size_t entry;
    const Name* name = find(key, true, entry);
    if (repeats(name, entry, key, batch, event, 1, slot_field, seen)) [[unlikely]] {
      // The field-name rule (parser.h): a repeated or metadata key is left out, unconverted.
      batch.fields.pop_back();
      note_dropped(key, name != nullptr && (name->bit & reserved_bits) != 0);
    } else if (name != nullptr) {
      const std::string_view text =
          field.type == FieldType::kString
              ? std::string_view(value_begin + 1, static_cast<size_t>(p - value_begin - 2))
              : std::string_view(value_begin, static_cast<size_t>(p - value_begin));
      if (!apply_declared_type(name, key, text, exact_float, field)) {
        return false;
      }
      if (name->slot >= 0) {  // empty: repeats() said so
        slot_field[name->slot] = static_cast<int32_t>(batch.fields.size() - 1);
      }
    }
    p = skip_spaces(after + 1, end);
    if (*after == '}') {
      return p == end;
    }
  }
}

bool JsonParser::Impl::parse_event(Batch& batch, Event& event) {
  const std::string_view line = batch.str(event.raw);
  int32_t* slot_field = batch.slot_fields.data() + event.slot_base;
  event_dropped = 0;
  if (flat_path == FlatPath::kAlways || (flat_path == FlatPath::kAdaptive && flat_pause == 0)) {
    // Read in place, with the rest of the batch as padding; the batch's last lines, which lack
    // it, from a padded copy.
    const char* text_end = batch.text.data() + batch.text.size();
    const bool padded_in_place = text_end - (line.data() + line.size()) >= 64;
    if (parse_flat(batch, event, padded_in_place ? line.data() : copy_padded(line), slot_field)) {
      flat_declined = 0;
      return true;
    }
    batch.fields.resize(event.first_field);
    std::fill(slot_field, slot_field + schema.size(), -1);
    event_dropped = 0;  // simdjson reads the line again, keys the flat path dropped included
    if (flat_path == FlatPath::kAdaptive && ++flat_declined == kFlatDeclinesBeforePause) {
      flat_declined = 0;
      flat_pause = kFlatPauseLines;
    }
  } else if (flat_pause > 0) {
    --flat_pause;
  }
  copy_padded(line);
  od::document doc;
  if (auto error = parser.iterate(padded.data(), line.size(), padded.size()).get(doc)) {
    fail_json(error);
    return false;
  }
  od::object object;
  KeysSeen seen{reserved_bits};  // as in parse_flat
  if (auto error = doc.get_object().get(object)) {
    od::json_type type;
    if (error != simdjson::INCORRECT_TYPE) {
      fail_json(error);
    } else if (doc.type().get(type) == simdjson::SUCCESS) {
      message.assign("not a JSON object");
    } else {
      fail_json(simdjson::TAPE_ERROR);  // the root is no JSON value at all
    }
    return false;
  }
  for (auto result : object) {
    if (auto error = result.error()) {
      fail_json(error);
      return false;
    }
    // Used where it is: copying the field out costs a store-forwarding stall per key.
    od::field& member = result.value_unsafe();
    const char* raw = member.key().raw();
    bool escaped = false;
    std::string_view key = raw_key(raw, escaped);
    if (escaped) {
      if (auto error = member.unescaped_key().get(key)) {
        fail_json(error);
        return false;
      }
    }
    size_t entry;
    const Name* name = find(key, !escaped, entry);
    if (repeats(name, entry, key, batch, event, 0, slot_field, seen)) [[unlikely]] {
      // The field-name rule (parser.h): a repeated or metadata key is left out, unconverted. Its
      // value is still read, as On Demand checks only what is read: the line stays valid JSON
      // or not as a whole, whichever of its keys repeat.
      const size_t text_size = batch.text.size();
      Field ignored;
      if (!fill_value(member.value(), nullptr, key, batch, event, ignored)) {
        return false;
      }
      batch.text.resize(text_size);
      note_dropped(key, name != nullptr && (name->bit & reserved_bits) != 0);
      continue;
    }
    // Built in place: fill_value appends to batch.text only, so the reference stays valid.
    Field& field = batch.fields.emplace_back();
    if (!escaped) {
      // A key without escapes reads the same in the raw line: point there instead of copying.
      field.name = Span{event.raw.off + static_cast<uint32_t>(raw - padded.data()),
                        static_cast<uint32_t>(key.size())};
    } else {
      field.name = batch.append(key);
    }
    if (!fill_value(member.value(), name, key, batch, event, field)) {
      return false;
    }
    if (name != nullptr && name->slot >= 0) {  // empty: repeats() said so
      slot_field[name->slot] = static_cast<int32_t>(batch.fields.size() - 1);
    }
  }
  // On Demand does not look past the root value by itself: anything after it is an error.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    fail_json(simdjson::TRAILING_CONTENT);
    return false;
  }
  for (const Path& path : paths) {
    const Name& name = names[path.name];
    if (slot_field[name.slot] >= 0) {
      continue;  // a top-level key spelled with the dot wins
    }
    od::value value;
    if (doc.at_pointer(path.pointer).get(value) != simdjson::SUCCESS) {
      continue;  // no such path, or it runs through a scalar: absent
    }
    Field& field = batch.fields.emplace_back();
    field.flags = Field::kHidden;
    if (!fill_value(value, &name, name.name, batch, event, field)) {
      return false;
    }
    field.name = batch.append(name.name);
    slot_field[name.slot] = static_cast<int32_t>(batch.fields.size() - 1);
  }
  return true;
}

void JsonParser::Impl::parse(Batch& batch) {
  batch.layout = nullptr;
  const size_t slots = schema.size();
  batch_dropped = 0;
  for (Event& event : batch.events) {
    if (event.state != EventState::kFramed) {
      continue;
    }
    event.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
    batch.slot_fields.resize(batch.slot_fields.size() + slots, -1);
    event.first_field = static_cast<uint32_t>(batch.fields.size());
    event.field_count = 0;
    const size_t text_size = batch.text.size();
    if (!parse_event(batch, event)) {
      batch.text.resize(text_size);  // drop the keys and values the event had produced
      batch.fields.resize(event.first_field);
      std::fill(batch.slot_fields.begin() + event.slot_base, batch.slot_fields.end(), -1);
      event.error = batch.append(message);
      event.state = EventState::kParseError;
      continue;
    }
    event.field_count = static_cast<uint32_t>(batch.fields.size()) - event.first_field;
    event.state = EventState::kParsed;
    if (event_dropped != 0) [[unlikely]] {
      settle_dropped(batch, event);
    }
    if (!to_learn.empty()) [[unlikely]] {
      learn(to_learn);
      to_learn.clear();
    }
  }
}

JsonParser::JsonParser(const ParseOptions& options, const Schema& schema)
    : impl_(std::make_unique<Impl>(options, schema)) {}

JsonParser::~JsonParser() = default;

void JsonParser::parse(Batch& batch) {
  impl_->parse(batch);
  add_dropped_keys(impl_->batch_dropped);
}

void JsonParser::set_flat_path(bool enabled) {
  impl_->flat_path = enabled ? Impl::FlatPath::kAlways : Impl::FlatPath::kNever;
}

Result<std::unique_ptr<Parser>> make_json_parser(const ParseOptions& options,
                                                 const Schema& schema) {
  return std::unique_ptr<Parser>(std::make_unique<JsonParser>(options, schema));
}

}  // namespace sluice
