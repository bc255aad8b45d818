#include "stages/filter/expression_parser.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "stages/filter/expression_lexer.h"

namespace sluice {
namespace {

// Deeper nesting than this is surely a mistake, and recursion must not exhaust the stack.
constexpr int kMaxDepth = 200;

struct Operand {
  enum class Kind : uint8_t { kField, kString, kNumber, kLiteral, kList, kCall };
  Kind kind = Kind::kLiteral;
  uint32_t node = 0;
  int column = 0;
  std::string text;             // kString: the unescaped literal
  std::vector<uint32_t> items;  // kList: element nodes
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, Schema& schema, Expression::Program& program)
      : tokens_(std::move(tokens)), schema_(schema), program_(program) {}

  Status parse() {
    if (peek().kind == TokenKind::kEnd) {
      return Status::error("empty expression", 1, 1);
    }
    uint32_t root = parse_or(0);
    if (!ok()) {
      return status_;
    }
    if (peek().kind != TokenKind::kEnd) {
      fail("expected 'and', 'or' or the end of the expression, found " + describe(peek()),
           peek().column);
      return status_;
    }
    program_.root = root;
    return Status();
  }

 private:
  bool ok() const { return status_.ok(); }
  const Token& peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  void fail(std::string message, int column) {
    if (ok()) {
      status_ = Status::error(std::move(message), 1, column);
    }
  }
  bool expect(TokenKind kind, const char* what) {
    if (peek().kind != kind) {
      fail(std::string("expected ") + what + ", found " + describe(peek()), peek().column);
      return false;
    }
    advance();
    return true;
  }

  uint32_t parse_or(int depth) {
    uint32_t left = parse_and(depth);
    while (ok() && peek().kind == TokenKind::kOr) {
      advance();
      uint32_t right = parse_and(depth);
      left = program_.add(Node{NodeKind::kOr, CompareOp::kEq, false, left, right, 0});
    }
    return left;
  }

  uint32_t parse_and(int depth) {
    uint32_t left = parse_not(depth);
    while (ok() && peek().kind == TokenKind::kAnd) {
      advance();
      uint32_t right = parse_not(depth);
      left = program_.add(Node{NodeKind::kAnd, CompareOp::kEq, false, left, right, 0});
    }
    return left;
  }

  uint32_t parse_not(int depth) {
    if (depth > kMaxDepth) {
      fail("expression nested too deeply", peek().column);
      return 0;
    }
    if (peek().kind == TokenKind::kNot) {
      advance();
      uint32_t inner = parse_not(depth + 1);
      return program_.add(Node{NodeKind::kNot, CompareOp::kEq, false, inner, 0, 0});
    }
    return parse_cmp(depth);
  }

  uint32_t parse_cmp(int depth) {
    if (peek().kind == TokenKind::kLParen) {
      advance();
      uint32_t inner = parse_or(depth + 1);
      if (ok()) {
        expect(TokenKind::kRParen, "')'");
      }
      return inner;
    }
    Operand left = parse_operand(depth);
    if (!ok()) {
      return 0;
    }
    const Token& op = peek();
    switch (op.kind) {
      case TokenKind::kEq:
        return comparison(left, CompareOp::kEq, depth);
      case TokenKind::kNe:
        return comparison(left, CompareOp::kNe, depth);
      case TokenKind::kLt:
        return comparison(left, CompareOp::kLt, depth);
      case TokenKind::kLe:
        return comparison(left, CompareOp::kLe, depth);
      case TokenKind::kGt:
        return comparison(left, CompareOp::kGt, depth);
      case TokenKind::kGe:
        return comparison(left, CompareOp::kGe, depth);
      case TokenKind::kMatch:
      case TokenKind::kNotMatch:
        return regex_match(left, op.kind == TokenKind::kNotMatch, depth);
      case TokenKind::kIn:
        return membership(left, false, depth);
      case TokenKind::kNot:
        if (peek(1).kind == TokenKind::kIn) {
          advance();
          return membership(left, true, depth);
        }
        break;
      default:
        break;
    }
    if (left.kind == Operand::Kind::kList) {
      fail("a list can only follow 'in'", left.column);
      return 0;
    }
    return left.node;  // a bare operand: tested for truthiness
  }

