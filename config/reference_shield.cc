#include "config/reference_shield.h"

#include <algorithm>
#include <map>

namespace sluice {
namespace {

constexpr std::string_view kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";

// "<prefix><index in base 36>" padded with 'Q' to `length`; empty when it does not fit.
std::string placeholder(const std::string& prefix, size_t index, size_t length) {
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[index % 36]);
    index /= 36;
  } while (index > 0);
  std::string out = prefix + digits + "Q";
  if (out.size() > length) {
    return {};
  }
  out.append(length - out.size(), 'Q');
  return out;
}

// The `${...}` reference starting at `i` (a '$' followed by '{'), closed on the same line; empty
// when there is none.
std::string_view reference_at(std::string_view yaml, size_t i) {
  if (yaml[i] != '$' || i + 1 >= yaml.size() || yaml[i + 1] != '{') {
    return {};
  }
  size_t close = yaml.find('}', i + 2);
  size_t newline = yaml.find('\n', i + 2);
  if (close == std::string_view::npos || close > newline) {
    return {};
  }
  return yaml.substr(i, close + 1 - i);
}

}  // namespace

ReferenceShield::ReferenceShield(std::string_view yaml) {
  for (char c = 'A'; c <= 'Z'; ++c) {
    std::string candidate = std::string("Z") + c;
    if (yaml.find(candidate) == std::string_view::npos) {
      prefix_ = candidate;
      break;
    }
  }
  // Indexes go to distinct references, shortest first: a placeholder must fit in its reference,
  // and the shortest (`${X}`, 4 bytes) has room for one digit only, so they take the first 36.
  // Sharing an index keeps a reference repeated all over a file (`${KAFKA}`) to one.
  std::map<std::string_view, size_t> index_of;
  if (!prefix_.empty()) {
    std::vector<std::string_view> distinct;
    for (size_t i = 0; i < yaml.size(); ++i) {
      if (yaml[i] == '$' && i + 1 < yaml.size() && yaml[i + 1] == '$') {
        ++i;
        continue;
      }
      std::string_view reference = reference_at(yaml, i);
      if (!reference.empty() && index_of.emplace(reference, 0).second) {
        distinct.push_back(reference);
      }
      i += reference.empty() ? 0 : reference.size() - 1;
    }
    std::stable_sort(distinct.begin(), distinct.end(),
                     [](std::string_view a, std::string_view b) { return a.size() < b.size(); });
    for (std::string_view reference : distinct) {
      index_of[reference] = originals_.size();
      originals_.emplace_back(reference);
    }
  }
  shielded_.reserve(yaml.size());
  size_t i = 0;
  while (i < yaml.size()) {
    std::string_view reference = prefix_.empty() ? std::string_view() : reference_at(yaml, i);
    if (!reference.empty()) {
      // A reference too short for its index stays as written: the YAML parser may then trip
      // over it inside a flow mapping, which is an error message, never a wrong value.
      std::string p = placeholder(prefix_, index_of.at(reference), reference.size());
      shielded_ += p.empty() ? reference : std::string_view(p);
      i += reference.size();
      continue;
    }
    // `$$` is an escaped dollar: keep both so `$${X}` stays a literal.
    if (yaml[i] == '$' && i + 1 < yaml.size() && yaml[i + 1] == '$') {
      shielded_ += "$$";
      i += 2;
      continue;
    }
    shielded_ += yaml[i++];
  }
}

std::string ReferenceShield::restore(std::string_view scalar) const {
  if (originals_.empty() || scalar.find(prefix_) == std::string_view::npos) {
    return std::string(scalar);
  }
  std::string out;
  size_t i = 0;
  while (i < scalar.size()) {
    if (scalar.substr(i, prefix_.size()) == prefix_) {
      size_t j = i + prefix_.size();
      size_t index = 0;
      size_t start = j;
      while (j < scalar.size() && kDigits.find(scalar[j]) != std::string_view::npos &&
             scalar[j] != 'Q') {
        index = index * 36 + kDigits.find(scalar[j]);
        ++j;
      }
      if (j > start && j < scalar.size() && scalar[j] == 'Q' && index < originals_.size()) {
        const std::string& original = originals_[index];
        size_t end = i + original.size();
        if (end <= scalar.size() &&
            scalar.substr(i, original.size()) == placeholder(prefix_, index, original.size())) {
          out += original;
          i = end;
          continue;
        }
      }
    }
    out += scalar[i++];
  }
  return out;
}

}  // namespace sluice
