#include "config/reference_shield.h"

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

}  // namespace

ReferenceShield::ReferenceShield(std::string_view yaml) {
  for (char c = 'A'; c <= 'Z'; ++c) {
    std::string candidate = std::string("Z") + c;
    if (yaml.find(candidate) == std::string_view::npos) {
      prefix_ = candidate;
      break;
    }
  }
  shielded_.reserve(yaml.size());
  size_t i = 0;
  while (i < yaml.size()) {
    if (!prefix_.empty() && yaml[i] == '$' && i + 1 < yaml.size() && yaml[i + 1] == '{') {
      size_t close = yaml.find('}', i + 2);
      size_t newline = yaml.find('\n', i + 2);
      if (close != std::string_view::npos && close < newline) {
        std::string_view reference = yaml.substr(i, close + 1 - i);
        std::string p = placeholder(prefix_, originals_.size(), reference.size());
        if (!p.empty()) {
          originals_.emplace_back(reference);
          shielded_ += p;
          i = close + 1;
          continue;
        }
      }
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
