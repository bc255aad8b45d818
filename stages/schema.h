// Schema: the field names a pipeline's configuration refers to (filter, routes, sink keys and field
// lists, types), each interned once at load time to a slot number. Parsers fill, per event, which
// parsed field sits in each slot, so the hot path reads fields by slot and never by name.
// Built single-threaded at load, then frozen and shared read-only by every stage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class FieldType : uint8_t {
  kString = 0,
  kInt,
  kFloat,
  kBool,
  kTimestamp,  // RFC 3339 text, converted to nanoseconds since the epoch
  kNull,
  kJson,  // a nested JSON object or array, kept as minified JSON text
};

// "int" -> kInt ... ; nullopt for an unknown type name.
std::optional<FieldType> field_type_from_name(std::string_view name);
std::string_view field_type_name(FieldType type);

// Metadata fields every event carries; they are never written by encoders unless asked for.
enum class MetaField : uint8_t { kNone = 0, kRaw, kSource, kError };
MetaField meta_field_from_name(std::string_view name);  // "_raw" -> kRaw, else kNone

using Slot = uint32_t;

class Schema {
 public:
  // Returns the slot of `name`, interning it on first use. Only during load.
  Slot intern(std::string_view name);
  // The slot of `name`, or nullopt when no part of the configuration refers to it.
  std::optional<Slot> find(std::string_view name) const;

  size_t size() const { return names_.size(); }
  const std::string& name(Slot slot) const { return names_[slot]; }
  MetaField meta(Slot slot) const { return metas_[slot]; }

  // Declared conversions (`types:`), by slot; kString when none was declared.
  void declare_type(Slot slot, FieldType type);
  FieldType declared_type(Slot slot) const { return types_[slot]; }
  bool has_declared_type(Slot slot) const { return declared_[slot]; }

 private:
  std::vector<std::string> names_;
  std::vector<MetaField> metas_;
  std::vector<FieldType> types_;
  std::vector<bool> declared_;
};

}  // namespace sluice
