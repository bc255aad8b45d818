// CsvEncoder: writes each event as one RFC 4180 record ending in "\n". The columns are `columns`,
// else `fields`, else every top-level field in parse order. One instance per (worker, sink);
// not thread-safe.
//
// Header (`header: true`): with known columns, begin() writes it. Without, the columns are only
// known from the data: header_from_data() writes it for each batch (into its output, while the
// parsed fields exist) from the batch's layout names (csv/regex input), or, when the batch has no
// layout (json input), from the field names of its first event; a new output starting with that
// batch begins with it.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"
#include "stages/sinks/byte_writer.h"
#include "stages/sinks/encoder.h"

namespace sluice {

class CsvEncoder final : public Encoder {
 public:
  // `columns` empty: every top-level field. Otherwise the names are interned into `schema`.
  // `delimiter` must not be '"', '\r' or '\n' (make_encoder checks).
  CsvEncoder(const std::vector<std::string>& columns, Schema& schema, bool header, char delimiter);

  void encode_lines(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                    std::vector<uint32_t>& ends) override;
  void begin(std::string& out) override;
  void header_from_data(const Batch& batch, std::span<const uint32_t> events,
                        std::string& out) override;

 private:
  struct Column {
    Slot slot;
    MetaField meta;
    std::string name;
  };

  void write_rows(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                  std::vector<uint32_t>& ends);
  void write_data_header(const Batch& batch, std::span<const uint32_t> events, std::string& out);

  std::vector<Column> columns_;
  bool header_;
  char delimiter_;
  SizeEstimate estimate_;
  std::string scratch_;  // `_source` text, reused
};

}  // namespace sluice
