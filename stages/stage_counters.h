// StageCounters: what one stage of one pipeline has done, as plain counters. The stage's thread
// updates them once per batch (relaxed atomics: no ordering is needed, only eventual visibility);
// the metrics endpoint and the end-of-run summary read them.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

enum class DropReason : uint8_t {
  kFiltered = 0,
  kParseError,
  kQueueFull,
  kUnrouted,
  kUdpOverflow,  // datagrams the kernel dropped for a full socket buffer (one event each)
  // tcp: a record cut off when sluice closed its connection (idle timeout, or stop), one each
  kIncompleteRecord,
  kCount
};
const char* drop_reason_name(DropReason reason);

struct StageCounters {
  std::atomic<uint64_t> events_in{0};
  std::atomic<uint64_t> events_out{0};
  std::atomic<uint64_t> dropped[static_cast<int>(DropReason::kCount)]{};
  // Time spent waiting on a full downstream queue (ingest: also in SourceContext::wait_for_room).
  std::atomic<uint64_t> blocked_ns{0};

  void add_in(uint64_t n) { events_in.fetch_add(n, std::memory_order_relaxed); }
  void add_out(uint64_t n) { events_out.fetch_add(n, std::memory_order_relaxed); }
  void add_dropped(DropReason r, uint64_t n) {
    dropped[static_cast<int>(r)].fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t get_dropped(DropReason r) const {
    return dropped[static_cast<int>(r)].load(std::memory_order_relaxed);
  }
};

// What became of the events a pipeline's sinks were given, counted when the batch is settled
// (every sink's token released) or dies unshared. With the stage counters' drops and filtered
// counts it closes the books: in = delivered + filtered + dead_lettered + dropped + undelivered.
struct DeliveryCounters {
  std::atomic<uint64_t> delivered{0};  // routed events every sink of their batch wrote
  // Parse errors the dead-letter sink wrote, and events of a batch a sink dead-lettered.
  std::atomic<uint64_t> dead_lettered{0};
  std::atomic<uint64_t> dropped_by_sink{0};  // events of a batch a sink dropped by its policy
  std::atomic<uint64_t> undelivered{0};      // events that entered and reached no outcome
};

}  // namespace sluice
