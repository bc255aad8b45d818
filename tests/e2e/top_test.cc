// End to end: `sluice top` through the real binary against canned /metrics answers served on
// 127.0.0.1 by a server thread of the test (the real endpoint is tested where it is built).
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "tests/daemon/canned_http_server.h"
#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

std::string fixture(const std::string& name) {
  return read_file(source_dir() + "/tests/fixtures/" + name);
}

bool has_line(const std::string& text, const std::string& pattern) {
  return std::regex_search(text, std::regex("(^|\n)" + pattern + "(\n|$)"));
}

TEST(Top, OnceScrapesTwiceAndPrintsOnePlainFrame) {
  CannedHttpServer server({CannedHttpServer::ok(fixture("metrics_before.prom")),
                           CannedHttpServer::ok(fixture("metrics_after.prom"))});
  RunResult r = run_sluice({"top", "--once", "-u", server.url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(server.requests(), 2);
  const std::string& f = r.out;
  EXPECT_TRUE(has_line(
      f, "sluice top  " + server.url() + "/metrics  sluice 0\\.1\\.0  rates over 1\\.[0-9] s"))
      << f;
  EXPECT_TRUE(has_line(f, "memory      48\\.0 MiB of 512\\.0 MiB \\(9%\\)")) << f;
  EXPECT_TRUE(has_line(f, "pipeline web")) << f;
  // Rates depend on the measured interval (a little over 1 s, more on a loaded machine), so
  // they are matched as numbers here; their exact values are tests/daemon/top_frame_test.cc's.
  const std::string rate = "[0-9]+\\.[0-9]k";
  EXPECT_TRUE(has_line(f, "  ingest +" + rate + " +" + rate + " +- +- +[12][0-9]%")) << f;
  EXPECT_TRUE(has_line(f, "  parse +" + rate + " +" + rate + " +50% +32\\.0 MiB +0%")) << f;
  EXPECT_TRUE(has_line(f, "  filter +" + rate + " +" + rate + " +- +- +-")) << f;
  EXPECT_TRUE(has_line(f, "  route +" + rate + " +" + rate + " +3% +32\\.0 MiB +-")) << f;
  EXPECT_TRUE(
      has_line(f, "  dropped/s   filtered " + rate + "  parse_error [0-9.]+k?  queue_full 0"))
      << f;
  EXPECT_TRUE(has_line(f, "  kafka lag   orders-in 1\\.0k \\(4 partitions\\)")) << f;
  EXPECT_TRUE(has_line(f, "  alerts +[0-9]+ +[0-9]\\.[0-9] +5")) << f;
  EXPECT_TRUE(has_line(f, "  archive +" + rate + " +0 +0")) << f;
  EXPECT_EQ(f.find('\x1b'), std::string::npos) << "--once prints no escape codes";
}

TEST(Top, UnreachableDaemonIsOneLineAndExit1) {
  uint16_t port = 0;
  {
    CannedHttpServer gone({CannedHttpServer::ok("")});
    port = gone.port();
  }  // nothing listens on the port any more
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  RunResult r = run_sluice({"top", "--once", "-u", url});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sluice top: cannot reach " + url + "/metrics: connection refused\n");
  EXPECT_EQ(r.out, "");
}

TEST(Top, AnswerThatIsNotMetricsIsOneLineAndExit1) {
  CannedHttpServer server({"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here\n"});
  RunResult r = run_sluice({"top", "--once", "-u", server.url() + "/"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sluice top: " + server.url() + "/metrics answered 404 Not Found\n");
}

TEST(Top, UrlThatIsNotHttpIsAUsageError) {
  RunResult r = run_sluice({"top", "--once", "-u", "https://127.0.0.1:9598"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("is not an http:// URL"), std::string::npos) << r.err;
}

TEST(Top, LiveViewRedrawsUntilSigterm) {
  TempDir dir;
  CannedHttpServer server({CannedHttpServer::ok(fixture("metrics_before.prom")),
                           CannedHttpServer::ok(fixture("metrics_after.prom"))});
  pid_t pid = spawn_sluice({"top", "-u", server.url()}, dir.path());
  ASSERT_GT(pid, 0);
  const std::string out = dir.path() + "/sluice.out";
  bool drawn = wait_until([&] { return read_file(out).find("pipeline web") != std::string::npos; });
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 50), 0);
  ASSERT_TRUE(drawn) << read_file(dir.path() + "/sluice.err");
  std::string text = read_file(out);
  EXPECT_EQ(text.rfind("\x1b[H\x1b[2J", 0), 0u) << "each frame starts with home + clear";
  EXPECT_NE(text.find("(q quits)"), std::string::npos);
}

}  // namespace
}  // namespace sluice::e2e
