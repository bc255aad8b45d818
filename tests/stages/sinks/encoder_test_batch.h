// EncoderTestBatch: builds a Batch by hand for the encoder tests, the way parsers fill one: fields
// appended in parse order, names either in the text (json) or as layout columns (csv, regex), and
// slot_fields filled against the schema. Single-threaded test helper.
#pragma once

#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"
#include "stages/sinks/encoder.h"

namespace sluice {

class EncoderTestBatch {
 public:
  // REQUIRES: `schema` is complete (encoders built) before finish().
  explicit EncoderTestBatch(const Schema& schema) : schema_(schema) {
    batch.source = std::make_shared<const std::string>("/var/log/in.log");
  }

  void use_layout(std::vector<std::string> names) {
    auto layout = std::make_shared<Layout>();
    layout->names = std::move(names);
    batch.layout = std::move(layout);
  }

  // Starts a parsed event whose original text is `raw`.
  EncoderTestBatch& event(std::string_view raw, uint64_t position = 1) {
    Event e;
    e.raw = batch.append(raw);
    e.first_field = static_cast<uint32_t>(batch.fields.size());
    e.position = position;
    e.state = EventState::kParsed;
    batch.events.push_back(e);
    return *this;
  }
  // Starts an event that failed to parse, with `reason`.
  EncoderTestBatch& error_event(std::string_view raw, std::string_view reason,
                                uint64_t position = 1) {
    event(raw, position);
    batch.events.back().state = EventState::kParseError;
    batch.events.back().error = batch.append(reason);
    return *this;
  }

  // A field whose name is in the text (json input).
  EncoderTestBatch& field(std::string_view name, std::string_view value,
                          FieldType type = FieldType::kString, uint8_t flags = 0) {
    Field f;
    f.name = batch.append(name);
    f.value = batch.append(value);
    f.type = type;
    f.flags = flags;
    return add(f);
  }
  EncoderTestBatch& int_field(std::string_view name, int64_t v, std::string_view text = "") {
    field(name, text, FieldType::kInt);
    batch.fields.back().num.i = v;
    return *this;
  }
  EncoderTestBatch& float_field(std::string_view name, double v, std::string_view text = "") {
    field(name, text, FieldType::kFloat);
    batch.fields.back().num.f = v;
    return *this;
  }
  EncoderTestBatch& bool_field(std::string_view name, bool v, std::string_view text = "") {
    field(name, text, FieldType::kBool);
    batch.fields.back().num.i = v ? 1 : 0;
    return *this;
  }
  // A field named by layout column `column` (csv/regex input).
  EncoderTestBatch& column(uint32_t column, std::string_view value,
                           FieldType type = FieldType::kString) {
    Field f;
    f.name = Span{column, 0};
    f.value = batch.append(value);
    f.type = type;
    f.flags = Field::kNameInLayout;
    return add(f);
  }
  // Sets the number of the field added last.
  EncoderTestBatch& num_i(int64_t v) {
    batch.fields.back().num.i = v;
    return *this;
  }
  EncoderTestBatch& num_f(double v) {
    batch.fields.back().num.f = v;
    return *this;
  }

  // Fills slot_fields against the schema (first field of a name wins) and returns the batch.
  Batch& finish() {
    batch.slot_fields.assign(batch.events.size() * schema_.size(), -1);
    for (size_t i = 0; i < batch.events.size(); ++i) {
      Event& e = batch.events[i];
      e.slot_base = static_cast<uint32_t>(i * schema_.size());
      for (uint32_t k = 0; k < e.field_count; ++k) {
        const Field& f = batch.fields[e.first_field + k];
        if (auto slot = schema_.find(batch.field_name(f))) {
          int32_t& entry = batch.slot_fields[e.slot_base + *slot];
          if (entry < 0) {
            entry = static_cast<int32_t>(e.first_field + k);
          }
        }
      }
    }
    return batch;
  }

  std::vector<uint32_t> all() const {
    std::vector<uint32_t> v(batch.events.size());
    std::iota(v.begin(), v.end(), 0u);
    return v;
  }

  Batch batch;

 private:
  EncoderTestBatch& add(const Field& f) {
    batch.fields.push_back(f);
    batch.events.back().field_count++;
    return *this;
  }

  const Schema& schema_;
};

// Encodes every event of the batch into a fresh string.
inline std::string encode_all(Encoder& encoder, EncoderTestBatch& b) {
  Batch& batch = b.finish();
  std::vector<uint32_t> events = b.all();
  std::string out;
  encoder.encode(batch, events, out);
  return out;
}

}  // namespace sluice
