#include "stages/delivery/consistent_cut.h"

#include <cassert>

namespace sluice {

ConsistentCut::ConsistentCut(std::vector<uint64_t> lengths)
    : lengths_(std::move(lengths)), written_(lengths_.size()) {}

void ConsistentCut::emitted(uint64_t batch, uint64_t stream, int64_t end) {
  assert(emitted_.empty() || batch > emitted_.back().batch);
  if (batches_.blocked_at()) {
    return;  // the cut never passes it before a restart: nothing to remember
  }
  batches_.emitted(static_cast<int64_t>(batch), static_cast<int64_t>(batch));
  emitted_.push_back(Emitted{batch, stream, end});
}

void ConsistentCut::output_written(uint32_t output, uint64_t batch, uint64_t length) {
  assert(output < written_.size());
  std::deque<Written>& written = written_[output];
  assert(written.empty() || batch > written.back().batch);
  if (batches_.blocked_at() && batch >= static_cast<uint64_t>(*batches_.blocked_at())) {
    return;
  }
  written.push_back(Written{batch, length});
}

void ConsistentCut::forget_from(uint64_t batch) {
  while (!emitted_.empty() && emitted_.back().batch >= batch) {
    emitted_.pop_back();
  }
  for (std::deque<Written>& written : written_) {
    while (!written.empty() && written.back().batch >= batch) {
      written.pop_back();
    }
  }
}

bool ConsistentCut::settle(uint64_t batch, bool delivered, std::vector<Passed>& passed) {
  const auto number = static_cast<int64_t>(batch);
  if (!delivered) {
    if (batches_.abandon(number) == PositionTracker::Change::kBlocked ||
        (batches_.blocked_at() && *batches_.blocked_at() == number)) {
      forget_from(batch);
    }
    return false;
  }
  if (batches_.complete(number) != PositionTracker::Change::kAdvanced) {
    return false;
  }
  const auto cut = static_cast<uint64_t>(*batches_.committable());
  while (!emitted_.empty() && emitted_.front().batch < cut) {
    const Emitted& e = emitted_.front();
    passed.push_back(Passed{e.stream, e.batch, e.end});
    emitted_.pop_front();
  }
  for (size_t o = 0; o < written_.size(); ++o) {
    std::deque<Written>& written = written_[o];
    while (!written.empty() && written.front().batch < cut) {
      lengths_[o] = written.front().length;
      written.pop_front();
    }
  }
  return true;
}

}  // namespace sluice
