#include "stages/sinks/encoder.h"

#include <string>
#include <string_view>
#include <utility>

#include "stages/sinks/csv_encoder.h"
#include "stages/sinks/json_encoder.h"
#include "stages/sinks/raw_encoder.h"

namespace sluice {
namespace {

// What a dead-letter sink writes unless it lists fields itself.
const std::vector<std::string>& dead_letter_fields() {
  static const std::vector<std::string> fields = {"_raw", "_source", "_error"};
  return fields;
}

Status check_names(const std::vector<std::string>& names, std::string_view key) {
  for (size_t i = 0; i < names.size(); ++i) {
    // Built with append(): GCC 12 warns falsely (-Wrestrict) on chains of operator+.
    std::string message = "`";
    message.append(key);
    if (names[i].empty()) {
      message.append("` has an empty field name");
      return Status::error(std::move(message));
    }
    for (size_t j = 0; j < i; ++j) {
      if (names[j] == names[i]) {
        message.append("` lists `").append(names[i]).append("` twice");
        return Status::error(std::move(message));
      }
    }
  }
  return Status();
}

// The encoder of the options' kind, without the key.
Result<std::unique_ptr<Encoder>> make_kind(const EncoderOptions& options, Schema& schema) {
  if (Status s = check_names(options.fields, "fields"); !s.ok()) {
    return s;
  }
  if (Status s = check_names(options.columns, "columns"); !s.ok()) {
    return s;
  }
  if (options.kind != EncoderOptions::Kind::kCsv) {
    if (!options.columns.empty()) {
      return Status::error("`columns` applies only to encoding csv");
    }
    if (options.header) {
      return Status::error("`header` applies only to encoding csv");
    }
  }
  switch (options.kind) {
    case EncoderOptions::Kind::kJson: {
      const std::vector<std::string>& fields =
          options.dead_letter && options.fields.empty() ? dead_letter_fields() : options.fields;
      return std::unique_ptr<Encoder>(
          std::make_unique<JsonEncoder>(fields, schema, options.dead_letter));
    }
    case EncoderOptions::Kind::kCsv: {
      char d = options.delimiter;
      if (d == '"' || d == '\r' || d == '\n' || d == '\0') {
        return Status::error("csv `delimiter` cannot be a quote, CR, LF or NUL");
      }
      const std::vector<std::string>* columns = &options.columns;
      if (columns->empty()) {
        columns = &options.fields;
      }
      if (columns->empty() && options.dead_letter) {
        columns = &dead_letter_fields();
      }
      return std::unique_ptr<Encoder>(
          std::make_unique<CsvEncoder>(*columns, schema, options.header, d));
    }
    case EncoderOptions::Kind::kRaw:
      if (!options.fields.empty()) {
        return Status::error("`fields` does not apply to encoding raw, which writes `_raw` only");
      }
      return std::unique_ptr<Encoder>(std::make_unique<RawEncoder>());
  }
  return Status::error("unknown encoding");
}

}  // namespace

void Encoder::encode(const Batch& batch, std::span<const uint32_t> events, Batch::Output& out) {
  out.clear();
  if (events.empty()) {
    return;
  }
  out.ends.reserve(events.size());
  if (!encode_in_place(batch, events, out.text_ranges, out.ends)) {
    encode_lines(batch, events, out.bytes, out.ends);
  }
  header_from_data(batch, events, out.header);
  if (key_slot_) {
    out.keys.reserve(events.size());
    for (uint32_t index : events) {
      const Field* f = batch.field(batch.events[index], *key_slot_);
      out.keys.push_back(f != nullptr ? f->value : Batch::Output::kNoKey);
    }
  }
}

Result<std::unique_ptr<Encoder>> make_encoder(const EncoderOptions& options, Schema& schema) {
  Result<std::unique_ptr<Encoder>> encoder = make_kind(options, schema);
  if (encoder.ok() && !options.key.empty()) {
    encoder.value()->key_slot_ = schema.intern(options.key);
  }
  return encoder;
}

}  // namespace sluice
