// ConsistentCut: for delivery: exactly_once, the point up to which a source's batches are all
// delivered, and what that point means for each stream (a source file's offset) and each output
// (a sink file's length), so that one checkpoint record holds positions and lengths that agree.
// Batches are numbered in the order the source emits them, which is the order every sink writes
// them (the route thread restores it); an output reports its length after each batch it wrote
// before that batch can settle. The cut is the first number not yet delivered: a stream's
// position there is the end of its last batch before the cut; an output's length is the one it
// reported after its last batch before the cut (a batch not routed to an output leaves its
// length as it was). An abandoned batch holds the cut before it for good (until a restart, which
// cuts the outputs back and reads it again). Knows nothing of files.
// Threading: not thread-safe; owned by the source's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "stages/delivery/position_tracker.h"

namespace sluice {

class ConsistentCut {
 public:
  // What the cut passed: the batch `batch` of stream `stream` ended at `end`.
  struct Passed {
    uint64_t stream;
    uint64_t batch;
    int64_t end;
  };

  // `lengths`: each output's length at the start (before the first batch).
  explicit ConsistentCut(std::vector<uint64_t> lengths);

  // Batch `batch` of `stream` was handed out, ending at `end` in that stream. REQUIRES: `batch`
  // is greater than every batch emitted before.
  void emitted(uint64_t batch, uint64_t stream, int64_t end);
  // Output `output` is `length` long right after batch `batch`. REQUIRES: for one output,
  // batches are reported in increasing order; `output` < the number of outputs.
  void output_written(uint32_t output, uint64_t batch, uint64_t length);
  // Batch `batch` settled (delivered or not). True when the cut moved; what it passed is
  // appended to `passed`, in batch order. Unknown batches are ignored.
  bool settle(uint64_t batch, bool delivered, std::vector<Passed>& passed);

  // Each output's length at the cut.
  const std::vector<uint64_t>& lengths() const { return lengths_; }
  // The first batch not yet delivered (nothing emitted yet: nullopt).
  std::optional<int64_t> cut() const { return batches_.committable(); }
  // The earliest abandoned batch, where the cut stays until a restart.
  std::optional<int64_t> blocked_at() const { return batches_.blocked_at(); }
  // Batches emitted and not yet passed by the cut.
  size_t behind() const { return emitted_.size(); }

 private:
  struct Emitted {
    uint64_t batch;
    uint64_t stream;
    int64_t end;
  };
  struct Written {
    uint64_t batch;
    uint64_t length;
  };
  // Drops what lies at or past a blocked batch: the cut never gets there before a restart.
  void forget_from(uint64_t batch);

  PositionTracker batches_;  // over batch numbers
  std::deque<Emitted> emitted_;
  std::vector<uint64_t> lengths_;
  std::vector<std::deque<Written>> written_;  // per output, reported and not yet passed
};

}  // namespace sluice
