#include "stages/filter/expression.h"

#include "stages/filter/expression_parser.h"
#include "stages/filter/expression_program.h"

namespace sluice {

Result<Expression> Expression::compile(std::string_view text, Schema& schema) {
  auto program = std::make_unique<Program>();
  Status status = parse_expression(text, schema, *program);
  if (!status.ok()) {
    return status;
  }
  return Expression(std::move(program));
}

bool Expression::matches(const Batch& batch, const Event& event) const {
  return program_->test(program_->root, batch, event);
}

Expression::Expression(std::unique_ptr<Program> program) : program_(std::move(program)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

}  // namespace sluice
