// End to end: long `or` / `and` chains in filters and routes through the real binary. A chain is
// evaluated by a loop, so `validate` and `run` agree on it at any length: a chain that validates
// runs (on the pipeline's worker threads) and keeps exactly the events it names. Real nesting
// past the limit is refused by both, with its position in the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

// "n OP v0 JOIN n OP v1 ..." over `values`.
std::string chain(const std::string& join, const std::string& op,
                  const std::vector<long long>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      text += " " + join + " ";
    }
    text += "n " + op + " " + std::to_string(values[i]);
  }
  return text;
}

// One line per number: the CSV input of a stdin pipeline whose single column is `n`.
std::string lines_of(const std::vector<long long>& numbers) {
  std::string text;
  for (long long n : numbers) {
    text += std::to_string(n) + "\n";
  }
  return text;
}

// A pipeline reading numbered CSV lines from stdin, with `body` (filter and routes) after parse,
// writing its `out` sink raw to stdout.
std::string stdin_config(const TempDir& dir, const std::string& body) {
  return "data_dir: " + dir.path() +
         "\n"
         "pipelines:\n"
         "  p:\n"
         "    source: { type: stdin }\n"
         "    parse: { format: csv, columns: [n], types: { n: int } }\n" +
         body +
         "sinks:\n"
         "  out: { type: stdout, encoding: raw }\n";
}

TEST(FilterChain, OrChainOf50000TermsKeepsExactlyTheNamedEvents) {
  // The filter names every multiple of 7 from 0 to 349,993; the input has numbers at its start,
  // middle and end, and around them.
  std::vector<long long> named;
  for (long long i = 0; i < 50000; ++i) {
    named.push_back(i * 7);
  }
  std::vector<long long> input;
  for (long long n = -3; n < 300; ++n) {
    input.push_back(n);
  }
  for (long long n = 174990; n < 175010; ++n) {
    input.push_back(n);
  }
  for (long long n = 349980; n < 350010; ++n) {
    input.push_back(n);
  }
  std::vector<long long> kept;
  for (long long n : input) {
    if (n >= 0 && n % 7 == 0 && n <= 349993) {
      kept.push_back(n);
    }
  }
  ASSERT_EQ(kept.back(), 349993);

  TempDir dir;
  write_file(dir.file("c.yaml"), stdin_config(dir, "    filter: '" + chain("or", "==", named) +
                                                       "'\n"
                                                       "    routes: [ { to: out } ]\n"));
  RunResult v = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")}, lines_of(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, lines_of(kept));
  EXPECT_EQ(summary_value(r.err, "p", "in"), static_cast<long long>(input.size())) << r.err;
  EXPECT_EQ(summary_value(r.err, "p", "filtered"),
            static_cast<long long>(input.size() - kept.size()))
      << r.err;
}

TEST(FilterChain, AndChainOf100000TermsInARouteSendsExactlyTheUnnamedEvents) {
  // The route takes every event whose n is none of 0..99,999.
  std::vector<long long> named;
  for (long long i = 0; i < 100000; ++i) {
    named.push_back(i);
  }
  std::vector<long long> input{-2, -1, 0, 1, 2, 49999, 50000, 99998, 99999, 100000, 100001};
  TempDir dir;
  write_file(dir.file("c.yaml"),
             stdin_config(dir, "    routes:\n      - when: '" + chain("and", "!=", named) +
                                   "'\n        to: out\n"));
  RunResult v = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")}, lines_of(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, lines_of({-2, -1, 100000, 100001}));
  EXPECT_EQ(summary_value(r.err, "p", "in"), static_cast<long long>(input.size())) << r.err;
  EXPECT_EQ(summary_value(r.err, "p", "unrouted"), 7) << r.err;
}

TEST(FilterChain, NestingPastTheLimitIsRefusedWithItsPosition) {
  // 201 parentheses: the 201st goes past the limit of 200. The filter line is line 6, the quote
  // is column 13, so the k-th '(' is column 13 + k.
  const std::string deep = std::string(201, '(') + "n == 1" + std::string(201, ')');
  TempDir dir;
  const std::string config =
      stdin_config(dir, "    filter: '" + deep + "'\n    routes: [ { to: out } ]\n");
  ASSERT_EQ(std::count(config.begin(), config.begin() + config.find("    filter: '"), '\n'), 5);
  write_file(dir.file("c.yaml"), config);
  const std::string want = dir.file("c.yaml") +
                           ":6:214: pipelines.p.filter: expression nested too deeply (the limit "
                           "is 200 levels)\n";
  RunResult v = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(v.exit_code, 78);
  EXPECT_EQ(v.err, want);
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")}, "1\n");
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, want);
  EXPECT_EQ(r.out, "");
}

TEST(FilterChain, FilterLongerThanTheLimitIsRefusedWithAClearMessage) {
  // A config file stays small, but `${F}` references can expand a filter to any length: 50 of a
  // 120,000-byte chain make 6 MB of `n == 1 or `, refused by both commands in one line.
  std::string part;
  while (part.size() < 120000) {
    part += "n == 1 or ";
  }
  std::string refs;
  for (int i = 0; i < 50; ++i) {
    refs += "${F}";
  }
  TempDir dir;
  write_file(dir.file("c.yaml"),
             stdin_config(dir, "    filter: '" + refs + "n == 2'\n    routes: [ { to: out } ]\n"));
  const std::string message = "pipelines.p.filter: expression too long (" +
                              std::to_string(50 * part.size() + 6) +
                              " bytes; the limit is 4 MiB)\n";
  RunResult v = run_sluice({"validate", dir.file("c.yaml")}, "", {{"F", part}});
  EXPECT_EQ(v.exit_code, 78);
  EXPECT_EQ(count_lines(v.err), 1u) << v.err;
  EXPECT_EQ(v.err.rfind(dir.file("c.yaml") + ":6:", 0), 0u) << v.err;
  EXPECT_NE(v.err.find(message), std::string::npos) << v.err;
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")}, "1\n", {{"F", part}});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, v.err);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace sluice::e2e
