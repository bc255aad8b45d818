#include "stages/parse/parser.h"

#include "stages/parse/csv_parser.h"
#include "stages/parse/json_parser.h"
#include "stages/parse/none_parser.h"
#include "stages/parse/regex_parser.h"

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
  }
  return Status::error("unknown parse format");
}

std::shared_ptr<const Layout> make_layout(std::vector<std::string> names,
                                          const ParseOptions& options, const Schema& schema) {
  auto layout = std::make_shared<Layout>();
  layout->column_types.assign(names.size(), FieldType::kString);
  for (const auto& [name, type] : options.types) {
    for (size_t c = 0; c < names.size(); ++c) {
      if (names[c] == name) {
        layout->column_types[c] = type;
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
        break;  // the first column of a name wins, as in a CSV header with duplicates
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
    case ParseOptions::Format::kJson:
      return nullptr;
  }
  return nullptr;
}

}  // namespace sluice