  uint32_t comparison(const Operand& left, CompareOp op, int depth) {
    advance();
    Operand right = parse_operand(depth);
    if (!ok()) {
      return 0;
    }
    for (const Operand* side : {&left, static_cast<const Operand*>(&right)}) {
      if (side->kind == Operand::Kind::kList) {
        fail("a list can only follow 'in'", side->column);
        return 0;
      }
    }
    // `field op constant` (or `constant op field`, mirrored) skips evaluating two child nodes.
    const Operand* field = &left;
    const Operand* constant = &right;
    if (is_const(left) && is_plain_field(right)) {
      std::swap(field, constant);
      op = mirror(op);
    }
    if (is_plain_field(*field) && is_const(*constant)) {
      return program_.add(Node{NodeKind::kCompareFieldConst, op, false, 0,
                               program_.nodes[constant->node].aux,
                               program_.nodes[field->node].aux});
    }
    return program_.add(Node{NodeKind::kCompare, op, false, left.node, right.node, 0});
  }

  bool is_plain_field(const Operand& o) const {
    return o.kind == Operand::Kind::kField && program_.nodes[o.node].kind == NodeKind::kField;
  }
  bool is_const(const Operand& o) const {
    return o.kind != Operand::Kind::kList && program_.nodes[o.node].kind == NodeKind::kConst;
  }
  static CompareOp mirror(CompareOp op) {
    switch (op) {
      case CompareOp::kLt:
        return CompareOp::kGt;
      case CompareOp::kLe:
        return CompareOp::kGe;
      case CompareOp::kGt:
        return CompareOp::kLt;
      case CompareOp::kGe:
        return CompareOp::kLe;
      default:
        return op;
    }
  }

  uint32_t regex_match(const Operand& left, bool negate, int depth) {
    std::string op(spelling(advance().kind));
    Operand right = parse_operand(depth);
    if (!ok()) {
      return 0;
    }
    if (left.kind == Operand::Kind::kList) {
      fail("a list can only follow 'in'", left.column);
      return 0;
    }
    if (right.kind != Operand::Kind::kString) {
      fail("the right side of '" + op + "' must be a string literal (a regex pattern)",
           right.column);
      return 0;
    }
    auto regex = ExpressionRegex::compile(right.text);
    if (!regex.ok()) {
      fail(regex.status().message(), right.column);
      return 0;
    }
    program_.regexes.push_back(std::move(regex.value()));
    auto index = static_cast<uint32_t>(program_.regexes.size() - 1);
    return program_.add(Node{NodeKind::kMatch, CompareOp::kEq, negate, left.node, 0, index});
  }

  uint32_t membership(const Operand& left, bool negate, int depth) {
    advance();
    Operand right = parse_operand(depth);
    if (!ok()) {
      return 0;
    }
    if (left.kind == Operand::Kind::kList) {
      fail("a list can only follow 'in'", left.column);
      return 0;
    }
    if (right.kind != Operand::Kind::kList) {
      fail("the right side of 'in' must be a list, like [1, 2]", right.column);
      return 0;
    }
    auto begin = static_cast<uint32_t>(program_.list_items.size());
    program_.list_items.insert(program_.list_items.end(), right.items.begin(), right.items.end());
    auto count = static_cast<uint32_t>(right.items.size());
    return program_.add(Node{NodeKind::kIn, CompareOp::kEq, negate, left.node, count, begin});
  }

  uint32_t add_constant(Value value, std::string text) {
    program_.constant_texts.push_back(std::move(text));
    value.text = program_.constant_texts.back();
    program_.constants.push_back(value);
    auto index = static_cast<uint32_t>(program_.constants.size() - 1);
    return program_.add(Node{NodeKind::kConst, CompareOp::kEq, false, 0, 0, index});
  }

  Operand parse_operand(int depth) {
    Operand operand;
    if (depth > kMaxDepth) {
      fail("expression nested too deeply", peek().column);
      return operand;
    }
    const Token& token = peek();
    operand.column = token.column;
    switch (token.kind) {
      case TokenKind::kIdent: {
        if (peek(1).kind == TokenKind::kLParen) {
          return parse_call(depth);
        }
        std::string name = advance().text;
        Slot slot = schema_.intern(name);
        MetaField meta = schema_.meta(slot);
        operand.kind = Operand::Kind::kField;
        operand.node = meta == MetaField::kNone
                           ? program_.add(Node{NodeKind::kField, CompareOp::kEq, false, 0, 0, slot})
                           : program_.add(Node{NodeKind::kMeta, CompareOp::kEq, false, 0, 0,
                                               static_cast<uint32_t>(meta)});
        return operand;
      }
      case TokenKind::kString: {
        std::string text = advance().text;
        Value v;
        v.kind = Value::Kind::kString;
        parse_number(text, v);  // once, so comparing with a number field never re-parses
        operand.kind = Operand::Kind::kString;
        operand.text = text;
        operand.node = add_constant(v, std::move(text));
        return operand;
      }
      case TokenKind::kNumber: {
        std::string text = advance().text;
        Value v;
        parse_number(text, v);
        v.kind = v.numeric == Value::Numeric::kInt ? Value::Kind::kInt : Value::Kind::kFloat;
        if (v.numeric == Value::Numeric::kNo) {
          fail("number out of range", operand.column);
          return operand;
        }
        operand.kind = Operand::Kind::kNumber;
        operand.text = text;
        operand.node = add_constant(v, std::move(text));
        return operand;
      }
      case TokenKind::kTrue:
      case TokenKind::kFalse: {
        bool b = advance().kind == TokenKind::kTrue;
        operand.node = add_constant(Value::boolean(b), b ? "true" : "false");
        return operand;
      }
      case TokenKind::kNull: {
        advance();
        Value v;
        v.kind = Value::Kind::kNull;
        operand.node = add_constant(v, "null");
        return operand;
      }
      case TokenKind::kLBracket: {
        advance();
        operand.kind = Operand::Kind::kList;
        while (true) {
          Operand item = parse_operand(depth + 1);
          if (!ok()) {
            return operand;
          }
          if (item.kind == Operand::Kind::kList) {
            fail("lists cannot be nested", item.column);
            return operand;
          }
          operand.items.push_back(item.node);
          if (peek().kind == TokenKind::kComma) {
            advance();
            continue;
          }
          expect(TokenKind::kRBracket, "',' or ']'");
          return operand;
        }
      }
      default:
        fail("expected a field, value or function, found " + describe(token), token.column);
        return operand;
    }
  }

