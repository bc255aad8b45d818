#include "stages/schema.h"

namespace sluice {

std::optional<FieldType> field_type_from_name(std::string_view name) {
  if (name == "string") {
    return FieldType::kString;
  }
  if (name == "int") {
    return FieldType::kInt;
  }
  if (name == "float") {
    return FieldType::kFloat;
  }
  if (name == "bool") {
    return FieldType::kBool;
  }
  if (name == "timestamp") {
    return FieldType::kTimestamp;
  }
  return std::nullopt;
}

std::string_view field_type_name(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt:
      return "int";
    case FieldType::kFloat:
      return "float";
    case FieldType::kBool:
      return "bool";
    case FieldType::kTimestamp:
      return "timestamp";
    case FieldType::kNull:
      return "null";
    case FieldType::kJson:
      return "json";
  }
  return "?";
}

MetaField meta_field_from_name(std::string_view name) {
  if (name == "_raw") {
    return MetaField::kRaw;
  }
  if (name == "_source") {
    return MetaField::kSource;
  }
  if (name == "_error") {
    return MetaField::kError;
  }
  return MetaField::kNone;
}

Slot Schema::intern(std::string_view name) {
  if (auto slot = find(name)) {
    return *slot;
  }
  names_.emplace_back(name);
  metas_.push_back(meta_field_from_name(name));
  types_.push_back(FieldType::kString);
  declared_.push_back(false);
  return static_cast<Slot>(names_.size() - 1);
}

std::optional<Slot> Schema::find(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) {
      return static_cast<Slot>(i);
    }
  }
  return std::nullopt;
}

void Schema::declare_type(Slot slot, FieldType type) {
  types_[slot] = type;
  declared_[slot] = true;
}

}  // namespace sluice
