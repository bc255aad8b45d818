#include "stages/delivery/position_tracker.h"

#include <algorithm>
#include <cassert>

namespace sluice {

void PositionTracker::reset(std::optional<int64_t> next) {
  ranges_.clear();
  next_ = next;
  in_flight_ = 0;
  blocked_at_.reset();
}

void PositionTracker::emitted(int64_t first, int64_t last) {
  assert(first <= last);
  assert(ranges_.empty() || first > ranges_.back().last);
  if (!next_) {
    next_ = first;
  }
  ranges_.push_back(Range{first, last, State::kInFlight});
  ++in_flight_;
}

std::deque<PositionTracker::Range>::iterator PositionTracker::find(int64_t first) {
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                             [](const Range& r, int64_t f) { return r.first < f; });
  if (it == ranges_.end() || it->first != first || it->state != State::kInFlight) {
    return ranges_.end();
  }
  return it;
}

bool PositionTracker::advance() {
  bool moved = false;
  while (!ranges_.empty() && ranges_.front().state == State::kDone) {
    next_ = ranges_.front().last + 1;
    ranges_.pop_front();
    moved = true;
  }
  return moved;
}

PositionTracker::Change PositionTracker::complete(int64_t first) {
  auto it = find(first);
  if (it == ranges_.end()) {
    return Change::kNone;
  }
  --in_flight_;
  if (blocked_at_ && first > *blocked_at_) {
    // Past an abandoned range nothing is committed until reset(): the range is only
    // bookkeeping, dropped rather than kept for good.
    ranges_.erase(it);
    return Change::kNone;
  }
  it->state = State::kDone;
  return advance() ? Change::kAdvanced : Change::kNone;
}

PositionTracker::Change PositionTracker::abandon(int64_t first) {
  auto it = find(first);
  if (it == ranges_.end()) {
    return Change::kNone;
  }
  --in_flight_;
  it->state = State::kAbandoned;
  if (blocked_at_) {
    blocked_at_ = std::min(*blocked_at_, first);
    return Change::kNone;
  }
  blocked_at_ = first;
  return Change::kBlocked;
}

}  // namespace sluice
