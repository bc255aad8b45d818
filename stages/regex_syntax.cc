#include "stages/regex_syntax.h"

namespace sluice {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string rewrite_named_groups(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 8);
  const size_t n = p.size();
  bool in_class = false;
  size_t i = 0;
  while (i < n) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 < n && p[i + 1] == 'Q') {
        size_t end = p.find("\\E", i + 2);
        size_t stop = end == std::string_view::npos ? n : end + 2;
        out.append(p.substr(i, stop - i));
        i = stop;
        continue;
      }
      out.append(p.substr(i, 2));
      i += 2;
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < n && p[i + 1] == ':') {
        size_t end = p.find(":]", i + 2);
        if (end != std::string_view::npos) {
          out.append(p.substr(i, end + 2 - i));
          i = end + 2;
          continue;
        }
      }
      if (c == ']') {
        in_class = false;
      }
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      ++i;
      if (i < n && p[i] == '^') {
        out.push_back('^');
        ++i;
      }
      if (i < n && p[i] == ']') {  // a ']' first in a class is literal
        out.push_back(']');
        ++i;
      }
      continue;
    }
    // `(?<=` and `(?<!` (look-behind) are left for RE2 to reject.
    if (c == '(' && i + 3 < n && p[i + 1] == '?' && p[i + 2] == '<' && is_name_char(p[i + 3])) {
      out.append("(?P<");
      i += 3;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace sluice
