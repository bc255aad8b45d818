// PositionTracker: the committable position of one ordered stream (a Kafka partition, a file)
// whose records are handed out in ranges and finish out of order. The position advances only
// over a contiguous run of finished ranges, so a checkpoint or offset never passes a record
// that is still in flight or was abandoned (neither delivered nor dead-lettered): an abandoned
// range holds the position before it until reset(). Knows nothing of Kafka or files.
// Threading: not thread-safe; owned by the source's thread (acknowledgements that arrive on sink
// threads are handed over to it first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace sluice {

class PositionTracker {
 public:
  // What a finished or abandoned range did to the tracker.
  enum class Change {
    kNone,      // the position did not move (an earlier range is still in flight, or blocked)
    kAdvanced,  // committable() moved forward
    kBlocked,   // this abandon is the first since reset(): the position is held from now on
  };

  // Forgets everything (a revoked or reassigned partition, a replaced file): no position until
  // the next emitted range, or `next` when given (the first position not yet finished).
  void reset(std::optional<int64_t> next = std::nullopt);

  // A range [first, last] of positions was handed out. REQUIRES: first <= last, and first is
  // past every range emitted before (positions between two ranges, such as Kafka offsets of
  // compacted records, are never emitted and need not finish). The first range after reset()
  // without a position sets it to `first`.
  void emitted(int64_t first, int64_t last);
  // The range that starts at `first` was delivered. Unknown ranges (from before reset()) are
  // ignored.
  Change complete(int64_t first);
  // The range that starts at `first` ended undelivered: the position never passes it.
  Change abandon(int64_t first);

  // The first position not yet known finished: everything before it may be committed (a Kafka
  // offset to store). nullopt before the first range (or the position reset() was given).
  std::optional<int64_t> committable() const { return next_; }
  // The first position of the earliest abandoned range, if any: where the stream is stuck.
  std::optional<int64_t> blocked_at() const { return blocked_at_; }
  // Ranges emitted and neither completed nor abandoned.
  size_t in_flight() const { return in_flight_; }

 private:
  enum class State : uint8_t { kInFlight, kDone, kAbandoned };
  struct Range {
    int64_t first;
    int64_t last;
    State state;
  };
  // The in-flight range that starts at `first`, or end().
  std::deque<Range>::iterator find(int64_t first);
  // Pops finished ranges off the front; true when the position moved.
  bool advance();

  std::deque<Range> ranges_;  // in emission order, so sorted by `first`
  std::optional<int64_t> next_;
  size_t in_flight_ = 0;
  std::optional<int64_t> blocked_at_;
};

}  // namespace sluice
