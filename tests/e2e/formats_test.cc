// End to end: the same generated events as CSV, nginx text and JSON give the same decisions, and
// the ways of passing a configuration (file, stdin, environment) all work.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

constexpr const char* kFilter = R"('status >= 500 or path =~ "^/api/v[0-9]+/orders"')";

std::string pipeline_for(const std::string& name, const std::string& input,
                         const std::string& parse, const std::string& out) {
  return "  " + name + ":\n    source: { type: file, paths: [" + input +
         "], follow: false }\n    parse: " + parse + "\n    filter: " + kFilter +
         "\n    routes: [ { to: " + out + " } ]\n    dead_letter: " + out + "_rejects\n";
}

TEST(Formats, CsvTextAndJsonOfTheSameEventsKeepTheSameEvents) {
  TempDir dir;
  for (const char* f : {"csv", "text", "json"}) {
    RunResult gen = run_sluice({"gen", "--format", f, "--count", "100000", "--seed", "9"});
    ASSERT_EQ(gen.exit_code, 0);
    write_file(dir.file(std::string("in.") + f), gen.out);
  }
  std::string config = "pipelines:\n";
  config += pipeline_for(
      "csv", dir.file("in.csv"),
      "{ format: csv, columns: [ts, host, method, path, status, bytes, latency_ms, agent], "
      "types: { status: int, bytes: int, latency_ms: float } }",
      "csv_out");
  config += pipeline_for(
      "text", dir.file("in.text"),
      R"re({ format: regex, types: { status: int, bytes: int }, pattern: '^(?<addr>\S+) - (?<user>\S+) \[(?<time>[^\]]+)\] "(?<method>[A-Z]+) (?<path>[^ "]*) (?<protocol>[^"]*)" (?<status>\d{3}) (?<bytes>\d+) "(?<referer>[^"]*)" "(?<agent>[^"]*)"' })re",
      "text_out");
  config += pipeline_for("json", dir.file("in.json"), "{ format: json, types: { status: int } }",
                         "json_out");
  config += "sinks:\n";
  for (const char* s : {"csv_out", "text_out", "json_out"}) {
    config += std::string("  ") + s + ": { type: file, path: " + dir.file(s) +
              ", encoding: json, fields: [method, path, status, bytes] }\n";
    config += std::string("  ") + s +
              "_rejects: { type: file, path: " + dir.file(std::string(s) + ".rejects") +
              ", encoding: json }\n";
  }
  write_file(dir.file("c.yaml"), config);
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* p : {"csv", "text", "json"}) {
    EXPECT_EQ(summary_value(r.err, p, "in"), 100000) << p << "\n" << r.err;
    EXPECT_EQ(summary_value(r.err, p, "dead_lettered"), 0) << p << "\n" << r.err;
  }
  std::string csv = read_file(dir.file("csv_out"));
  EXPECT_GT(count_lines(csv), 1000u);
  EXPECT_EQ(read_file(dir.file("text_out")), csv);
  EXPECT_EQ(read_file(dir.file("json_out")), csv);
}

TEST(Formats, ConfigFromStdinAndTheShortForm) {
  std::string config = R"(
pipelines:
  g:
    source: { type: generate, format: json, count: 10, seed: 1 }
    parse: { format: json }
    routes: [ { to: out } ]
sinks:
  out: { type: stdout, encoding: json, fields: [host] }
)";
  RunResult from_stdin = run_sluice({"run", "-c", "-"}, config);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(count_lines(from_stdin.out), 10u);
  TempDir dir;
  write_file(dir.file("c.yaml"), config);
  RunResult short_form = run_sluice({"-c", dir.file("c.yaml")});
  ASSERT_EQ(short_form.exit_code, 0) << short_form.err;
  EXPECT_EQ(short_form.out, from_stdin.out);
  EXPECT_EQ(short_form.out.rfind("{\"host\":\"web-", 0), 0u) << short_form.out;
}

// Plain lines passed through raw skip parsing; anything that reads the line, converts it or
// encodes fields must still parse it.
TEST(Formats, PlainLinesArePassedThroughOrParsedAsTheConfigNeeds) {
  TempDir dir;
  const std::string input = "1\nx\n22\n";
  auto run = [&](const std::string& pipeline_keys, const std::string& encoding) {
    write_file(dir.file("c.yaml"),
               "pipelines:\n  p:\n    source: { type: stdin }\n    parse: { format: none" +
                   pipeline_keys +
                   "\n    routes: [ { to: out } ]\nsinks:\n  out: { type: stdout, "
                   "encoding: " +
                   encoding + " }\n  bad: { type: file, path: " + dir.file("bad.log") +
                   ", encoding: raw }\n");
    return run_sluice({"run", "-c", dir.file("c.yaml")}, input);
  };
  RunResult raw = run(" }", "raw");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(raw.out, input);

  RunResult filtered = run(" }\n    filter: 'message != \"x\"'", "raw");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_EQ(filtered.out, "1\n22\n");
  EXPECT_EQ(summary_value(filtered.err, "p", "filtered"), 1);

  RunResult typed = run(", types: { message: int } }\n    dead_letter: bad", "raw");
  ASSERT_EQ(typed.exit_code, 0) << typed.err;
  EXPECT_EQ(typed.out, "1\n22\n");
  EXPECT_EQ(read_file(dir.file("bad.log")), "x\n");

  RunResult json = run(" }", "json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "{\"message\":\"1\"}\n{\"message\":\"x\"}\n{\"message\":\"22\"}\n");
}

TEST(Formats, EnvironmentVariablesFillTheConfig) {
  TempDir dir;
  write_file(dir.file("c.yaml"), R"(
pipelines:
  g:
    source: { type: generate, format: csv, count: ${COUNT}, seed: 1 }
    parse: { format: none }
    routes: [ { to: out } ]
sinks:
  out: { type: file, path: "${OUT_DIR:-/nonexistent}/out.log", encoding: raw }
)");
  RunResult r =
      run_sluice({"run", "-c", dir.file("c.yaml")}, "", {{"COUNT", "25"}, {"OUT_DIR", dir.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(read_file(dir.file("out.log"))), 25u);
  RunResult unset = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(unset.exit_code, 78);
  EXPECT_NE(unset.err.find("COUNT"), std::string::npos) << unset.err;
}

TEST(Formats, PinnedThreadsRunTheSame) {
  std::string config = R"(
pipelines:
  g:
    source: { type: generate, format: csv, count: 50000, seed: 1 }
    parse: { format: csv, columns: [ts, host, method, path, status, bytes, latency_ms, agent] }
    routes: [ { to: out } ]
    threads: { parse: 2, cpus: [0] }
sinks:
  out: { type: null }
)";
  RunResult r = run_sluice({"run", "-c", "-"}, config);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(summary_value(r.err, "g", "out"), 50000) << r.err;
  EXPECT_EQ(r.err.find("cannot pin"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::e2e
