#include "stages/parse/json_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/type_conversion.h"

namespace sluice {
namespace {

namespace od = simdjson::ondemand;

// The walk that writes nested values recurses, so it needs a bound; simdjson's parser keeps
// per-depth state up to its own limit (DEFAULT_MAX_DEPTH), which the walk must stay under.
constexpr int32_t kMaxDepth = simdjson::DEFAULT_MAX_DEPTH - 2;
// Long or binary values would swamp a dead-letter reason; the raw line is kept anyway.
constexpr size_t kMaxQuotedValue = 64;

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// raw_json_token() runs up to the next structural character, so it carries trailing whitespace.
std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_json_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// The escaped text of a key, from just after its opening quote up to its closing quote; `escaped`
// tells whether it holds a backslash (else it reads the same unescaped, and needs no copy).
std::string_view raw_key(const char* start, bool& escaped) {
  size_t i = 0;
  escaped = false;
  while (start[i] != '"') {
    if (start[i] == '\\') {
      escaped = true;
      i += 2;
    } else {
      ++i;
    }
  }
  return std::string_view(start, i);
}

static_assert(std::endian::native == std::endian::little, "has_backslash assumes it");

// Whether s holds a backslash. Reads up to 7 bytes past its end, which simdjson's padding after
// the line makes safe; a word at a time beats a memchr call on the short strings of a log line.
bool has_backslash(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  for (size_t i = 0; i < s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    const uint64_t x = word ^ (kOnes * '\\');  // zero bytes where word has a backslash
    uint64_t zero = (x - kOnes) & ~x & kHighs;
    if (s.size() - i < 8) {
      zero &= (uint64_t{1} << ((s.size() - i) * 8)) - 1;  // bytes past the end do not count
    }
    if (zero != 0) {
      return true;
    }
  }
  return false;
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

}  // namespace

struct JsonParser::Impl {
  // A name the configuration refers to: its slot (or -1 when only `types:` names it) and type.
  struct Name {
    std::string name;
    int32_t slot = -1;
    FieldType type = FieldType::kString;
    bool typed = false;
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
  const Name* find(std::string_view key) const;
  // Fills field.type, value and num from `value`, then applies the declared type of `name`.
  bool fill_value(od::value& value, const Name* name, std::string_view field_name, Batch& batch,
                  const Event& event, Field& field);
  void fail_json(simdjson::error_code error);
  void fail_conversion(std::string_view name, std::string_view value, FieldType type);

  const Schema& schema;
  std::vector<Name> names;
  std::vector<std::vector<uint32_t>> names_by_length;  // per key length: indexes into names
  std::vector<Path> paths;
  od::parser parser;
  std::string padded;   // the line copied with simdjson's padding; reused
  std::string message;  // reused per error
};

JsonParser::Impl::Impl(const ParseOptions& options, const Schema& schema) : schema(schema) {
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
  for (uint32_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i].name;
    if (name.empty()) {
      continue;
    }
    if (names_by_length.size() <= name.size()) {
      names_by_length.resize(name.size() + 1);
    }
    names_by_length[name.size()].push_back(i);
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

const JsonParser::Impl::Name* JsonParser::Impl::find(std::string_view key) const {
  if (key.empty() || key.size() >= names_by_length.size()) {
    return nullptr;
  }
  for (uint32_t i : names_by_length[key.size()]) {
    const std::string& name = names[i].name;
    if (name[0] == key[0] && std::memcmp(name.data(), key.data(), key.size()) == 0) {
      return &names[i];
    }
  }
  return nullptr;
}

void JsonParser::Impl::fail_json(simdjson::error_code error) {
  message.assign("invalid JSON: ");
  message.append(simdjson::error_message(error));
}

void JsonParser::Impl::fail_conversion(std::string_view name, std::string_view value,
                                       FieldType type) {
  message.assign("field '");
  message.append(name);
  message.append("': cannot convert '");
  message.append(value.substr(0, kMaxQuotedValue));
  if (value.size() > kMaxQuotedValue) {
    message.append("...");
  }
  message.append("' to ");
  message.append(field_type_name(type));
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
  std::string_view text;  // the value as convert_field sees it
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
      fail_conversion(field_name, batch.str(field.value), name->type);
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
  // A declared type converts the value; null stays null (absent data is not a bad value).
  if (name != nullptr && name->typed && field.type != FieldType::kNull) {
    if (name->type == field.type &&
        (field.type == FieldType::kInt || field.type == FieldType::kBool)) {
      // Already exact: a JSON integer that fits int64 (or true/false) is what from_chars (or the
      // bool conversion) would read from the same text.
    } else if (name->type == FieldType::kString) {
      field.type = FieldType::kString;
      field.num.i = 0;
    } else if (!convert_field(text, name->type, field)) {
      fail_conversion(field_name, text, name->type);
      return false;
    }
  }
  return true;
}

bool JsonParser::Impl::parse_event(Batch& batch, Event& event) {
  const std::string_view line = batch.str(event.raw);
  padded.assign(line);
  padded.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');
  od::document doc;
  if (auto error = parser.iterate(padded.data(), line.size(), padded.size()).get(doc)) {
    fail_json(error);
    return false;
  }
  od::object object;
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
  int32_t* slot_field = batch.slot_fields.data() + event.slot_base;
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
    // Built in place: fill_value appends to batch.text only, so the reference stays valid.
    Field& field = batch.fields.emplace_back();
    if (!escaped) {
      // A key without escapes reads the same in the raw line: point there instead of copying.
      field.name = Span{event.raw.off + static_cast<uint32_t>(raw - padded.data()),
                        static_cast<uint32_t>(key.size())};
    } else {
      if (auto error = member.unescaped_key().get(key)) {
        fail_json(error);
        return false;
      }
      field.name = batch.append(key);
    }
    const Name* name = find(key);
    if (!fill_value(member.value(), name, key, batch, event, field)) {
      return false;
    }
    if (name != nullptr && name->slot >= 0 && slot_field[name->slot] < 0) {
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
  }
}

JsonParser::JsonParser(const ParseOptions& options, const Schema& schema)
    : impl_(std::make_unique<Impl>(options, schema)) {}

JsonParser::~JsonParser() = default;

void JsonParser::parse(Batch& batch) { impl_->parse(batch); }

Result<std::unique_ptr<Parser>> make_json_parser(const ParseOptions& options,
                                                 const Schema& schema) {
  return std::unique_ptr<Parser>(std::make_unique<JsonParser>(options, schema));
}

}  // namespace sluice
