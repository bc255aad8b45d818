#include "stages/route/router.h"

namespace sluice {

Router::Router(std::vector<Route> routes, std::optional<uint32_t> dead_letter_target,
               size_t target_count)
    : routes_(std::move(routes)), dead_letter_(dead_letter_target), target_count_(target_count) {}

RouteCounts Router::route(Batch& batch) const {
  RouteCounts counts;
  batch.targets.resize(target_count_);
  for (auto& t : batch.targets) {
    t.clear();
  }
  for (uint32_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    if (e.state == EventState::kParseError) {
      if (dead_letter_) {
        batch.targets[*dead_letter_].push_back(i);
        ++counts.dead_lettered;
      } else {
        ++counts.parse_errors_dropped;
      }
      continue;
    }
    if (e.state != EventState::kParsed) {
      continue;
    }
    bool matched = false;
    for (const Route& r : routes_) {
      if (r.when && !r.when->matches(batch, e)) {
        continue;
      }
      for (uint32_t t : r.targets) {
        // A target reached by two matching routes still gets the event once.
        auto& list = batch.targets[t];
        if (list.empty()) {
          // Once per target and batch: a fresh batch's list would otherwise grow by doubling.
          list.reserve(batch.events.size() - i);
          list.push_back(i);
        } else if (list.back() != i) {
          list.push_back(i);
        }
      }
      matched = true;
      if (!r.continue_) {
        break;
      }
    }
    if (matched) {
      ++counts.routed;
    } else {
      ++counts.unrouted;
    }
  }
  return counts;
}

}  // namespace sluice
