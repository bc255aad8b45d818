#include "config/host_port.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::string check(std::string_view text, bool allow_port_zero = false) {
  Status status = check_host_port(text, allow_port_zero);
  return status.ok() ? "ok" : status.message();
}

TEST(HostPort, Ipv4) { EXPECT_EQ(check("127.0.0.1:9598"), "ok"); }

TEST(HostPort, HostName) { EXPECT_EQ(check("localhost:80"), "ok"); }

TEST(HostPort, BracketedIpv6) { EXPECT_EQ(check("[::1]:9000"), "ok"); }

TEST(HostPort, MissingPort) {
  EXPECT_EQ(check("localhost"), "expected HOST:PORT (e.g. 127.0.0.1:9000), got 'localhost'");
}

TEST(HostPort, MissingHost) {
  EXPECT_EQ(check(":9000"), "expected HOST:PORT (e.g. 127.0.0.1:9000), got ':9000'");
}

TEST(HostPort, UnbracketedIpv6) {
  EXPECT_EQ(check("::1:9000"), "expected HOST:PORT (e.g. 127.0.0.1:9000), got '::1:9000'");
}

TEST(HostPort, PortNotANumber) {
  EXPECT_EQ(check("host:http"), "expected HOST:PORT (e.g. 127.0.0.1:9000), got 'host:http'");
}

TEST(HostPort, PortTooLarge) {
  EXPECT_EQ(check("host:65536"), "port 65536 in 'host:65536' is out of range (1-65535)");
}

TEST(HostPort, PortZeroOnlyWhenListening) {
  EXPECT_EQ(check("127.0.0.1:0", true), "ok");
  EXPECT_EQ(check("127.0.0.1:0", false), "port 0 in '127.0.0.1:0' is out of range (1-65535)");
}

}  // namespace
}  // namespace sluice
