// JsonEncoder: writes each event as one JSON object per line: every top-level parsed field in parse
// order, or exactly the `fields` listed (metadata `_raw`, `_source`, `_error` allowed there). A
// dead-letter sink uses it with `_raw`, `_source`, `_error`. One instance per (worker, sink);
// not thread-safe (it keeps per-layout key caches and a scratch buffer).
//
// Names are never checked here, per event: parsers give each event unique field names, none of
// them `_raw`, `_source` or `_error` (the rule in stages/parse/parser.h). So every object written
// has unique top-level keys, a metadata name in `fields` always selects the metadata, and a dead
// letter's `_raw`, `_source`, `_error` are always the event's own.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"
#include "stages/sinks/byte_writer.h"
#include "stages/sinks/encoder.h"

namespace sluice {

class JsonEncoder final : public Encoder {
 public:
  // `fields` empty: write every top-level field. Otherwise the names are interned into `schema`.
  // `dead_letter`: `_error` is written (as "" when the event has none) instead of left out.
  JsonEncoder(const std::vector<std::string>& fields, Schema& schema, bool dead_letter);

  void encode_lines(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                    std::vector<uint32_t>& ends) override;

 private:
  struct Selected {
    Slot slot;
    MetaField meta;
    std::string key;  // `,"name":`, escaped once at load
  };

  void encode_all(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                  std::vector<uint32_t>& ends);
  void encode_selected(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                       std::vector<uint32_t>& ends);
  void cache_layout(const Batch& batch);

  std::vector<Selected> selected_;
  bool dead_letter_;
  // Keys of the last layout seen, `,"name":` per column. Holding the pointer keeps the layout
  // alive, so a new layout can never reuse its address and be mistaken for it.
  std::shared_ptr<const Layout> layout_;
  std::vector<std::string> layout_keys_;
  SizeEstimate estimate_;
  std::string scratch_;  // `_source` text, reused
};

}  // namespace sluice
