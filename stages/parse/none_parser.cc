#include "stages/parse/none_parser.h"

#include "stages/parse/type_conversion.h"

namespace sluice {
NoneParser::NoneParser(const ParseOptions& options, const Schema& schema)
    : schema_(schema), layout_(make_fixed_layout(options, schema)) {}

void NoneParser::parse(Batch& batch) {
  batch.layout = layout_;
  const size_t slots = schema_.size();
  const FieldType type = layout_->column_types[0];
  for (Event& event : batch.events) {
    if (event.state != EventState::kFramed) {
      continue;
    }
    event.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
    batch.slot_fields.resize(batch.slot_fields.size() + slots, -1);
    event.first_field = static_cast<uint32_t>(batch.fields.size());
    event.field_count = 0;

    Field field;
    field.name = Span{0, 0};
    field.flags = Field::kNameInLayout;
    field.value = event.raw;
    if (type != FieldType::kString) {
      const std::string_view line = batch.str(event.raw);
      if (!convert_field(line, type, field)) {
        conversion_error("message", line, type, message_);
        event.error = batch.append(message_);
        event.state = EventState::kParseError;
        continue;
      }
    }
    batch.fields.push_back(field);
    event.field_count = 1;
    int32_t* slot_field = batch.slot_fields.data() + event.slot_base;
    for (size_t s = 0; s < slots; ++s) {
      if (layout_->slot_to_column[s] == 0) {
        slot_field[s] = static_cast<int32_t>(event.first_field);
      }
    }
    event.state = EventState::kParsed;
  }
}

Result<std::unique_ptr<Parser>> make_none_parser(const ParseOptions& options,
                                                 const Schema& schema) {
  return std::unique_ptr<Parser>(std::make_unique<NoneParser>(options, schema));
}

}  // namespace sluice
