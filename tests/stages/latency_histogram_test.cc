// LatencyHistogram: bucket placement and quantiles.
#include "stages/latency_histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sluice {
namespace {

TEST(LatencyHistogram, EmptyHasNoQuantile) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile(0.5), 0.0);
}

TEST(LatencyHistogram, QuantilesAreBucketUpperBounds) {
  LatencyHistogram h;
  h.record(40e-6, 90);  // first bucket (<= 50 us)
  h.record(0.003, 9);   // (1.6 ms, 3.2 ms]
  h.record(5.0, 1);     // (3.28 s, 6.55 s]
  EXPECT_EQ(h.count(), 100u);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 50e-6);
  EXPECT_DOUBLE_EQ(h.quantile(0.95), 50e-6 * 64);
  EXPECT_DOUBLE_EQ(h.quantile(1.0), 50e-6 * 131072);
}

TEST(LatencyHistogram, HugeLatencyLandsInTheLastBucket) {
  LatencyHistogram h;
  h.record(1e9, 1);
  EXPECT_TRUE(std::isinf(h.quantile(0.5)));
}

// What the Prometheus histogram is built from: per-bucket counts and the latency sum, each event of
// a batch counted with the batch's age.
TEST(LatencyHistogram, BucketsAndSumBackAPrometheusHistogram) {
  LatencyHistogram h;
  h.record(40e-6, 90);
  h.record(0.003, 10);
  EXPECT_EQ(h.bucket_count(0), 90u);
  EXPECT_EQ(h.bucket_count(6), 10u);  // (1.6 ms, 3.2 ms]
  EXPECT_EQ(h.bucket_count(5), 0u);
  EXPECT_NEAR(h.sum(), 90 * 40e-6 + 10 * 0.003, 1e-12);
}

}  // namespace
}  // namespace sluice
