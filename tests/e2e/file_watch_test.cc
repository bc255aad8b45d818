// End to end: a followed file's appended lines reach the output as they are written. With
// inotify the source wakes on the write, so even a poll_interval of an hour delivers each line
// within the test's bounded wait, and a SIGTERM still ends the run at once; where inotify is
// unavailable (SLUICE_TEST_INOTIFY=unavailable) it polls at its poll_interval and says so once.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

const char kFallbackLine[] = "inotify is not available (SLUICE_TEST_INOTIFY=unavailable)";

std::string raw_sink(const TempDir& dir) {
  return "  out: { type: file, path: " + dir.file("out.log") + ", encoding: raw }\n";
}
const char kBody[] = "    parse: { format: none }\n    routes: [ { to: out } ]\n";

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// Appends lines `first`..`last` one at a time, each waited for in the output before the next.
void append_each_and_wait(FollowedDaemon& daemon, const TempDir& dir, int first, int last) {
  for (int n = first; n <= last; ++n) {
    daemon.append(std::to_string(n) + "\n");
    ASSERT_TRUE(wait_until([&] {
      return count_lines(read_file(dir.file("out.log"))) == static_cast<size_t>(n);
    })) << "line "
        << n << " was not delivered";
  }
}

// Appends `lines` lines one at a time, each waited for; rotates by rename-and-create and appends
// five more the same way; stops the daemon (SIGTERM) and checks that every line came once.
void follow_through_a_rotation(FollowedDaemon& daemon, const TempDir& dir, int lines) {
  ASSERT_GT(daemon.pid(), 0);
  append_each_and_wait(daemon, dir, 1, lines);
  // The new file under the glob's name is found by its event (or the rescan, when polling).
  std::filesystem::rename(daemon.input(), dir.file("in.log.1"));
  write_file(daemon.input(), "");
  append_each_and_wait(daemon, dir, lines + 1, lines + 5);
  ASSERT_TRUE(wait_for_sigterm_blocked(daemon.pid()));
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_EQ(read_file(dir.file("out.log")), decimal_lines(1, lines + 5));
}

TEST(FileWatchE2E, EachAppendedLineIsDeliveredAtOnceWithInotifyEvenWithAnHourBetweenRescans) {
  TempDir dir;
  // After the first scan at the start only inotify can wake the source within the waits, and
  // only the stop's own wake-up can end the hour-long wait at SIGTERM.
  FollowedDaemon daemon(dir, kBody, raw_sink(dir), ", poll_interval: 1h");
  follow_through_a_rotation(daemon, dir, 50);
  EXPECT_EQ(daemon.err().find("inotify is not available"), std::string::npos) << daemon.err();
}

TEST(FileWatchE2E, WithoutInotifyEachAppendedLineIsDeliveredAtThePollIntervalAndThatIsSaidOnce) {
  TempDir dir;
  ::setenv("SLUICE_TEST_INOTIFY", "unavailable", 1);
  FollowedDaemon daemon(dir, kBody, raw_sink(dir), ", poll_interval: 50ms");
  ::unsetenv("SLUICE_TEST_INOTIFY");
  follow_through_a_rotation(daemon, dir, 20);
  EXPECT_EQ(occurrences(daemon.err(), kFallbackLine), 1u) << daemon.err();
}

TEST(FileWatchE2E, ValidateRefusesAPollIntervalOutOfRangeWithItsPosition) {
  TempDir dir;
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: file, paths: [a.log], poll_interval: 5ms }\n"
             "    routes: [ { to: out } ]\nsinks:\n  out: { type: stdout }\n");
  RunResult r = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, dir.file("c.yaml") +
                       ":3:58: pipelines.p.source.poll_interval: must be between 10ms and 1h, "
                       "got '5ms'\n");
}

}  // namespace
}  // namespace sluice::e2e
