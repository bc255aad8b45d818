// The Prometheus text parser `sluice top` reads /metrics with: one test per form of line.
#include "daemon/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/config/source_tree.h"

namespace sluice {
namespace {

std::vector<PrometheusSample> parse_ok(std::string_view text) {
  Result<std::vector<PrometheusSample>> r = parse_prometheus_text(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  return r.ok() ? r.value() : std::vector<PrometheusSample>{};
}

TEST(PrometheusText, NameLabelsAndValue) {
  auto s = parse_ok("sluice_events_in_total{pipeline=\"web\",stage=\"parse\"} 1250000\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "sluice_events_in_total");
  ASSERT_EQ(s[0].labels.size(), 2u);
  EXPECT_EQ(s[0].label("pipeline"), "web");
  EXPECT_EQ(s[0].label("stage"), "parse");
  EXPECT_EQ(s[0].label("sink"), "");
  EXPECT_EQ(s[0].value, 1250000);
}

TEST(PrometheusText, NoLabelsAndEmptyBraces) {
  auto s = parse_ok("sluice_memory_bytes 42\nsluice_memory_limit_bytes{} 5.36870912e8\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].labels.empty());
  EXPECT_EQ(s[0].value, 42);
  EXPECT_TRUE(s[1].labels.empty());
  EXPECT_EQ(s[1].value, 536870912);
}

TEST(PrometheusText, SkipsCommentsAndBlankLines) {
  auto s = parse_ok("# HELP a_total The a.\n# TYPE a_total counter\n\n   \na_total 1\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "a_total");
}

TEST(PrometheusText, EscapesInLabelValues) {
  auto s = parse_ok(R"(m{path="C:\\logs",msg="say \"hi\"\nthere"} 1)");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].label("path"), "C:\\logs");
  EXPECT_EQ(s[0].label("msg"), "say \"hi\"\nthere");
}

TEST(PrometheusText, LabelValueWithBracesCommasAndSpaces) {
  auto s = parse_ok("m{topic=\"a, b} c\" , partition=\"3\",} 7\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].label("topic"), "a, b} c");
  EXPECT_EQ(s[0].label("partition"), "3");
  EXPECT_EQ(s[0].value, 7);
}

TEST(PrometheusText, SpecialValues) {
  auto s = parse_ok("a +Inf\nb -Inf\nc NaN\nd Nan\ne -1.5e-3\n");
  ASSERT_EQ(s.size(), 5u);
  EXPECT_TRUE(std::isinf(s[0].value) && s[0].value > 0);
  EXPECT_TRUE(std::isinf(s[1].value) && s[1].value < 0);
  EXPECT_TRUE(std::isnan(s[2].value));
  EXPECT_TRUE(std::isnan(s[3].value));
  EXPECT_DOUBLE_EQ(s[4].value, -0.0015);
}

TEST(PrometheusText, TimestampIsIgnored) {
  auto s = parse_ok("a{x=\"y\"} 3 1700000000000\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].value, 3);
}

TEST(PrometheusText, CrlfLinesAndNoFinalNewline) {
  auto s = parse_ok("a 1\r\nb 2");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].name, "b");
  EXPECT_EQ(s[1].value, 2);
}

TEST(PrometheusText, HtmlIsAnErrorNamingItsLine) {
  auto r = parse_prometheus_text("# fine\n<html><body>502 Bad Gateway</body></html>\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().line(), 2);
  EXPECT_EQ(r.status().message().rfind("line 2: ", 0), 0u) << r.status().message();
}

TEST(PrometheusText, UnterminatedLabelValue) {
  auto r = parse_prometheus_text("a{x=\"y} 1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unterminated value of label 'x'"), std::string::npos)
      << r.status().message();
}

TEST(PrometheusText, MissingValue) {
  auto r = parse_prometheus_text("a{x=\"y\"}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is not a sample value"), std::string::npos);
}

TEST(PrometheusText, ValueThatIsNotANumber) {
  auto r = parse_prometheus_text("a 12abc\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'12abc'"), std::string::npos);
}

TEST(PrometheusText, CannedScrapeOfEverySpecMetric) {
  auto s = parse_ok(read_file(source_dir() / "tests/fixtures/metrics_after.prom"));
  ASSERT_FALSE(s.empty());
  size_t buckets = 0;
  for (const PrometheusSample& sample : s) {
    if (sample.name == "sluice_event_latency_seconds_bucket") {
      ++buckets;
      EXPECT_FALSE(sample.label("le").empty());
    }
  }
  EXPECT_EQ(buckets, 3u);
}

}  // namespace
}  // namespace sluice
