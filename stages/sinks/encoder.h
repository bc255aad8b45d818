// Encoder: writes events as bytes for a sink: json (one object per line), csv, or raw (`_raw`).
// Built per (pipeline worker, sink) at load against the pipeline's schema; encode() is called once
// per batch from that worker's thread. Output is appended to a caller-owned buffer that is reused.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

// The encoding keys of a sink.
struct EncoderOptions {
  enum class Kind { kJson, kCsv, kRaw };
  Kind kind = Kind::kJson;
  std::vector<std::string> fields;   // optional: choose and order the fields written
  std::vector<std::string> columns;  // csv: the columns written (defaults to `fields`)
  bool header = false;               // csv: write a header line first
  char delimiter = ',';              // csv
  bool dead_letter = false;  // the sink is a pipeline's dead_letter: write _raw, _source, _error
};

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Appends one line (terminated by '\n') per listed event of `batch` to `out`.
  // json: parsed fields in parse order (or `fields`), typed fields keep their type, nested JSON
  // values are written as JSON, strings escaped, invalid UTF-8 replaced by U+FFFD.
  virtual void encode(const Batch& batch, std::span<const uint32_t> events, std::string& out) = 0;
  // When the encoding of `events` is bytes already in `batch.text` (raw lines that end in "\n"),
  // appends those ranges of the text to `ranges` and returns true; the caller then writes them
  // instead of copying them through encode(). False (ranges untouched) otherwise.
  virtual bool encode_in_place(const Batch& batch, std::span<const uint32_t> events,
                               std::vector<Span>& ranges) {
    (void)batch;
    (void)events;
    (void)ranges;
    return false;
  }
  // Appends what a new output starts with (the csv header line), if anything.
  virtual void begin(std::string& out) { (void)out; }
};

// Field names in `fields`/`columns` are interned into `schema` (so call before the schema is
// frozen). Errors: csv header without columns, and the like.
Result<std::unique_ptr<Encoder>> make_encoder(const EncoderOptions& options, Schema& schema);

}  // namespace sluice
