#include "stages/sinks/json_encoder.h"

#include <cstring>
#include <string_view>

#include "stages/sinks/byte_writer.h"
#include "stages/sinks/event_access.h"
#include "stages/sinks/json_escape.h"

namespace sluice {
namespace {

// The room write_value() needs for `f`.
inline size_t value_room(const Field& f) {
  return json_string_room(f.value.len) + kJsonNumberMaxSize;
}

// `text_end`: the end of batch.text, up to where the string writer may read.
inline char* write_value(const Batch& batch, const Field& f, const char* text_end, char* dst) {
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kTimestamp:  // the original RFC 3339 text
      return write_json_string(view(batch, f.value), text_end, dst);
    case FieldType::kInt:
      return write_json_int(f.num.i, dst);
    case FieldType::kFloat:
      // Parsers keep the number's text: usually already the form to_chars would write.
      return write_json_float(f.num.f, view(batch, f.value), dst);
    case FieldType::kBool:
      return write_literal(f.num.i != 0 ? "true" : "false", dst);
    case FieldType::kNull:
      return write_literal("null", dst);
    case FieldType::kJson:
      // Minified JSON text from the parser, written as is.
      if (f.value.len == 0) {
        return write_literal("null", dst);
      }
      return write_literal(view(batch, f.value), dst);
  }
  return write_literal("null", dst);
}

std::string make_key(std::string_view name) {
  std::string key = ",";
  append_json_string(name, key);
  key.push_back(':');
  return key;
}

}  // namespace

JsonEncoder::JsonEncoder(const std::vector<std::string>& fields, Schema& schema, bool dead_letter)
    : dead_letter_(dead_letter) {
  selected_.reserve(fields.size());
  for (const std::string& name : fields) {
    Slot slot = schema.intern(name);
    selected_.push_back(Selected{slot, schema.meta(slot), make_key(name)});
  }
}

void JsonEncoder::encode_lines(const Batch& batch, std::span<const uint32_t> events,
                               std::string& out, std::vector<uint32_t>& ends) {
  size_t start = out.size();
  if (selected_.empty()) {
    encode_all(batch, events, out, ends);
  } else {
    encode_selected(batch, events, out, ends);
  }
  estimate_.learn(events.size(), out.size() - start);
}

void JsonEncoder::cache_layout(const Batch& batch) {
  layout_ = batch.layout;
  layout_keys_.clear();
  if (layout_) {
    layout_keys_.reserve(layout_->names.size());
    for (const std::string& name : layout_->names) {
      layout_keys_.push_back(make_key(name));
    }
  }
}

void JsonEncoder::encode_all(const Batch& batch, std::span<const uint32_t> events, std::string& out,
                             std::vector<uint32_t>& ends) {
  if (batch.layout != layout_) {
    cache_layout(batch);
  }
  ByteWriter w(out, estimate_.guess(events.size()));
  const char* text_end = batch.text.data() + batch.text.size();
  for (uint32_t index : events) {
    const Event& e = batch.events[index];
    w.put('{');
    bool first = true;
    const Field* f = batch.fields.data() + e.first_field;
    const Field* last = f + e.field_count;
    for (; f < last; ++f) {
      if (f->flags & Field::kHidden) {
        continue;
      }
      char* d;
      if (f->flags & Field::kNameInLayout) {
        if (f->name.off >= layout_keys_.size()) {
          continue;  // no such column: a parser bug, but never read out of bounds
        }
        const std::string& key = layout_keys_[f->name.off];
        d = w.room(key.size() + value_room(*f));
        d = write_literal(std::string_view(key).substr(first ? 1 : 0), d);
      } else {
        std::string_view name = view(batch, f->name);
        d = w.room(2 + json_string_room(name.size()) + value_room(*f));
        if (!first) {
          *d++ = ',';
        }
        d = write_json_string(name, text_end, d);
        *d++ = ':';
      }
      d = write_value(batch, *f, text_end, d);
      w.commit(d);
      first = false;
    }
    w.put("}\n");
    ends.push_back(static_cast<uint32_t>(w.size()));
  }
}

void JsonEncoder::encode_selected(const Batch& batch, std::span<const uint32_t> events,
                                  std::string& out, std::vector<uint32_t>& ends) {
  ByteWriter w(out, estimate_.guess(events.size()));
  const char* text_end = batch.text.data() + batch.text.size();
  for (uint32_t index : events) {
    const Event& e = batch.events[index];
    w.put('{');
    bool first = true;
    for (const Selected& s : selected_) {
      std::string_view key = std::string_view(s.key).substr(first ? 1 : 0);
      std::string_view text;
      switch (s.meta) {
        case MetaField::kNone: {
          const Field* f = slot_field(batch, e, s.slot);
          if (f == nullptr) {
            continue;  // a missing field is left out
          }
          char* d = w.room(key.size() + value_room(*f));
          d = write_literal(key, d);
          w.commit(write_value(batch, *f, text_end, d));
          first = false;
          continue;
        }
        case MetaField::kRaw:
          text = view(batch, e.raw);
          break;
        case MetaField::kSource:
          scratch_.clear();
          batch.append_source(e, scratch_);
          text = scratch_;
          break;
        case MetaField::kError:
          if (!dead_letter_ && e.state != EventState::kParseError && e.error.len == 0) {
            continue;  // only dead letters carry a reason
          }
          text = view(batch, e.error);
          break;
      }
      char* d = w.room(key.size() + json_string_max_size(text.size()));
      d = write_literal(key, d);
      w.commit(write_json_string(text, d));
      first = false;
    }
    w.put("}\n");
    ends.push_back(static_cast<uint32_t>(w.size()));
  }
}

}  // namespace sluice
