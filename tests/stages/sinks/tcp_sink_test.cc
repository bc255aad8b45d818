// TcpSink against a listener on 127.0.0.1: the connection is lazy and each new one says "new
// output" (so the runner resends every unresolved batch from its first byte); a peer that resets
// the connection in the middle of a write fails that write part-way and the next prepare()
// reconnects; a peer that closed between writes is noticed before the next one; an unreachable
// peer is one stable message for the whole outage.
#include "stages/sinks/tcp_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

class TcpSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // as the daemon does: a reset peer is a write error
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(listen_fd_, 4), 0);
    timeval bound{5, 0};  // an accept that finds nobody fails instead of hanging the test
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
    ASSERT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  void TearDown() override { ::close(listen_fd_); }

  TcpSinkOptions options() const {
    TcpSinkOptions o;
    o.name = "net";
    o.address = "127.0.0.1:" + std::to_string(port_);
    return o;
  }
  int accept_one() { return ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC); }

  int listen_fd_ = -1;
  int port_ = 0;
};

TEST_F(TcpSinkTest, ConnectsLazilyAndANewConnectionIsANewOutput) {
  TcpSink sink(options());
  ASSERT_TRUE(sink.open().ok());
  EXPECT_FALSE(sink.connected());
  Result<bool> first = sink.prepare();
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first.value());
  Result<bool> again = sink.prepare();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value());
  EXPECT_EQ(sink.connections(), 1u);
}

TEST_F(TcpSinkTest, AResetInTheMiddleOfAWriteFailsItPartWayAndTheNextPrepareReconnects) {
  TcpSink sink(options());
  ASSERT_TRUE(sink.prepare().ok());
  int peer = accept_one();
  ASSERT_GE(peer, 0);
  // More than every socket buffer between the two ends holds, so the write is still going on
  // when the peer resets after reading a little of it.
  const std::string big(64 << 20, 'x');
  std::thread reset([peer] {
    std::vector<char> buf(1 << 20);
    size_t got = 0;
    while (got < (1u << 20)) {
      const ssize_t n = ::read(peer, buf.data(), buf.size());
      if (n <= 0) {
        break;
      }
      got += static_cast<size_t>(n);
    }
    linger hard{1, 0};  // close with RST
    ::setsockopt(peer, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::close(peer);
  });
  std::string_view part(big);
  size_t written = 0;
  Status s = sink.write(std::span(&part, 1), written);
  reset.join();
  EXPECT_FALSE(s.ok());
  EXPECT_GT(written, 0u);
  EXPECT_LT(written, big.size());
  EXPECT_FALSE(sink.connected());
  Result<bool> again = sink.prepare();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value()) << "a new connection: the runner resends from the first byte";
  EXPECT_EQ(sink.connections(), 2u);
  ::close(accept_one());
}

TEST_F(TcpSinkTest, APeerThatClosedBetweenWritesIsNoticedBeforeTheNextOne) {
  TcpSink sink(options());
  ASSERT_TRUE(sink.prepare().ok());
  ::close(accept_one());
  // The FIN is on its way at once over loopback; prepare() sees it (bounded wait).
  bool reconnected = false;
  for (int i = 0; i < 200 && !reconnected; ++i) {
    Result<bool> r = sink.prepare();
    ASSERT_TRUE(r.ok());
    reconnected = r.value();
    if (!reconnected) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EXPECT_TRUE(reconnected);
  EXPECT_EQ(sink.connections(), 2u);
  ::close(accept_one());
}

TEST_F(TcpSinkTest, AnOutageIsOneMessageHoweverManyAttempts) {
  TcpSinkOptions o = options();
  ::close(listen_fd_);  // nobody listens there now
  listen_fd_ = -1;
  TcpSink sink(o);
  Result<bool> first = sink.prepare();
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.status().message().find("cannot connect to " + o.address), std::string::npos)
      << first.status().message();
  for (int i = 0; i < 3; ++i) {
    Result<bool> again = sink.prepare();
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().message(), first.status().message());
  }
  size_t written = 7;
  std::string_view part("x\n");
  Status w = sink.write(std::span(&part, 1), written);
  EXPECT_EQ(written, 0u);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.message(), first.status().message());
}

}  // namespace
}  // namespace sluice
