// Environment expansion of configuration scalars: `${NAME}`, `${NAME:-default}` (the default also
// applies when NAME is set but empty, as in the shell) and `$$` for a literal `$`. It runs on each
// scalar after YAML parsing, so a substituted value is always scalar text and can never add YAML
// structure. Stateless; safe from any thread if the lookup is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.h"

namespace sluice {

struct ExpansionError {
  size_t offset = 0;  // in the input text: where the `$` of the faulty reference is
  std::string message;
};

struct Expansion {
  std::string text;
  // origin[i] is the input offset output byte i came from (a substituted value maps to its `$`);
  // it has text.size() + 1 entries so that the end maps too. Lets errors found in the expanded
  // text (an expression's column) point back into the file.
  std::vector<uint32_t> origin;
  std::vector<ExpansionError> errors;
  bool changed = false;  // false: text == input and origin is the identity
};

Expansion expand_environment(std::string_view input, const EnvLookup& env);

}  // namespace sluice
