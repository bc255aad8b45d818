// The frame of `sluice top` from two canned scrapes (tests/fixtures/metrics_{before,after}.prom,
// one second apart): each row an operator reads, and the 80-column limit.
#include "daemon/top_frame.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/config/source_tree.h"

namespace sluice {
namespace {

std::vector<PrometheusSample> fixture(const std::string& name) {
  Result<std::vector<PrometheusSample>> r =
      parse_prometheus_text(read_file(source_dir() / "tests/fixtures" / name));
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : std::vector<PrometheusSample>{};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

bool has_line(const std::string& frame, const std::string& line) {
  for (const std::string& l : lines_of(frame)) {
    if (l == line) {
      return true;
    }
  }
  return false;
}

class TopFrame : public ::testing::Test {
 protected:
  std::string frame_ = render_top_frame(fixture("metrics_before.prom"),
                                        fixture("metrics_after.prom"), 1.0, "http://h:1/metrics");
};

TEST_F(TopFrame, TitleNamesSourceVersionAndInterval) {
  EXPECT_EQ(lines_of(frame_).at(0),
            "sluice top  http://h:1/metrics  sluice 0.1.0  rates over 1.0 s");
}

TEST_F(TopFrame, StageRowsShowRatesQueueFillAndBackpressure) {
  EXPECT_TRUE(has_line(frame_,
                       "  stage             in/s       out/s   queue    capacity  "
                       "backpressure"))
      << frame_;
  EXPECT_TRUE(has_line(frame_,
                       "  ingest          250.0k      250.0k       -           -       "
                       "    25%"))
      << frame_;
  EXPECT_TRUE(has_line(frame_,
                       "  parse           250.0k      247.5k     50%    32.0 MiB       "
                       "     0%"))
      << frame_;
  EXPECT_TRUE(has_line(frame_,
                       "  filter          247.5k      100.0k       -           -       "
                       "      -"))
      << frame_;
  EXPECT_TRUE(has_line(frame_,
                       "  route           100.0k      100.0k      3%    32.0 MiB       "
                       "      -"))
      << frame_;
}

TEST_F(TopFrame, StagesInPipelineOrder) {
  size_t ingest = frame_.find("  ingest          250.0k");
  size_t parse = frame_.find("  parse ");
  size_t filter = frame_.find("  filter ");
  size_t route = frame_.find("  route ");
  EXPECT_LT(ingest, parse);
  EXPECT_LT(parse, filter);
  EXPECT_LT(filter, route);
}

TEST_F(TopFrame, DropsByReasonSummedOverStages) {
  EXPECT_TRUE(has_line(frame_, "  dropped/s   filtered 147.5k  parse_error 2.5k  queue_full 0"))
      << frame_;
}

TEST_F(TopFrame, MemoryAgainstTheLimit) {
  EXPECT_TRUE(has_line(frame_, "memory      48.0 MiB of 512.0 MiB (9%)")) << frame_;
}

TEST_F(TopFrame, SinkEventsAndErrors) {
  EXPECT_TRUE(has_line(frame_, "  alerts                             200         2.0           5"))
      << frame_;
  EXPECT_TRUE(has_line(frame_, "  archive                         100.0k           0           0"))
      << frame_;
}

TEST_F(TopFrame, KafkaLagSummedPerTopicOnlyWhereThereIsAny) {
  EXPECT_TRUE(has_line(frame_, "  kafka lag   orders-in 1.0k (4 partitions)")) << frame_;
  EXPECT_EQ(frame_.find("kafka lag"), frame_.rfind("kafka lag")) << "only pipeline orders has lag";
}

TEST(TopFrameEdges, TcpConnectionsOpenAndRefusedPerSecondOnlyForATcpSource) {
  const std::vector<PrometheusSample> before = {
      {"sluice_source_connections_total", {{"pipeline", "net"}, {"result", "refused"}}, 10},
      {"sluice_source_connections_total", {{"pipeline", "net"}, {"result", "accepted"}}, 90},
  };
  const std::vector<PrometheusSample> after = {
      {"sluice_events_in_total", {{"pipeline", "net"}, {"stage", "ingest"}}, 5},
      {"sluice_events_in_total", {{"pipeline", "files"}, {"stage", "ingest"}}, 5},
      {"sluice_source_open_connections", {{"pipeline", "net"}}, 200},
      {"sluice_source_connections_total", {{"pipeline", "net"}, {"result", "refused"}}, 15},
      {"sluice_source_connections_total", {{"pipeline", "net"}, {"result", "accepted"}}, 290},
  };
  const std::string frame = render_top_frame(before, after, 2.0, "u");
  EXPECT_TRUE(has_line(frame, "  connections 200 open, 2.5/s refused over max_connections"))
      << frame;
  EXPECT_EQ(frame.find("  connections "), frame.rfind("  connections "))
      << "only pipeline net has any";
}

TEST_F(TopFrame, EveryLineFitsEightyColumnsWithoutEscapes) {
  for (const std::string& line : lines_of(frame_)) {
    EXPECT_LE(line.size(), kTopFrameWidth) << line;
  }
  EXPECT_EQ(frame_.find('\x1b'), std::string::npos);
}

TEST(TopFrameEdges, LongNamesAreCutToEightyColumns) {
  std::string name(120, 'p');
  std::string sink(60, 's');
  std::vector<PrometheusSample> after = {
      {"sluice_events_in_total", {{"pipeline", name}, {"stage", "ingest"}}, 1e12},
      {"sluice_sink_events_total", {{"sink", sink}}, 5},
      {"sluice_events_dropped_total",
       {{"pipeline", name}, {"stage", "parse"}, {"reason", std::string(100, 'r')}},
       1},
  };
  for (int p = 0; p < 40; ++p) {
    after.push_back({"sluice_kafka_consumer_lag",
                     {{"pipeline", name}, {"topic", "t" + std::to_string(p)}, {"partition", "0"}},
                     1e6});
  }
  std::string frame = render_top_frame({}, after, 1.0, std::string(200, 'u'));
  for (const std::string& line : lines_of(frame)) {
    EXPECT_LE(line.size(), kTopFrameWidth) << line;
  }
  EXPECT_NE(frame.find("t39 1.00M (1 partition)"), std::string::npos) << frame;
}

TEST(TopFrameEdges, CounterThatWentDownCountsFromZero) {
  // The daemon restarted between the scrapes: 30 events since, not -970.
  std::vector<PrometheusSample> before = {{"sluice_sink_events_total", {{"sink", "out"}}, 1000}};
  std::vector<PrometheusSample> after = {{"sluice_sink_events_total", {{"sink", "out"}}, 30}};
  std::string frame = render_top_frame(before, after, 2.0, "u");
  EXPECT_TRUE(has_line(frame, "  out                                 15           0           0"))
      << frame;
}

TEST(TopFrameEdges, NotASluiceEndpointIsSaid) {
  std::vector<PrometheusSample> after = {{"node_load1", {}, 0.5}};
  std::string frame = render_top_frame(after, after, 1.0, "u");
  EXPECT_NE(frame.find("no sluice_* metrics"), std::string::npos) << frame;
}

}  // namespace
}  // namespace sluice
