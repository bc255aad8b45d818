#include "stages/latency_histogram.h"

#include <cmath>
#include <limits>

namespace sluice {

double LatencyHistogram::upper_bound(int bucket) {
  if (bucket >= kBuckets - 1) {
    return std::numeric_limits<double>::infinity();
  }
  return 50e-6 * std::ldexp(1.0, bucket);
}

void LatencyHistogram::record(double seconds, uint64_t events) {
  int bucket = 0;
  while (bucket < kBuckets - 1 && seconds > upper_bound(bucket)) {
    ++bucket;
  }
  counts_[static_cast<size_t>(bucket)].fetch_add(events, std::memory_order_relaxed);
  // Once per batch, like the bucket: a batch's events share its age.
  sum_.fetch_add(seconds * static_cast<double>(events), std::memory_order_relaxed);
}

uint64_t LatencyHistogram::count() const {
  uint64_t total = 0;
  for (const auto& c : counts_) {
    total += c.load(std::memory_order_relaxed);
  }
  return total;
}

double LatencyHistogram::quantile(double q) const {
  uint64_t total = count();
  if (total == 0) {
    return 0;
  }
  double rank = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<size_t>(b)].load(std::memory_order_relaxed);
    if (static_cast<double>(seen) >= rank && seen > 0) {
      return upper_bound(b);
    }
  }
  return upper_bound(kBuckets - 1);
}

}  // namespace sluice
