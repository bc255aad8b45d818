// EventFilter: the pipeline's `filter:` step. Marks parsed events that fail the expression as
// kFiltered (they are dropped and counted, never written). Called once per batch by a pipeline
// worker.
#pragma once

#include <cstdint>
#include <optional>

#include "stages/batch.h"
#include "stages/filter/expression.h"

namespace sluice {

class EventFilter {
 public:
  explicit EventFilter(std::optional<Expression> expression) : expression_(std::move(expression)) {}

  // Returns how many events it filtered out.
  uint64_t apply(Batch& batch) const;

 private:
  std::optional<Expression> expression_;
};

}  // namespace sluice
