#include "stages/parse/regex_splitter.h"

#include <algorithm>
#include <bitset>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <string>

namespace sluice {
namespace {

// A set of characters as RE2 sees them: ASCII bytes exactly, and a flag for "every code point
// >= 0x80" (the only non-ASCII sets the accepted syntax can build are all or nothing).
struct CharSet {
  std::bitset<128> ascii;
  bool non_ascii = false;

  void add(unsigned char c) { ascii.set(c); }
  void add_range(unsigned char lo, unsigned char hi) {
    for (unsigned c = lo; c <= hi; ++c) {
      ascii.set(c);
    }
  }
  void add(const CharSet& other) {
    ascii |= other.ascii;
    non_ascii = non_ascii || other.non_ascii;
  }
  CharSet negated() const {
    CharSet out;
    out.ascii = ~ascii;
    out.non_ascii = !non_ascii;
    return out;
  }
  bool empty() const { return ascii.none() && !non_ascii; }
};

// RE2's Perl classes: \d = [0-9], \s = [\t\n\f\r ], \w = [0-9A-Za-z_].
std::optional<CharSet> perl_class(char c) {
  CharSet set;
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'd':
      set.add_range('0', '9');
      break;
    case 's':
      for (char w : {'\t', '\n', '\f', '\r', ' '}) {
        set.add(static_cast<unsigned char>(w));
      }
      break;
    case 'w':
      set.add_range('0', '9');
      set.add_range('A', 'Z');
      set.add_range('a', 'z');
      set.add('_');
      break;
    default:
      return std::nullopt;
  }
  return std::isupper(static_cast<unsigned char>(c)) ? set.negated() : set;
}

// `\` followed by one of these is that character in RE2 (a subset of what RE2 accepts).
bool escapable(char c) {
  return c > 0 && c < 0x7f && std::ispunct(static_cast<unsigned char>(c)) && c != '_';
}

bool plain_literal(char c) {
  return c >= 0x20 && c < 0x7f && std::strchr("\\.+*?()|[]{}^$", c) == nullptr;
}

// The pattern as a flat token list; optional groups are bracketed by kOptBegin/kOptEnd.
struct Token {
  enum class Kind { kChar, kRun, kOpen, kClose, kOptBegin, kOptEnd };
  Kind kind;
  char c = 0;          // kChar
  CharSet set;         // kRun
  uint32_t min = 1;    // kRun
  uint32_t max = 1;    // kRun
  uint32_t group = 0;  // kOpen, kClose
  size_t partner = 0;  // kOptBegin: index of its kOptEnd
};

constexpr uint32_t kUnbounded = UINT32_MAX;
constexpr uint32_t kMaxRepeat = 1000;  // RE2's own limit

class ShapeParser {
 public:
  explicit ShapeParser(std::string_view p) : p_(p) {}

  // False when the pattern is outside the shape.
  bool parse() {
    if (p_.empty() || p_[0] != '^') {
      return false;
    }
    i_ = 1;
    if (!sequence(0)) {
      return false;
    }
    if (i_ < p_.size() && p_[i_] == '$' && i_ + 1 == p_.size()) {
      anchored_end_ = true;
      ++i_;
    }
    return i_ == p_.size();
  }

  std::vector<Token> tokens;
  std::map<std::string, int> names;
  int groups = 0;
  bool anchored_end() const { return anchored_end_; }

 private:
  bool at_end() const { return i_ >= p_.size(); }

  // Items until `)` (depth > 0) or the end / a final `$` (depth 0).
  bool sequence(int depth) {
    while (!at_end()) {
      const char c = p_[i_];
      if (c == ')') {
        return depth > 0;
      }
      if (c == '$' && depth == 0 && i_ + 1 == p_.size()) {
        return true;
      }
      if (!item(depth)) {
        return false;
      }
    }
    return depth == 0;
  }

