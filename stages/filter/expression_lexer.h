// Lexer for filter and route expressions (SPEC §2): splits the text into tokens that carry their
// 1-based column, so every later error can point at the exact place. Runs once at load. A Lexer
// belongs to one thread; tokenize() is a pure function, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stages/status.h"

namespace sluice {

enum class TokenKind : uint8_t {
  kEnd,
  kIdent,   // a field or function name: a.b, _raw, user-agent
  kString,  // text holds the unescaped contents
  kNumber,  // text holds the literal as written
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kMatch,     // =~
  kNotMatch,  // !~
  kAnd,
  kOr,
  kNot,
  kIn,
  kTrue,
  kFalse,
  kNull,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // identifiers and keywords as written, unescaped strings, numbers; empty for
                     // punctuation (see spelling())
  int column = 0;    // 1-based byte column of the token's first character
};

// Reads the tokens of a text one at a time, so that a long expression is never held as tokens all
// at once (the parser needs two). String escapes \" \' \\ \n \t \r become their character; any
// other backslash pair is kept as written, so regex literals such as "\d+\.json" need no double
// escaping. `text` must outlive the Lexer.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // Reads the next token into `token`. After the last one, every call gives a kEnd token whose
  // column is one past the text. An error leaves `token` unspecified.
  Status next(Token& token);

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// Appends every token of `text` to `out`, ending with one kEnd token (see Lexer).
Status tokenize(std::string_view text, std::vector<Token>& out);

// How an operator or punctuation token is written: "==", "(".
std::string_view spelling(TokenKind kind);

// How a token reads in an error message: "'=='", "end of expression", "string \"x\"".
std::string describe(const Token& token);

}  // namespace sluice
