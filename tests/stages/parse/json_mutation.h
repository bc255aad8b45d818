// Random byte edits of JSON lines for the parser tests: mostly invalid JSON, each edit a kind
// of error the parser could meet at a different place (a replaced, inserted or deleted byte).
#pragma once

#include <cstddef>
#include <random>
#include <string>

namespace sluice {

// Applies `edits` random edits to `line`; never returns an empty line.
inline std::string mutate_json_line(std::string line, int edits, std::mt19937& rng) {
  using namespace std::string_literals;
  static const std::string alphabet = "{}[]\",:\\ tfnu0123456789.eE-+\x00\xff\xc3"s;
  for (int k = 0; k < edits; ++k) {
    const size_t at = rng() % line.size();
    const char c = alphabet[rng() % alphabet.size()];
    switch (rng() % 3) {
      case 0:
        line[at] = c;
        break;
      case 1:
        line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      default:
        line.erase(at, 1 + rng() % 8);
        break;
    }
    if (line.empty()) {
      line = "{";
    }
  }
  return line;
}

}  // namespace sluice
