#include "config/env_expansion.h"

namespace sluice {
namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

Expansion expand_environment(std::string_view input, const EnvLookup& env) {
  Expansion out;
  out.text.reserve(input.size());
  out.origin.reserve(input.size() + 1);
  auto append = [&out](std::string_view s, size_t from) {
    out.text.append(s);
    out.origin.insert(out.origin.end(), s.size(), static_cast<uint32_t>(from));
  };
  size_t i = 0;
  while (i < input.size()) {
    char c = input[i];
    if (c != '$' || i + 1 >= input.size() || (input[i + 1] != '$' && input[i + 1] != '{')) {
      out.text.push_back(c);
      out.origin.push_back(static_cast<uint32_t>(i));
      ++i;
      continue;
    }
    out.changed = true;
    if (input[i + 1] == '$') {
      append("$", i);
      i += 2;
      continue;
    }
    size_t close = input.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.errors.push_back({i, "unterminated '${' (missing '}')"});
      append(input.substr(i), i);
      break;
    }
    std::string_view body = input.substr(i + 2, close - i - 2);
    size_t sep = body.find(":-");
    std::string_view name = body.substr(0, sep);
    bool valid_name = !name.empty() && is_name_start(name[0]);
    for (char n : name) {
      valid_name = valid_name && is_name_char(n);
    }
    if (!valid_name) {
      out.errors.push_back({i, "invalid environment variable reference '${" + std::string(body) +
                                   "}' (expected ${NAME} or ${NAME:-default})"});
    } else {
      std::optional<std::string> value = env ? env(std::string(name)) : std::nullopt;
      if (sep != std::string_view::npos && (!value || value->empty())) {
        append(body.substr(sep + 2), i);
      } else if (value) {
        append(*value, i);
      } else {
        out.errors.push_back({i, "environment variable " + std::string(name) + " is not set"});
      }
    }
    i = close + 1;
  }
  out.origin.push_back(static_cast<uint32_t>(input.size()));
  return out;
}

}  // namespace sluice
