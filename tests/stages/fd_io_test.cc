// write_all: gathers many buffers into writev calls and writes every byte in order, or says why
// it could not.
#include "stages/fd_io.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(WriteAll, WritesManyPartsInOrderSkippingEmptyOnes) {
  // More parts than one writev takes, and more bytes than a pipe holds, so the writer loops.
  std::vector<std::string> storage;
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    storage.push_back(i % 7 == 0 ? std::string()
                                 : std::string(1000 + i, static_cast<char>('a' + i % 26)));
    expected += storage.back();
  }
  std::vector<std::string_view> parts(storage.begin(), storage.end());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string got;
  std::thread reader([&] { got = read_all(fds[0]); });
  size_t written = 0;
  Status s = write_all(fds[1], parts, written, "pipe");
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(written, expected.size());
  EXPECT_EQ(got, expected);
}

TEST(WriteAll, ReportsAClosedReaderAsOneLine) {
  ::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  std::string_view parts[] = {"abc", "def"};
  size_t written = 7;
  Status s = write_all(fds[1], parts, written, "the pipe");
  ::close(fds[1]);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(written, 0u);
  EXPECT_EQ(s.message(), "cannot write the pipe: Broken pipe");
}

}  // namespace
}  // namespace sluice
