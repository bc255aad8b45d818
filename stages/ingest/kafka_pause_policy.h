// KafkaPausePolicy: when a Kafka source pauses its partitions and when it resumes them. A pause
// costs a lot in librdkafka 2.0.2: it throws away the partition's pre-fetched messages, and a
// resume is noticed by the fetching broker thread only on its next wake-up, up to a second later.
// So a pipeline that is full for a moment (the normal state while a backlog drains at the
// pipeline's speed) is waited out without pausing, and the partitions are paused only once the
// pipeline has stayed full for `pause_after` (a stall). Memory stays bounded either way: while not
// paused nothing is polled, and librdkafka's own pre-fetch is bounded by its queue settings.
// Single-threaded: the ingest thread owns it.
#pragma once

#include <chrono>

namespace sluice {

class KafkaPausePolicy {
 public:
  using Clock = std::chrono::steady_clock;

  explicit KafkaPausePolicy(Clock::duration pause_after) : pause_after_(pause_after) {}

  // The pipeline refused a batch or had no memory for one at `now`.
  void refused(Clock::time_point now) {
    if (!full_) {
      full_ = true;
      full_since_ = now;
    }
  }
  // A batch was taken into the pipeline or a message into a batch: the pipeline moves.
  void progressed() { full_ = false; }

  // Whether the partitions should be paused now: the pipeline has refused without a break for
  // at least `pause_after`.
  bool pause_due(Clock::time_point now) const { return full_ && now - full_since_ >= pause_after_; }
  // How long a wait for room may last before pause_due() becomes true (zero once it is).
  Clock::duration until_pause(Clock::time_point now) const {
    if (!full_) {
      return pause_after_;
    }
    const Clock::duration left = full_since_ + pause_after_ - now;
    return left > Clock::duration::zero() ? left : Clock::duration::zero();
  }

 private:
  const Clock::duration pause_after_;
  bool full_ = false;
  Clock::time_point full_since_;
};

}  // namespace sluice
