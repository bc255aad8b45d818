// End to end: delivery: exactly_once on a followed file -> file pipeline, through the real
// binary, with numbered lines, so the output is compared byte for byte with 1..N in order: a
// single lost or repeated line fails. kill -9 at varied moments and restart, five times; then a
// clean SIGTERM and restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

std::string exactly_once_config(const TempDir& dir) {
  return "data_dir: " + dir.file("data") +
         "\npipelines:\n  p:\n    source: { type: file, paths: [" + dir.file("in.log") +
         "], follow: true }\n    parse: { format: none }\n    routes: [ { to: out } ]\n"
         "    delivery: exactly_once\nsinks:\n  out: { type: file, path: " +
         dir.file("out.log") + ", encoding: raw }\n";
}

TEST(ExactlyOnceTest, KillNineFiveTimesNeitherLosesNorRepeatsALine) {
  TempDir dir;
  constexpr int kTotal = 200000;
  write_file(dir.file("in.log"), "");
  write_file(dir.file("c.yaml"), exactly_once_config(dir));
  const std::string checkpoints = dir.file("data/checkpoints/p.files");
  size_t last_lines = 0;
  for (int round = 0; round < 5; ++round) {
    append_file(dir.file("in.log"),
                decimal_lines(round * kTotal / 5 + 1, (round + 1) * kTotal / 5));
    pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
    ASSERT_GT(pid, 0);
    // Killed at a different moment each round: the first as soon as lines are out (before any
    // record counts them), the others once a record was saved in this run and more lines
    // followed (output written past the last record is what a restart must cut back).
    const std::string saved = read_file(checkpoints);
    const size_t target = last_lines + 1 + static_cast<size_t>(round) * 3000;
    ASSERT_TRUE(wait_until(
        [&] {
          return count_lines(read_file(dir.file("out.log"))) >= target &&
                 (round == 0 || read_file(checkpoints) != saved);
        },
        2000));
    kill(pid, SIGKILL);
    wait_exit(pid, 100);
    last_lines = count_lines(read_file(dir.file("out.log")));
  }
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  // The output may hold lines past the last record before this run cuts them back: waited
  // for is the exact content.
  const std::string expected = decimal_lines(1, kTotal);
  wait_until([&] { return read_file(dir.file("out.log")) == expected; }, 400);
  ASSERT_TRUE(wait_for_sigterm_blocked(pid));
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  // Exact: every line once, in order, nothing torn.
  EXPECT_TRUE(read_file(dir.file("out.log")) == expected)
      << count_lines(read_file(dir.file("out.log"))) << " lines out for " << kTotal;

  // A clean stop and restart repeats nothing; what comes meanwhile comes once.
  append_file(dir.file("in.log"), decimal_lines(kTotal + 1, kTotal + 1000));
  pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  const std::string all = decimal_lines(1, kTotal + 1000);
  wait_until([&] { return read_file(dir.file("out.log")) == all; });
  ASSERT_TRUE(wait_for_sigterm_blocked(pid));
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 600), 0) << read_file(dir.file("sluice.err"));
  EXPECT_TRUE(read_file(dir.file("out.log")) == all)
      << count_lines(read_file(dir.file("out.log"))) << " lines out for " << kTotal + 1000;
}

TEST(ExactlyOnceTest, ACorruptRecordStopsThePipelineWithOneClearLine) {
  TempDir dir;
  write_file(dir.file("in.log"), decimal_lines(1, 10));
  write_file(dir.file("c.yaml"), exactly_once_config(dir));
  std::filesystem::create_directories(dir.file("data/checkpoints"));
  write_file(dir.file("data/checkpoints/p.files"), "sluice file checkpoints v2\nsink 1 2");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  EXPECT_NE(wait_exit(pid, 100), 0);
  const std::string err = read_file(dir.file("sluice.err"));
  EXPECT_NE(err.find("cannot tell where the sink files end"), std::string::npos) << err;
  EXPECT_EQ(read_file(dir.file("out.log")), "");
}

}  // namespace
}  // namespace sluice::e2e
