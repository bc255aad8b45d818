#include "stages/parse/json_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "stages/log.h"
#include "stages/parse/json_flat_reader.h"
#include "stages/parse/json_key_table.h"
#include "stages/parse/json_minify.h"
#include "stages/parse/json_scan.h"
#include "stages/parse/type_conversion.h"

namespace sluice {
namespace {

namespace od = simdjson::ondemand;
using json::has_backslash;
using json::raw_key;
using json::read_null;
using json::scalar_error;
using json::trim_right;
using json::write_minified;

}  // namespace

struct JsonParser::Impl {
  using Name = json::KeyTable::Name;

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
    uint32_t name;  // into keys.names()
    std::string pointer;
  };

  Impl(const ParseOptions& options, const Schema& schema);
  void parse(Batch& batch);
  // Parses one line; false with message set when it fails.
  bool parse_event(Batch& batch, Event& event);
  // The common line without simdjson: a flat object of plain values (json_flat_reader.h). False
  // when the line is anything else, having appended fields the caller drops.
  bool parse_flat(Batch& batch, const Event& event, const char* line, int32_t* slot_field);
  // Applies the declared type of `name` to a filled-in scalar `field` whose text is `text`.
  // `exact_float`: field.num.f is what from_chars would read from text.
  bool apply_declared_type(const Name* name, std::string_view field_name, std::string_view text,
                           bool exact_float, Field& field);
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

  const Schema& schema;
  json::KeyTable keys;
  uint64_t reserved_bits = 0;  // the bits of `_raw`, `_source`, `_error`: every event has them
  std::string to_learn;        // a key whose entry bit collided, learned after its event
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
    keys.add(meta);
  }
  for (Slot s = 0; s < schema.size(); ++s) {
    // `_raw`, `_source`, `_error` always mean the event's metadata, never a key of the line.
    if (schema.meta(s) == MetaField::kNone) {
      keys.add(schema.name(s)).slot = static_cast<int32_t>(s);
    }
  }
  for (const auto& [name, type] : options.types) {
    Name& n = keys.add(name);
    n.type = type;
    n.typed = true;
  }
  keys.seal();
  const std::vector<Name>& names = keys.names();
  reserved_bits = names[0].bit | names[1].bit | names[2].bit;
  for (uint32_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i].name;
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
      error = read_null(value);
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

// The flat reader (json_flat_reader.h) reads the grammar; each member's meaning is decided here.
bool JsonParser::Impl::parse_flat(Batch& batch, const Event& event, const char* line,
                                  int32_t* slot_field) {
  KeysSeen seen{reserved_bits};  // the names the event has: its metadata, then its keys
  return json::read_flat_object(
      batch, event, line, quote_bits, [&](Field& field, const json::FlatMember& member) {
        size_t entry;
        const Name* name = keys.find(member.key, true, entry);
        if (repeats(name, entry, member.key, batch, event, 1, slot_field, seen)) [[unlikely]] {
          // The field-name rule (parser.h): a repeated or metadata key is left out, unconverted.
          batch.fields.pop_back();
          note_dropped(member.key, name != nullptr && (name->bit & reserved_bits) != 0);
          return true;
        }
        if (name != nullptr) {
          if (!apply_declared_type(name, member.key, member.text(field), member.exact_float,
                                   field)) {
            return false;
          }
          if (name->slot >= 0) {  // empty: repeats() said so
            slot_field[name->slot] = static_cast<int32_t>(batch.fields.size() - 1);
          }
        }
        return true;
      });
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
    const Name* name = keys.find(key, !escaped, entry);
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
    const Name& name = keys.names()[path.name];
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
      keys.learn(to_learn);
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
