// Expression: the filter and route language of SPEC §2, compiled once at load into a form that is
// cheap to evaluate per event (no name lookups, regexes compiled once, constants pre-converted).
// An Expression is immutable after compile and may be evaluated from any thread concurrently.
#pragma once

#include <memory>
#include <string_view>

#include "stages/batch.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

class Expression {
 public:
  // Compiles `text`. Every field it names is interned into `schema`. On error, the Status
  // message says what is wrong and Status::column() is the 1-based column in `text` (line 1).
  static Result<Expression> compile(std::string_view text, Schema& schema);

  // True when `event` (kParsed) of `batch` satisfies the expression.
  bool matches(const Batch& batch, const Event& event) const;

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  struct Program;  // the compiled form; defined in the implementation

 private:
  explicit Expression(std::unique_ptr<Program> program);
  std::unique_ptr<Program> program_;
};

}  // namespace sluice