  bool item(int depth) {
    const char c = p_[i_];
    if (c == '(') {
      return group(depth);
    }
    Token token;
    if (c == '[') {
      if (!char_class(token.set)) {
        return false;
      }
      token.kind = Token::Kind::kRun;
    } else if (c == '.') {
      ++i_;
      token.kind = Token::Kind::kRun;
      token.set.add('\n');
      token.set = token.set.negated();
    } else if (c == '\\') {
      if (i_ + 1 >= p_.size()) {
        return false;
      }
      const char e = p_[i_ + 1];
      i_ += 2;
      if (auto set = perl_class(e)) {
        token.kind = Token::Kind::kRun;
        token.set = *set;
      } else if (escapable(e)) {
        token.kind = Token::Kind::kChar;
        token.c = e;
      } else {
        return false;
      }
    } else if (plain_literal(c)) {
      ++i_;
      token.kind = Token::Kind::kChar;
      token.c = c;
    } else {
      return false;
    }
    uint32_t min = 1;
    uint32_t max = 1;
    if (!quantifier(min, max)) {
      return false;
    }
    if (min != 1 || max != 1) {
      if (token.kind == Token::Kind::kChar) {
        token.kind = Token::Kind::kRun;
        token.set.add(static_cast<unsigned char>(token.c));
      }
      token.min = min;
      token.max = max;
    }
    if (token.kind == Token::Kind::kRun && token.set.empty()) {
      return false;
    }
    tokens.push_back(token);
    return true;
  }

  bool group(int depth) {
    ++i_;  // (
    const size_t start = tokens.size();
    int capture = -1;
    if (p_.substr(i_, 3) == "?P<") {
      const size_t close = p_.find('>', i_ + 3);
      if (close == std::string_view::npos) {
        return false;
      }
      capture = ++groups;
      names[std::string(p_.substr(i_ + 3, close - i_ - 3))] = capture;
      i_ = close + 1;
    } else if (p_.substr(i_, 2) == "?:") {
      i_ += 2;
    } else if (!at_end() && p_[i_] == '?') {
      return false;  // flags, lookaround and the like
    } else {
      capture = ++groups;
    }
    if (capture >= 0) {
      Token open;
      open.kind = Token::Kind::kOpen;
      open.group = static_cast<uint32_t>(capture);
      tokens.push_back(open);
    }
    if (!sequence(depth + 1) || at_end() || p_[i_] != ')') {
      return false;
    }
    ++i_;
    if (capture >= 0) {
      Token close;
      close.kind = Token::Kind::kClose;
      close.group = static_cast<uint32_t>(capture);
      tokens.push_back(close);
    }
    uint32_t min = 1;
    uint32_t max = 1;
    if (!quantifier(min, max)) {
      return false;
    }
    if (min == 1 && max == 1) {
      return true;
    }
    if (min != 0 || max != 1 || !consumes(start, tokens.size())) {
      return false;  // only `?`, and only of a body that cannot match empty
    }
    Token begin;
    begin.kind = Token::Kind::kOptBegin;
    tokens.insert(tokens.begin() + static_cast<std::ptrdiff_t>(start), begin);
    Token end;
    end.kind = Token::Kind::kOptEnd;
    tokens.push_back(end);
    for (size_t t = start; t < tokens.size(); ++t) {  // partners shifted by the insert
      if (tokens[t].kind == Token::Kind::kOptBegin) {
        tokens[t].partner = t == start ? tokens.size() - 1 : tokens[t].partner + 1;
      }
    }
    return true;
  }

  // Whether tokens [from, to) must consume at least one byte (ignoring nested optionals).
  bool consumes(size_t from, size_t to) const {
    for (size_t t = from; t < to; ++t) {
      const Token& token = tokens[t];
      if (token.kind == Token::Kind::kOptBegin) {
        t = token.partner;
      } else if (token.kind == Token::Kind::kChar ||
                 (token.kind == Token::Kind::kRun && token.min > 0)) {
        return true;
      }
    }
    return false;
  }

  bool number(uint32_t& out) {
    const size_t start = i_;
    uint32_t v = 0;
    while (!at_end() && p_[i_] >= '0' && p_[i_] <= '9' && i_ - start < 5) {
      v = v * 10 + static_cast<uint32_t>(p_[i_] - '0');
      ++i_;
    }
    out = v;
    return i_ > start && v <= kMaxRepeat;
  }

  // Greedy quantifiers only: a following `?` (non-greedy) or any second operator is refused.
  bool quantifier(uint32_t& min, uint32_t& max) {
    if (at_end()) {
      return true;
    }
    const char c = p_[i_];
    if (c == '*' || c == '+' || c == '?') {
      min = c == '+' ? 1 : 0;
      max = c == '?' ? 1 : kUnbounded;
      ++i_;
    } else if (c == '{') {
      ++i_;
      if (!number(min)) {
        return false;
      }
      max = min;
      if (!at_end() && p_[i_] == ',') {
        ++i_;
        max = kUnbounded;
        if (!at_end() && p_[i_] != '}' && (!number(max) || max < min)) {
          return false;
        }
      }
      if (at_end() || p_[i_] != '}') {
        return false;
      }
      ++i_;
    } else {
      return true;
    }
    return at_end() || std::strchr("*+?{", p_[i_]) == nullptr;
  }

