// Conversion of field text to a declared type (`types:`), shared by every parser, and the one
// wording of the parse error a value that does not convert becomes. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "stages/batch.h"

namespace sluice {

// Sets field.type and field.num from `text` for `type` (kInt, kFloat, kBool, kTimestamp); kString
// leaves the field a string. bool accepts true/false (any case), 1/0, yes/no. timestamp is RFC
// 3339.
bool convert_field(std::string_view text, FieldType type, Field& field);

// A conversion error quotes at most this many bytes of the value, then "...": long or binary
// values would swamp a dead-letter reason, and the raw line is kept beside it anyway.
inline constexpr size_t kMaxQuotedValue = 64;

// Writes "field 'NAME': cannot convert 'VALUE' to TYPE" into `out` (replacing what it held; a
// parser passes a reused string, so a failing event costs no allocation once it has grown).
void conversion_error(std::string_view field_name, std::string_view value, FieldType type,
                      std::string& out);

}  // namespace sluice
