#include "stages/filter/event_filter.h"

namespace sluice {

uint64_t EventFilter::apply(Batch& batch) const {
  if (!expression_) {
    return 0;
  }
  uint64_t filtered = 0;
  for (Event& e : batch.events) {
    if (e.state == EventState::kParsed && !expression_->matches(batch, e)) {
      e.state = EventState::kFiltered;
      ++filtered;
    }
  }
  return filtered;
}

}  // namespace sluice
