// End to end: numbered RFC 5424 and RFC 3164 lines, some malformed, through `format: syslog` into
// a JSON file and a dead letter file: every good line's fields exact, every bad line in the dead
// letter with its reason, the counts exact.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

constexpr int kLines = 3000;

// Line i (from 1): every 10th is malformed (alternately no PRI and a PRI over 191); the others
// alternate RFC 5424 (with structured data and a BOM) and RFC 3164 (with a tag and pid).
std::string input_line(int i) {
  const std::string n = std::to_string(i);
  if (i % 10 == 0) {
    return i % 20 == 0 ? "no pri " + n : "<192>1 - h" + n + " a - - - m";
  }
  if (i % 2 == 1) {
    return "<165>1 2003-10-11T22:14:15.003Z host" + n + " evntslog - ID" + n + " [ex@32473 n=\"" +
           n + "\"] \xEF\xBB\xBFmsg " + n;
  }
  return "<34>Oct 11 22:14:15 host" + n + " su[" + n + "]: msg " + n;
}

std::string expected_output(int i) {
  const std::string n = std::to_string(i);
  if (i % 2 == 1) {
    return R"({"priority":165,"facility":20,"severity":5,"timestamp":"2003-10-11T22:14:15.003Z","hostname":"host)" +
           n + R"(","app_name":"evntslog","msgid":"ID)" + n +
           R"(","structured_data":"[ex@32473 n=\")" + n + R"(\"]","message":"msg )" + n + "\"}";
  }
  return R"({"priority":34,"facility":4,"severity":2,"timestamp":"Oct 11 22:14:15","hostname":"host)" +
         n + R"(","app_name":"su","procid":")" + n + R"(","message":"msg )" + n + "\"}";
}

TEST(Syslog, GoodLinesIntoFieldsBadLinesIntoTheDeadLetterCountsExact) {
  TempDir dir;
  std::string input;
  for (int i = 1; i <= kLines; ++i) {
    input += input_line(i) + "\n";
  }
  write_file(dir.file("in.log"), input);
  write_file(dir.file("c.yaml"),
             "pipelines:\n  s:\n    source: { type: file, paths: [" + dir.file("in.log") +
                 "], follow: false }\n    parse: { format: syslog }\n"
                 "    routes: [ { to: out } ]\n    dead_letter: rejects\n"
                 "sinks:\n  out: { type: file, path: " +
                 dir.file("out.ndjson") + ", encoding: json }\n  rejects: { type: file, path: " +
                 dir.file("rejects.ndjson") + ", encoding: json }\n");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int bad = kLines / 10;
  EXPECT_EQ(summary_value(r.err, "s", "in"), kLines) << r.err;
  EXPECT_EQ(summary_value(r.err, "s", "out"), kLines - bad) << r.err;
  EXPECT_EQ(summary_value(r.err, "s", "dead_lettered"), bad) << r.err;
  EXPECT_EQ(summary_value(r.err, "s", "dropped"), 0) << r.err;  // dead-lettered, not dropped

  const std::vector<std::string> out = split_lines(read_file(dir.file("out.ndjson")));
  const std::vector<std::string> rejects = split_lines(read_file(dir.file("rejects.ndjson")));
  ASSERT_EQ(out.size(), static_cast<size_t>(kLines - bad));
  ASSERT_EQ(rejects.size(), static_cast<size_t>(bad));
  size_t o = 0;
  size_t d = 0;
  for (int i = 1; i <= kLines; ++i) {
    if (i % 10 != 0) {
      ASSERT_EQ(out[o++], expected_output(i)) << "line " << i;
      continue;
    }
    const std::string reason = i % 20 == 0 ? "no PRI: a syslog message starts with <0> to <191>"
                                           : "bad PRI: over 191 (facility 23, severity 7)";
    const std::string& line = rejects[d++];
    EXPECT_NE(line.find("\"_raw\":\"" + input_line(i) + "\""), std::string::npos) << line;
    EXPECT_NE(line.find("in.log:" + std::to_string(i) + "\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"_error\":\"" + reason + "\""), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace sluice::e2e