  Operand parse_call(int depth) {
    Operand call;
    call.kind = Operand::Kind::kCall;
    Token name = advance();
    call.column = name.column;
    size_t arity = 0;
    if (name.text == "exists" || name.text == "len" || name.text == "lower" ||
        name.text == "sample") {
      arity = 1;
    } else if (name.text == "starts_with" || name.text == "contains") {
      arity = 2;
    } else {
      fail("unknown function '" + name.text +
               "' (known: exists, len, lower, starts_with, contains, sample)",
           name.column);
      return call;
    }
    advance();  // '('
    std::vector<Operand> args;
    if (peek().kind != TokenKind::kRParen) {
      while (true) {
        args.push_back(parse_operand(depth + 1));
        if (!ok()) {
          return call;
        }
        if (args.back().kind == Operand::Kind::kList) {
          fail("a list can only follow 'in'", args.back().column);
          return call;
        }
        if (peek().kind != TokenKind::kComma) {
          break;
        }
        advance();
      }
    }
    if (!expect(TokenKind::kRParen, "',' or ')'")) {
      return call;
    }
    if (args.size() != arity) {
      fail(name.text + "() takes " + std::to_string(arity) +
               (arity == 1 ? " argument, found " : " arguments, found ") +
               std::to_string(args.size()),
           name.column);
      return call;
    }
    if (name.text == "exists") {
      if (args[0].kind != Operand::Kind::kField) {
        fail("exists() takes a field name", args[0].column);
        return call;
      }
      call.node = program_.add(Node{NodeKind::kExists, CompareOp::kEq, false, args[0].node, 0, 0});
    } else if (name.text == "len") {
      call.node = program_.add(Node{NodeKind::kLen, CompareOp::kEq, false, args[0].node, 0, 0});
    } else if (name.text == "lower") {
      call.node = program_.add(Node{NodeKind::kLower, CompareOp::kEq, false, args[0].node, 0, 0});
    } else if (name.text == "sample") {
      bool whole = false;
      int64_t n = 0;
      if (args[0].kind == Operand::Kind::kNumber) {
        const Value& v = program_.constants[program_.nodes[args[0].node].aux];
        whole = v.kind == Value::Kind::kInt;
        n = v.i;
      }
      if (!whole || n <= 0 || n > UINT32_MAX) {
        fail("sample() takes a positive whole number", args[0].column);
        return call;
      }
      program_.counters.emplace_back(0);
      auto counter = static_cast<uint32_t>(program_.counters.size() - 1);
      call.node = program_.add(
          Node{NodeKind::kSample, CompareOp::kEq, false, 0, counter, static_cast<uint32_t>(n)});
    } else {
      NodeKind kind = name.text == "contains" ? NodeKind::kContains : NodeKind::kStartsWith;
      call.node = program_.add(Node{kind, CompareOp::kEq, false, args[0].node, args[1].node, 0});
    }
    return call;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  Schema& schema_;
  Expression::Program& program_;
  Status status_;
};

}  // namespace

Status parse_expression(std::string_view text, Schema& schema, Expression::Program& program) {
  std::vector<Token> tokens;
  Status lexed = tokenize(text, tokens);
  if (!lexed.ok()) {
    return lexed;
  }
  return Parser(std::move(tokens), schema, program).parse();
}

}  // namespace sluice
