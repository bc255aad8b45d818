// Conversion of field text to a declared type (`types:`), shared by every parser. Returns false
// when the text does not convert; the caller turns that into a parse error naming the field.
#pragma once

#include <string_view>

#include "stages/batch.h"

namespace sluice {

// Sets field.type and field.num from `text` for `type` (kInt, kFloat, kBool, kTimestamp); kString
// leaves the field a string. bool accepts true/false (any case), 1/0, yes/no. timestamp is RFC
// 3339.
bool convert_field(std::string_view text, FieldType type, Field& field);

}  // namespace sluice
