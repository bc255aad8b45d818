// "Did you mean" hints for misspelt keys and values: the closest candidate by edit distance, if it
// is close enough to be a likely typo. Pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice {

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace sluice