  // One class element that is a single character: a plain byte or an escaped punctuation mark.
  bool class_char(unsigned char& out) {
    if (at_end()) {
      return false;
    }
    char c = p_[i_];
    if (c == '\\') {
      if (i_ + 1 >= p_.size() || !escapable(p_[i_ + 1])) {
        return false;
      }
      out = static_cast<unsigned char>(p_[i_ + 1]);
      i_ += 2;
      return true;
    }
    if (c < 0x20 || c >= 0x7f || c == '[' || c == ']') {
      return false;
    }
    out = static_cast<unsigned char>(c);
    ++i_;
    return true;
  }

  bool char_class(CharSet& out) {
    ++i_;  // [
    bool negate = false;
    if (!at_end() && p_[i_] == '^') {
      negate = true;
      ++i_;
    }
    CharSet set;
    bool first = true;
    for (;;) {
      if (at_end()) {
        return false;
      }
      const char c = p_[i_];
      if (c == ']') {
        if (first) {
          return false;  // `[]...]`: RE2 takes the bracket literally; not worth the risk
        }
        ++i_;
        break;
      }
      if (c == '\\' && i_ + 1 < p_.size()) {
        if (auto perl = perl_class(p_[i_ + 1])) {
          set.add(*perl);
          i_ += 2;
          first = false;
          continue;
        }
      }
      if (c == '-' && !first && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        return false;  // a dash that is neither first, last nor in a range
      }
      unsigned char lo = 0;
      if (!class_char(lo)) {
        return false;
      }
      if (!at_end() && p_[i_] == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        unsigned char hi = 0;
        if (!class_char(hi) || hi < lo) {
          return false;
        }
        set.add_range(lo, hi);
      } else {
        set.add(lo);
      }
      first = false;
    }
    // RE2's default options include ClassNL: a negated class also matches '\n'.
    out = negate ? set.negated() : set;
    return true;
  }

  std::string_view p_;
  size_t i_ = 0;
  bool anchored_end_ = false;
};

// Every take/skip combination of the optional groups, as token lists without kOpt tokens, in
// the order a backtracking (leftmost-first) matcher tries them: take before skip, earlier
// groups first.
void expand(const std::vector<Token>& tokens, size_t from, std::vector<Token>& current,
            std::vector<std::vector<Token>>& out, size_t limit) {
  for (size_t t = from; t < tokens.size(); ++t) {
    const Token& token = tokens[t];
    if (token.kind == Token::Kind::kOptEnd) {
      continue;  // the end of a taken optional
    }
    if (token.kind == Token::Kind::kOptBegin) {
      if (out.size() >= limit) {
        return;
      }
      const size_t mark = current.size();
      expand(tokens, t + 1, current, out, limit);
      current.resize(mark);
      expand(tokens, token.partner + 1, current, out, limit);
      return;
    }
    current.push_back(token);
  }
  out.push_back(current);
}

// Each run must be followed only by bytes outside its class (see the header).
bool deterministic(const std::vector<Token>& ops) {
  for (size_t t = 0; t < ops.size(); ++t) {
    if (ops[t].kind != Token::Kind::kRun) {
      continue;
    }
    const CharSet& set = ops[t].set;
    for (size_t u = t + 1; u < ops.size(); ++u) {
      const Token& next = ops[u];
      if (next.kind == Token::Kind::kChar) {
        if (next.c >= 0 && set.ascii.test(static_cast<unsigned char>(next.c))) {
          return false;
        }
        break;
      }
      if (next.kind == Token::Kind::kRun) {
        if ((set.ascii & next.set.ascii).any() || (set.non_ascii && next.set.non_ascii)) {
          return false;
        }
        if (next.min > 0) {
          break;
        }
      }
    }
  }
  return true;
}

// The options the splitter's semantics assume (RE2's defaults; log_errors does not matter).
bool default_semantics(const RE2::Options& o) {
  return o.encoding() == RE2::Options::EncodingUTF8 && !o.posix_syntax() && !o.longest_match() &&
         !o.literal() && !o.never_nl() && !o.dot_nl() && !o.never_capture() && o.case_sensitive();
}

}  // namespace

