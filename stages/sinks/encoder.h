// Encoder: writes events as bytes for a sink: json (one object per line), csv, or raw (`_raw`).
// Built per (pipeline worker, sink) at load against the pipeline's schema; encode() is called once
// per batch from that worker's thread, into the batch's output for the sink, which records where
// each event's message ends (and its key, when the sink asks for one) beside the bytes.
#pragma once

#include <memory>
#include <optional>
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
  // A field whose bytes each event's message is keyed by (Batch::Output::keys), for a sink that
  // sends keyed messages (Kafka's `key`). Empty: no keys.
  std::string key;
};

class Encoder {
 public:
  virtual ~Encoder() = default;

  // Encodes `events` of `batch` into `out` (emptied first): the bytes, or for raw lines the
  // ranges of the batch text; where each event's message ends; each event's key when the
  // options name one. Reuses `out`'s buffers, so a recycled batch encodes without allocating.
  void encode(const Batch& batch, std::span<const uint32_t> events, Batch::Output& out);
  // The bytes only, appended to `out` (tests and benchmarks).
  void encode(const Batch& batch, std::span<const uint32_t> events, std::string& out) {
    scratch_ends_.clear();
    encode_lines(batch, events, out, scratch_ends_);
  }

  // Appends one line (terminated by '\n') per listed event of `batch` to `out`, and after each
  // event out.size() to `ends`.
  // json: parsed fields in parse order (or `fields`), typed fields keep their type, nested JSON
  // values are written as JSON, strings escaped, invalid UTF-8 replaced by U+FFFD.
  virtual void encode_lines(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                            std::vector<uint32_t>& ends) = 0;
  // When the encoding of `events` is bytes already in `batch.text` (raw lines that end in "\n"),
  // appends those ranges of the text to `ranges`, each event's end (counted over the ranges laid
  // end to end) to `ends`, and returns true; the caller then writes them instead of copying
  // them through encode_lines(). False (ranges and ends untouched) otherwise.
  virtual bool encode_in_place(const Batch& batch, std::span<const uint32_t> events,
                               std::vector<Span>& ranges, std::vector<uint32_t>& ends) {
    (void)batch;
    (void)events;
    (void)ranges;
    (void)ends;
    return false;
  }
  // Appends what a new output starts with (the csv header line), if anything is known without
  // the data.
  virtual void begin(std::string& out) { (void)out; }
  // Appends the header line that `events` of `batch` name, for an encoding whose header comes
  // from the data (csv with `header: true` and no `columns`); nothing for the others.
  virtual void header_from_data(const Batch& batch, std::span<const uint32_t> events,
                                std::string& out) {
    (void)batch;
    (void)events;
    (void)out;
  }

 private:
  friend Result<std::unique_ptr<Encoder>> make_encoder(const EncoderOptions& options,
                                                       Schema& schema);
  std::optional<Slot> key_slot_;
  std::vector<uint32_t> scratch_ends_;
};

// Field names in `fields`/`columns`/`key` are interned into `schema` (so call before the schema
// is frozen). Errors: csv header without columns, and the like.
Result<std::unique_ptr<Encoder>> make_encoder(const EncoderOptions& options, Schema& schema);

}  // namespace sluice
