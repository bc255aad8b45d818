// Invariant checks shared by the libFuzzer targets: what every parsed batch must satisfy whatever
// its input (spans inside the text buffer, field and slot indexes inside their vectors), plus
// helpers to cut fuzzer input into pieces. A failed check aborts, which libFuzzer reports as a
// crash with the input that caused it. Used single-threaded by one fuzz target at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "stages/batch.h"
#include "stages/schema.h"

// Not assert(): the checks must stay on whatever NDEBUG says.
#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace sluice::fuzz {

// Reads every byte of `s`, so that a span pointing outside live memory trips AddressSanitizer
// at the place it is read rather than somewhere later.
inline void touch(std::string_view s) {
  static volatile uint64_t sink = 0;
  uint64_t sum = 0;
  for (char c : s) {
    sum += static_cast<unsigned char>(c);
  }
  sink = sink + sum;
}

inline bool span_in(Span s, size_t size) { return static_cast<size_t>(s.off) + s.len <= size; }

// Checks every event of `batch` against the Batch contract for a schema of `schema` slots.
inline void check_batch(const Batch& batch, const Schema& schema) {
  const size_t text = batch.text.size();
  for (const Event& e : batch.events) {
    FUZZ_CHECK(span_in(e.raw, text));
    touch(batch.str(e.raw));
    switch (e.state) {
      case EventState::kFramed:
      case EventState::kFiltered:
        break;
      case EventState::kParseError:
        FUZZ_CHECK(span_in(e.error, text));
        FUZZ_CHECK(e.error.len > 0);  // a reason is always given
        touch(batch.str(e.error));
        break;
      case EventState::kParsed: {
        FUZZ_CHECK(static_cast<size_t>(e.first_field) + e.field_count <= batch.fields.size());
        FUZZ_CHECK(static_cast<size_t>(e.slot_base) + schema.size() <= batch.slot_fields.size());
        for (uint32_t i = 0; i < e.field_count; ++i) {
          const Field& f = batch.fields[e.first_field + i];
          FUZZ_CHECK(span_in(f.value, text));
          touch(batch.str(f.value));
          if (f.flags & Field::kNameInLayout) {
            FUZZ_CHECK(batch.layout != nullptr);
            FUZZ_CHECK(f.name.off < batch.layout->names.size());
          } else {
            FUZZ_CHECK(span_in(f.name, text));
          }
          touch(batch.field_name(f));
          if (f.type == FieldType::kBool) {
            FUZZ_CHECK(f.num.i == 0 || f.num.i == 1);
          }
        }
        for (Slot s = 0; s < schema.size(); ++s) {
          const int32_t index = batch.slot_fields[e.slot_base + s];
          FUZZ_CHECK(index >= -1);
          if (index >= 0) {
            // A slot refers to one of the event's own fields, never to another event's.
            FUZZ_CHECK(static_cast<uint32_t>(index) >= e.first_field);
            FUZZ_CHECK(static_cast<uint32_t>(index) < e.first_field + e.field_count);
            touch(batch.str(batch.field(e, s)->value));
          }
        }
        break;
      }
    }
  }
}

// The event as plain values, to compare the results of two ways of parsing the same input.
struct EventImage {
  std::string raw;
  uint64_t position = 0;
  EventState state = EventState::kFramed;
  std::string error;
  std::vector<std::string> fields;  // name=value, with the type and number for typed fields
  std::vector<int32_t> slots;       // per slot: the field's position in the event, or -1
  bool operator==(const EventImage&) const = default;
};

inline EventImage image(const Batch& batch, const Event& e, const Schema& schema) {
  EventImage out;
  out.raw = batch.str(e.raw);
  out.position = e.position;
  out.state = e.state;
  if (e.state == EventState::kParseError) {
    out.error = batch.str(e.error);
  }
  if (e.state != EventState::kParsed) {
    return out;
  }
  for (uint32_t i = 0; i < e.field_count; ++i) {
    const Field& f = batch.fields[e.first_field + i];
    std::string one(batch.field_name(f));
    one += '=';
    one += batch.str(f.value);
    one += ':';
    one += std::to_string(static_cast<int>(f.type)) + ':' + std::to_string(f.flags);
    if (f.type != FieldType::kString && f.type != FieldType::kJson && f.type != FieldType::kNull) {
      one += ':' + std::to_string(f.num.i);  // the bits of a double compare exactly too
    }
    out.fields.push_back(std::move(one));
  }
  for (Slot s = 0; s < schema.size(); ++s) {
    const int32_t index = batch.slot_fields[e.slot_base + s];
    out.slots.push_back(index < 0 ? -1 : index - static_cast<int32_t>(e.first_field));
  }
  return out;
}

// Splits `data` at its line breaks ('\n'); the pieces carry no terminator.
inline std::vector<std::string_view> lines(std::string_view data) {
  std::vector<std::string_view> out;
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      out.push_back(data);
      break;
    }
    out.push_back(data.substr(0, nl));
    data.remove_prefix(nl + 1);
  }
  return out;
}

// Appends `line` to the batch as a framed event, followed by '\n' as a file would have it.
inline void add_line(Batch& batch, std::string_view line, uint64_t position) {
  Event& e = batch.events.emplace_back();
  e.raw = Span{static_cast<uint32_t>(batch.text.size()), static_cast<uint32_t>(line.size())};
  e.position = position;
  batch.text.append(line);
  batch.text.push_back('\n');
}

}  // namespace sluice::fuzz
