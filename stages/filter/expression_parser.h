// ExpressionParser: recursive descent over the tokens of a filter or route expression (SPEC §2
// grammar), emitting the nodes of an Expression::Program and checking everything that can be
// checked at load: function names and arities, regex literals, where lists may appear. It
// recurses only at real nesting (bounded, so the stack it needs is too); chains of `or` / `and`
// are loops. Used once per expression at load, single-threaded.
#pragma once

#include <string_view>

#include "stages/filter/expression_program.h"
#include "stages/schema.h"
#include "stages/status.h"

namespace sluice {

// Compiles `text` into `program` (whose root is set), interning every field it names into
// `schema`. Errors carry line 1 and the 1-based column in `text`.
Status parse_expression(std::string_view text, Schema& schema, Expression::Program& program);

}  // namespace sluice
