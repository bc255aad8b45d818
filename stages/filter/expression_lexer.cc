#include "stages/filter/expression_lexer.h"

namespace sluice {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@';
}
// Dots reach nested JSON keys; dashes appear in common keys (user-agent) and the language has no
// arithmetic they could be confused with.
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c) || c == '.' || c == '-'; }

TokenKind keyword_kind(std::string_view word) {
  if (word == "and") {
    return TokenKind::kAnd;
  }
  if (word == "or") {
    return TokenKind::kOr;
  }
  if (word == "not") {
    return TokenKind::kNot;
  }
  if (word == "in") {
    return TokenKind::kIn;
  }
  if (word == "true") {
    return TokenKind::kTrue;
  }
  if (word == "false") {
    return TokenKind::kFalse;
  }
  if (word == "null") {
    return TokenKind::kNull;
  }
  return TokenKind::kIdent;
}

// Reads a number starting at text[i] (an optional sign, digits, an optional fraction and
// exponent). Returns the index past it, or 0 when what follows is not a number.
size_t scan_number(std::string_view text, size_t i) {
  size_t n = text.size();
  if (i < n && (text[i] == '-' || text[i] == '+')) {
    ++i;
  }
  size_t digits_begin = i;
  while (i < n && is_digit(text[i])) {
    ++i;
  }
  if (i == digits_begin) {
    return 0;
  }
  if (i + 1 < n && text[i] == '.' && is_digit(text[i + 1])) {
    i += 2;
    while (i < n && is_digit(text[i])) {
      ++i;
    }
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < n && (text[j] == '-' || text[j] == '+')) {
      ++j;
    }
    if (j < n && is_digit(text[j])) {
      while (j < n && is_digit(text[j])) {
        ++j;
      }
      i = j;
    }
  }
  return i;
}

}  // namespace

Status Lexer::next(Token& token) {
  const std::string_view text = text_;
  size_t& i = pos_;
  const size_t n = text.size();
  while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
    ++i;
  }
  token.kind = TokenKind::kEnd;
  token.text.clear();
  token.column = static_cast<int>(i) + 1;
  if (i == n) {
    return Status();
  }
  char c = text[i];
  char next = i + 1 < n ? text[i + 1] : '\0';
  // Punctuation keeps no text: describe() spells it from the kind.
  auto punct = [&](TokenKind kind, size_t len) {
    token.kind = kind;
    i += len;
  };
  if (is_ident_start(c)) {
    size_t begin = i;
    while (i < n && is_ident_char(text[i])) {
      ++i;
    }
    token.text.assign(text.substr(begin, i - begin));
    token.kind = keyword_kind(token.text);
  } else if (is_digit(c) || ((c == '-' || c == '+') && is_digit(next))) {
    size_t end = scan_number(text, i);
    if (end < n && (is_ident_char(text[end]) || text[end] == '.')) {
      return Status::error("invalid number", 1, token.column);
    }
    token.kind = TokenKind::kNumber;
    token.text.assign(text.substr(i, end - i));
    i = end;
  } else if (c == '"' || c == '\'') {
    size_t j = i + 1;
    bool closed = false;
    while (j < n) {
      char d = text[j];
      if (d == c) {
        closed = true;
        ++j;
        break;
      }
      if (d == '\\' && j + 1 < n) {
        char e = text[j + 1];
        switch (e) {
          case '"':
          case '\'':
          case '\\':
            token.text.push_back(e);
            break;
          case 'n':
            token.text.push_back('\n');
            break;
          case 't':
            token.text.push_back('\t');
            break;
          case 'r':
            token.text.push_back('\r');
            break;
          default:
            token.text.push_back('\\');
            token.text.push_back(e);
            break;
        }
        j += 2;
        continue;
      }
      token.text.push_back(d);
      ++j;
    }
    if (!closed) {
      return Status::error("unterminated string", 1, token.column);
    }
    token.kind = TokenKind::kString;
    i = j;
  } else if (c == '(') {
    punct(TokenKind::kLParen, 1);
  } else if (c == ')') {
    punct(TokenKind::kRParen, 1);
  } else if (c == '[') {
    punct(TokenKind::kLBracket, 1);
  } else if (c == ']') {
    punct(TokenKind::kRBracket, 1);
  } else if (c == ',') {
    punct(TokenKind::kComma, 1);
  } else if (c == '=' && next == '=') {
    punct(TokenKind::kEq, 2);
  } else if (c == '=' && next == '~') {
    punct(TokenKind::kMatch, 2);
  } else if (c == '!' && next == '=') {
    punct(TokenKind::kNe, 2);
  } else if (c == '!' && next == '~') {
    punct(TokenKind::kNotMatch, 2);
  } else if (c == '<' && next == '=') {
    punct(TokenKind::kLe, 2);
  } else if (c == '<') {
    punct(TokenKind::kLt, 1);
  } else if (c == '>' && next == '=') {
    punct(TokenKind::kGe, 2);
  } else if (c == '>') {
    punct(TokenKind::kGt, 1);
  } else if (c == '=') {
    return Status::error("unexpected '=' (use '==' to compare)", 1, token.column);
  } else {
    std::string message = "unexpected character '";
    message.push_back(c);
    message.push_back('\'');
    return Status::error(std::move(message), 1, token.column);
  }
  return Status();
}

Status tokenize(std::string_view text, std::vector<Token>& out) {
  Lexer lexer(text);
  while (true) {
    Token token;
    Status status = lexer.next(token);
    if (!status.ok()) {
      return status;
    }
    out.push_back(std::move(token));
    if (out.back().kind == TokenKind::kEnd) {
      return Status();
    }
  }
}

std::string_view spelling(TokenKind kind) {
  switch (kind) {
    case TokenKind::kLParen:
      return "(";
    case TokenKind::kRParen:
      return ")";
    case TokenKind::kLBracket:
      return "[";
    case TokenKind::kRBracket:
      return "]";
    case TokenKind::kComma:
      return ",";
    case TokenKind::kEq:
      return "==";
    case TokenKind::kNe:
      return "!=";
    case TokenKind::kLt:
      return "<";
    case TokenKind::kLe:
      return "<=";
    case TokenKind::kGt:
      return ">";
    case TokenKind::kGe:
      return ">=";
    case TokenKind::kMatch:
      return "=~";
    case TokenKind::kNotMatch:
      return "!~";
    default:
      return "";
  }
}

std::string describe(const Token& token) {
  // Built by append: GCC 12 warns falsely (-Wrestrict) on chained operator+ at -O3.
  std::string out;
  switch (token.kind) {
    case TokenKind::kEnd:
      out.append("end of expression");
      break;
    case TokenKind::kString:
      out.append("string \"").append(token.text).append("\"");
      break;
    case TokenKind::kNumber:
      out.append("number ").append(token.text);
      break;
    case TokenKind::kIdent:
    case TokenKind::kAnd:
    case TokenKind::kOr:
    case TokenKind::kNot:
    case TokenKind::kIn:
    case TokenKind::kTrue:
    case TokenKind::kFalse:
    case TokenKind::kNull:
      out.append("'").append(token.text).append("'");
      break;
    default:
      out.append("'").append(spelling(token.kind)).append("'");
      break;
  }
  return out;
}

}  // namespace sluice
