// End to end: the command line of SPEC §1 through the real binary.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

TEST(Cli, VersionPrintsNameAndVersion) {
  RunResult r = run_sluice({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("sluice ", 0), 0u) << r.out;
}

TEST(Cli, HelpListsCommands) {
  RunResult r = run_sluice({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"run", "validate", "gen"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  }
}

TEST(Cli, UnknownOptionIsAConfigError) {
  RunResult r = run_sluice({"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 78);
}

TEST(Gen, CountAndDeterminism) {
  RunResult a = run_sluice({"gen", "--format", "csv", "--count", "1000", "--seed", "7"});
  RunResult b = run_sluice({"gen", "--format", "csv", "--count", "1000", "--seed", "7"});
  RunResult c = run_sluice({"gen", "--format", "csv", "--count", "1000", "--seed", "8"});
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_EQ(count_lines(a.out), 1000u);
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

TEST(Gen, FormatsDescribeTheSameEvents) {
  for (const char* format : {"csv", "text", "json"}) {
    RunResult r = run_sluice({"gen", "--format", format, "--count", "50", "--seed", "3"});
    ASSERT_EQ(r.exit_code, 0) << format;
    EXPECT_EQ(count_lines(r.out), 50u) << format;
  }
  RunResult json = run_sluice({"gen", "--format", "json", "--count", "1"});
  EXPECT_EQ(json.out.rfind("{\"ts\":\"2026-01-01T00:00:00.000Z\",\"host\":\"web-", 0), 0u)
      << json.out;
}

TEST(Gen, RejectsUnknownFormat) {
  RunResult r = run_sluice({"gen", "--format", "xml", "--count", "1"});
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace sluice::e2e
