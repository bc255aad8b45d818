#include "stages/parse/parser.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "stages/parse/csv_parser.h"
#include "stages/parse/json_parser.h"
#include "stages/parse/none_parser.h"
#include "stages/parse/regex_parser.h"
#include "stages/parse/syslog_parser.h"

namespace sluice {

Result<std::unique_ptr<Parser>> make_parser(const ParseOptions& options, const Schema& schema) {
  switch (options.format) {
    case ParseOptions::Format::kCsv:
      return make_csv_parser(options, schema);
    case ParseOptions::Format::kRegex:
      return make_regex_parser(options, schema);
    case ParseOptions::Format::kJson:
      return make_json_parser(options, schema);
    case ParseOptions::Format::kNone:
      return make_none_parser(options, schema);
    case ParseOptions::Format::kSyslog:
      return make_syslog_parser(options, schema);
  }
  return Status::error("unknown parse format");
}

void start_event(Batch& batch, Event& event, size_t slots) {
  event.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
  batch.slot_fields.resize(batch.slot_fields.size() + slots, -1);
  event.first_field = static_cast<uint32_t>(batch.fields.size());
  event.field_count = 0;
}

void fail_event(Batch& batch, Event& event, std::string_view reason) {
  batch.fields.resize(event.first_field);
  event.field_count = 0;
  std::fill(batch.slot_fields.begin() + event.slot_base, batch.slot_fields.end(), -1);
  event.error = batch.append(reason);
  event.state = EventState::kParseError;
}

void finish_event(Batch& batch, Event& event, const Layout& layout,
                  const int32_t* field_of_column) {
  event.field_count = static_cast<uint32_t>(batch.fields.size()) - event.first_field;
  int32_t* slot_field = batch.slot_fields.data() + event.slot_base;
  for (size_t s = 0; s < layout.slot_to_column.size(); ++s) {
    const int32_t column = layout.slot_to_column[s];
    if (column >= 0) {
      slot_field[s] = field_of_column[static_cast<size_t>(column)];
    }
  }
  event.state = EventState::kParsed;
}

std::vector<uint32_t> dropped_columns(const std::vector<std::string>& names) {
  std::vector<uint32_t> dropped;
  std::unordered_set<std::string_view> seen;  // once per header: a wide one must not be quadratic
  for (size_t c = 0; c < names.size(); ++c) {
    if (meta_field_from_name(names[c]) != MetaField::kNone || !seen.insert(names[c]).second) {
      dropped.push_back(static_cast<uint32_t>(c));
    }
  }
  return dropped;
}

Status check_configured_names(const std::vector<std::string>& names, std::string_view what) {
  for (uint32_t c : dropped_columns(names)) {
    // Built with append(): GCC 12 warns falsely (-Wrestrict) on chains of operator+.
    std::string message(what);
    message.append(" names `").append(names[c]);
    if (meta_field_from_name(names[c]) != MetaField::kNone) {
      message.append(
          "`, which is metadata (`_raw`, `_source`, `_error` are every event's own); "
          "choose another name");
    } else {
      message.append("` twice; field names must be unique");
    }
    return Status::error(std::move(message));
  }
  return Status();
}

std::shared_ptr<const Layout> make_layout(std::vector<std::string> names,
                                          const ParseOptions& options, const Schema& schema) {
  auto layout = std::make_shared<Layout>();
  layout->column_types.assign(names.size(), FieldType::kString);
  for (const auto& [name, type] : options.types) {
    if (meta_field_from_name(name) != MetaField::kNone) {
      continue;  // a metadata name's column is dropped, never converted
    }
    for (size_t c = 0; c < names.size(); ++c) {
      if (names[c] == name) {
        // Only the first column of a name: the later ones are dropped, never converted.
        layout->column_types[c] = type;
        break;
      }
    }
  }
  layout->slot_to_column.assign(schema.size(), -1);
  for (Slot s = 0; s < schema.size(); ++s) {
    if (schema.meta(s) != MetaField::kNone) {
      continue;  // `_raw`, `_source`, `_error` come from the event, never from a column
    }
    for (size_t c = 0; c < names.size(); ++c) {
      if (names[c] == schema.name(s)) {
        layout->slot_to_column[s] = static_cast<int32_t>(c);
        break;  // the first column of a name wins: later ones are dropped (dropped_columns)
      }
    }
  }
  layout->names = std::move(names);
  return layout;
}

std::shared_ptr<const Layout> make_fixed_layout(const ParseOptions& options, const Schema& schema) {
  switch (options.format) {
    case ParseOptions::Format::kCsv:
      if (options.header) {
        return nullptr;
      }
      return make_layout(options.columns, options, schema);
    case ParseOptions::Format::kRegex: {
      auto names = regex_field_names(options.pattern);
      if (!names.ok()) {
        return nullptr;
      }
      return make_layout(std::move(names.value()), options, schema);
    }
    case ParseOptions::Format::kNone:
      return make_layout({"message"}, options, schema);
    case ParseOptions::Format::kSyslog:
      return make_syslog_layout(options, schema);
    case ParseOptions::Format::kJson:
      return nullptr;
  }
  return nullptr;
}

}  // namespace sluice
