// ReferenceShield: hides `${...}` references from the YAML parser. `count: ${COUNT}` inside a
// flow mapping (`{ ... }`) would otherwise be read as YAML structure; the shield replaces every
// reference with a placeholder of the same length made of letters and digits (so positions in
// errors stay right), and puts the reference back into each scalar before it is expanded. A
// placeholder is internal: everything taken from the parsed tree (values, keys, text quoted in a
// message, yaml-cpp's own messages) goes through restore() before a user can see it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class ReferenceShield {
 public:
  // Placeholders never collide with text of the file: a prefix absent from it is chosen.
  explicit ReferenceShield(std::string_view yaml);

  // The text to give the YAML parser.
  const std::string& shielded() const { return shielded_; }
  // `scalar` (a parsed value) with every placeholder turned back into its reference.
  std::string restore(std::string_view scalar) const;

 private:
  std::string shielded_;
  std::string prefix_;
  std::vector<std::string> originals_;  // by placeholder index
};

}  // namespace sluice