std::unique_ptr<const RegexSplitter> RegexSplitter::compile(const RE2& re) {
  if (!re.ok() || !default_semantics(re.options())) {
    return nullptr;
  }
  ShapeParser parser(re.pattern());
  if (!parser.parse() || parser.groups != re.NumberOfCapturingGroups() ||
      parser.groups >= kMaxGroups || parser.names != re.NamedCapturingGroups()) {
    return nullptr;
  }
  constexpr size_t kMaxVariants = 16;
  std::vector<std::vector<Token>> variants;
  std::vector<Token> current;
  expand(parser.tokens, 0, current, variants, kMaxVariants + 1);
  if (variants.empty() || variants.size() > kMaxVariants) {
    return nullptr;
  }
  auto splitter = std::unique_ptr<RegexSplitter>(new RegexSplitter());
  splitter->anchored_end_ = parser.anchored_end();
  for (const auto& tokens : variants) {
    if (!deterministic(tokens)) {
      return nullptr;
    }
    std::vector<Op> ops;
    for (const Token& token : tokens) {
      Op op;
      switch (token.kind) {
        case Token::Kind::kChar:
          if (!ops.empty() && ops.back().kind == Op::Kind::kLiteral &&
              ops.back().literal_off + ops.back().literal_len == splitter->literals_.size()) {
            ++ops.back().literal_len;
            splitter->literals_.push_back(token.c);
            continue;
          }
          op.kind = Op::Kind::kLiteral;
          op.literal_off = static_cast<uint32_t>(splitter->literals_.size());
          op.literal_len = 1;
          splitter->literals_.push_back(token.c);
          break;
        case Token::Kind::kRun: {
          op.kind = Op::Kind::kRun;
          op.min = token.min;
          op.max = token.max;
          Table table{};
          for (unsigned b = 0; b < 256; ++b) {
            table[b] = b < 0x80 ? (token.set.ascii.test(b) ? 1 : 0) : (token.set.non_ascii ? 2 : 0);
          }
          op.table = static_cast<uint16_t>(splitter->tables_.size());
          splitter->tables_.push_back(table);
          break;
        }
        case Token::Kind::kOpen:
        case Token::Kind::kClose:
          op.kind = token.kind == Token::Kind::kOpen ? Op::Kind::kOpen : Op::Kind::kClose;
          op.group = token.group;
          break;
        case Token::Kind::kOptBegin:
        case Token::Kind::kOptEnd:
          continue;
      }
      ops.push_back(op);
    }
    splitter->variants_.push_back(std::move(ops));
  }
  return splitter;
}

RegexSplitter::Outcome RegexSplitter::run(const std::vector<Op>& ops, std::string_view text,
                                          re2::StringPiece* sub, int nsub) const {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t pos = 0;
  size_t open[kMaxGroups];
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::Kind::kLiteral:
        if (n - pos < op.literal_len ||
            std::memcmp(s + pos, literals_.data() + op.literal_off, op.literal_len) != 0) {
          return Outcome::kNoMatch;
        }
        pos += op.literal_len;
        break;
      case Op::Kind::kRun: {
        const uint8_t* table = tables_[op.table].data();
        const size_t limit = std::min<size_t>(op.max, n - pos);
        size_t end = pos;
        const size_t stop = pos + limit;
        while (end < stop && table[s[end]] == 1) {
          ++end;
        }
        if (end < stop && table[s[end]] == 2) {
          return Outcome::kUnsure;
        }
        if (end - pos < op.min) {
          return Outcome::kNoMatch;
        }
        pos = end;
        break;
      }
      case Op::Kind::kOpen:
        open[op.group] = pos;
        break;
      case Op::Kind::kClose:
        if (static_cast<int>(op.group) < nsub) {
          sub[op.group] = re2::StringPiece(text.data() + open[op.group], pos - open[op.group]);
        }
        break;
    }
  }
  if (anchored_end_ && pos != n) {
    return Outcome::kNoMatch;
  }
  if (nsub > 0) {
    sub[0] = re2::StringPiece(text.data(), pos);
  }
  return Outcome::kMatch;
}

RegexSplitter::Outcome RegexSplitter::match(std::string_view text, re2::StringPiece* sub,
                                            int nsub) const {
  for (const auto& ops : variants_) {
    for (int g = 0; g < nsub; ++g) {
      sub[g] = re2::StringPiece();
    }
    const Outcome outcome = run(ops, text, sub, nsub);
    if (outcome != Outcome::kNoMatch) {
      return outcome;
    }
  }
  return Outcome::kNoMatch;
}

}  // namespace sluice
