// LatencyHistogram: how long events took from ingest to sink acknowledgement, in fixed
// exponential buckets (plain atomic counters, updated once per batch with the batch's event
// count), so quantiles can be read at any time without locking. The same buckets back the
// Prometheus histogram `sluice_event_latency_seconds` (daemon/metrics_exporter.cc).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace sluice {

class LatencyHistogram {
 public:
  // Upper bounds: 50 us * 2^i for i in [0, kBuckets - 1), the last bucket is unbounded.
  static constexpr int kBuckets = 24;
  static double upper_bound(int bucket);

  void record(double seconds, uint64_t events);
  // The upper bound of the bucket holding quantile `q` (0..1); 0 when nothing was recorded.
  double quantile(double q) const;
  uint64_t count() const;
  // Events recorded in `bucket` alone (not cumulative).
  uint64_t bucket_count(int bucket) const {
    return counts_[static_cast<size_t>(bucket)].load(std::memory_order_relaxed);
  }
  // The sum of every recorded event's latency in seconds (a Prometheus histogram's `_sum`).
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<double> sum_{0};
};

}  // namespace sluice
