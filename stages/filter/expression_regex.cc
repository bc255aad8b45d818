#include "stages/filter/expression_regex.h"

#include <re2/re2.h>

#include <cstring>

#include "stages/regex_syntax.h"

namespace sluice {
namespace {

bool is_meta(char c) { return std::strchr("\\^$.|?*+()[]{}", c) != nullptr; }
bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

Result<std::unique_ptr<ExpressionRegex>> ExpressionRegex::compile(std::string_view pattern) {
  std::string rewritten = rewrite_named_groups(pattern);
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(rewritten, options);
  if (!re->ok()) {
    return Status::error("invalid regex: " + re->error());
  }
  std::unique_ptr<ExpressionRegex> regex(new ExpressionRegex());
  regex->re_ = std::move(re);
  regex->anchored_ = AnchoredPattern::compile(pattern);

  // A pattern without any metacharacter matches exactly where its bytes occur.
  bool plain = pattern.find_first_of("\\^$.|?*+()[]{}") == std::string_view::npos;
  if (plain) {
    regex->shortcut_ = Shortcut::kContains;
    regex->literal_.assign(pattern);
    return regex;
  }
  // `^literal...`: the text must begin with the literal. Alternation anywhere could make the
  // anchor apply to one branch only, so such patterns are left to RE2 alone.
  if (pattern.size() > 1 && pattern[0] == '^' && pattern.find('|') == std::string_view::npos) {
    std::string prefix;
    size_t i = 1;
    bool quantified = false;
    while (i < pattern.size()) {
      char c = pattern[i];
      if (static_cast<unsigned char>(c) >= 0x80) {
        break;  // stop before multi-byte characters: a quantifier would apply to all their bytes
      }
      if (c == '\\') {
        if (i + 1 < pattern.size() && !is_alnum(pattern[i + 1]) &&
            static_cast<unsigned char>(pattern[i + 1]) < 0x80) {
          prefix.push_back(pattern[i + 1]);
          i += 2;
          continue;
        }
        break;
      }
      if (is_meta(c)) {
        quantified = c == '?' || c == '*' || c == '+' || c == '{';
        break;
      }
      prefix.push_back(c);
      ++i;
    }
    if (quantified && !prefix.empty()) {
      prefix.pop_back();  // `^ab?` only requires "a"
    }
    if (!prefix.empty()) {
      regex->shortcut_ = i == pattern.size() ? Shortcut::kPrefixOnly : Shortcut::kPrefixThenRe;
      regex->literal_ = std::move(prefix);
    }
  }
  return regex;
}

ExpressionRegex::~ExpressionRegex() = default;

bool ExpressionRegex::match(std::string_view text) const {
  if (anchored_) {
    AnchoredPattern::Outcome o = anchored_->match(text);
    if (o != AnchoredPattern::Outcome::kUndecided) {
      return o == AnchoredPattern::Outcome::kMatch;
    }
  }
  switch (shortcut_) {
    case Shortcut::kContains:
      return text.find(literal_) != std::string_view::npos;
    case Shortcut::kPrefixOnly:
      return text.size() >= literal_.size() &&
             std::memcmp(text.data(), literal_.data(), literal_.size()) == 0;
    case Shortcut::kPrefixThenRe:
      if (text.size() < literal_.size() ||
          std::memcmp(text.data(), literal_.data(), literal_.size()) != 0) {
        return false;
      }
      break;
    case Shortcut::kNone:
      break;
  }
  return re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                    nullptr, 0);
}

}  // namespace sluice
