// Router: decides, per event, which of the pipeline's targets (sink + encoding) receive it.
// Routes are tried in order; the first match wins unless the route says `continue`. Parse errors
// go to the dead-letter target when there is one. Built once at load; route() is called by a
// pipeline worker once per batch and fills Batch::targets.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "stages/batch.h"
#include "stages/filter/expression.h"

namespace sluice {

struct Route {
  std::optional<Expression> when;  // none: always
  std::vector<uint32_t> targets;   // indexes into the pipeline's target list
  bool continue_ = false;
};

// What route() did to one batch, for the counters.
struct RouteCounts {
  uint64_t routed = 0;                // kParsed events that went to at least one target
  uint64_t unrouted = 0;              // kParsed events no route matched: dropped
  uint64_t dead_lettered = 0;         // kParseError events sent to the dead letter
  uint64_t parse_errors_dropped = 0;  // kParseError events with no dead letter configured
};

class Router {
 public:
  Router(std::vector<Route> routes, std::optional<uint32_t> dead_letter_target,
         size_t target_count);

  RouteCounts route(Batch& batch) const;

 private:
  std::vector<Route> routes_;
  std::optional<uint32_t> dead_letter_;
  size_t target_count_;
};

}  // namespace sluice
