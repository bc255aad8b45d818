// http_get against a canned server on 127.0.0.1: the body framings a metrics endpoint may use,
// and each failure as the one line `sluice top` prints.
#include "daemon/http_get.h"

#include <gtest/gtest.h>

#include "tests/daemon/canned_http_server.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

HttpUrl url_of(const CannedHttpServer& server, const std::string& path = "/metrics") {
  Result<HttpUrl> url = parse_http_url(server.url() + path);
  EXPECT_TRUE(url.ok());
  return url.ok() ? url.value() : HttpUrl{};
}

TEST(HttpGet, ContentLengthBody) {
  CannedHttpServer server({CannedHttpServer::ok("a 1\nb 2\n")});
  Result<HttpResponse> r = http_get(url_of(server), milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a 1\nb 2\n");
}

TEST(HttpGet, ChunkedBody) {
  std::string body(100000, 'x');
  CannedHttpServer server({CannedHttpServer::chunked(body, 4000)});
  Result<HttpResponse> r = http_get(url_of(server), milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, body);
}

TEST(HttpGet, BodyToTheEndOfTheConnection) {
  CannedHttpServer server({"HTTP/1.0 200 OK\r\n\r\nup 1\n"});
  Result<HttpResponse> r = http_get(url_of(server), milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "up 1\n");
}

TEST(HttpGet, NotFoundIsAnAnswer) {
  CannedHttpServer server({"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"});
  Result<HttpResponse> r = http_get(url_of(server), milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->reason, "Not Found");
}

TEST(HttpGet, ConnectionRefused) {
  uint16_t port = 0;
  {
    CannedHttpServer gone({CannedHttpServer::ok("")});
    port = gone.port();
  }  // closed: nothing listens on the port now
  Result<HttpUrl> url = parse_http_url("http://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(url.ok());
  Result<HttpResponse> r = http_get(url.value(), milliseconds(5000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "cannot reach http://127.0.0.1:" + std::to_string(port) + "/: connection refused");
}

TEST(HttpGet, ServerThatNeverAnswersTimesOut) {
  CannedHttpServer server({""});
  Result<HttpResponse> r = http_get(url_of(server), milliseconds(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "cannot reach " + server.url() + "/metrics: no answer within 0.2 s");
}

TEST(HttpGet, AnswerThatIsNotHttp) {
  CannedHttpServer server({"SSH-2.0-OpenSSH_9.2\r\n\r\n"});
  Result<HttpResponse> r = http_get(url_of(server), milliseconds(5000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(": the answer is not HTTP/1.x"), std::string::npos)
      << r.status().message();
}

TEST(HttpUrl, HostPortAndPath) {
  Result<HttpUrl> u = parse_http_url("http://example.org:9598/sluice/metrics");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "example.org");
  EXPECT_EQ(u->port, 9598);
  EXPECT_EQ(u->path, "/sluice/metrics");
  EXPECT_EQ(u->text(), "http://example.org:9598/sluice/metrics");
}

TEST(HttpUrl, DefaultsAndIpv6) {
  Result<HttpUrl> plain = parse_http_url("HTTP://localhost");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "/");
  Result<HttpUrl> v6 = parse_http_url("http://[::1]:9598");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->text(), "http://[::1]:9598/");
}

TEST(HttpUrl, RefusedForms) {
  for (const char* bad : {"https://h:1", "127.0.0.1:9598", "http://", "http://:80", "http://h:0",
                          "http://h:65536", "http://h:x", "http://h:", "http://[::1"}) {
    EXPECT_FALSE(parse_http_url(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace sluice
