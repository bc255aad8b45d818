// End to end: input keys that clash, through the real binary. The field-name rule (stages/parse/
// parser.h): an event's fields have unique names, none of them `_raw`, `_source` or `_error`. A key
// that repeats within a record, or is spelled like metadata, is left out of the event (the first
// occurrence, and the metadata, are kept) and warned about once; names the configuration gives
// (csv `columns`, regex groups) that repeat or name metadata are configuration errors. These tests
// show the lines a user gets.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// A pipeline reading stdin with `parse` (a YAML flow map) and `filter` (when not empty), sending
// every event to stdout as json and to four files: json with metadata listed, csv (every field
// in parse order), raw, and the dead letter.
std::string config(const TempDir& dir, const std::string& parse, const std::string& filter = "") {
  std::string c = "data_dir: " + dir.path() +
                  "\npipelines:\n"
                  "  p:\n"
                  "    source: { type: stdin }\n"
                  "    parse: " +
                  parse + "\n";
  if (!filter.empty()) {
    c += "    filter: '" + filter + "'\n";
  }
  c += "    routes:\n"
       "      - { to: out, continue: true }\n"
       "      - { to: selected, continue: true }\n"
       "      - { to: table, continue: true }\n"
       "      - { to: raw }\n"
       "    dead_letter: rejects\n"
       "sinks:\n"
       "  out: { type: stdout, encoding: json }\n"
       "  selected: { type: file, path: " +
       dir.file("selected.ndjson") +
       ", encoding: { codec: json, fields: [_raw, _source, n] } }\n"
       "  table: { type: file, path: " +
       dir.file("table.csv") +
       ", encoding: csv }\n"
       "  raw: { type: file, path: " +
       dir.file("raw.log") +
       ", encoding: raw }\n"
       "  rejects: { type: file, path: " +
       dir.file("rejects.ndjson") + ", encoding: json }\n";
  return c;
}

RunResult run(const TempDir& dir, const std::string& yaml, const std::string& input) {
  write_file(dir.file("c.yaml"), yaml);
  return run_sluice({"run", "-c", dir.file("c.yaml")}, input);
}

TEST(InputKeys, JsonRepeatedKeyKeepsTheFirstOccurrence) {
  TempDir dir;
  // The filter sees the first `n` of each line: line 2's first n is 2, so it is filtered out;
  // line 3's second n would not convert to int, but a dropped key is never converted.
  RunResult r = run(dir, config(dir, "{ format: json, types: { n: int } }", "n == 1"),
                    "{\"n\":1,\"m\":\"x\",\"n\":2}\n"
                    "{\"n\":2,\"n\":1}\n"
                    "{\"n\":1,\"n\":\"not a number\",\"n\":{\"deep\":[1]}}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"n\":1,\"m\":\"x\"}\n"
            "{\"n\":1}\n");
  EXPECT_EQ(read_file(dir.file("table.csv")), "1,x\n1\n");
  EXPECT_EQ(read_file(dir.file("raw.log")),
            "{\"n\":1,\"m\":\"x\",\"n\":2}\n"
            "{\"n\":1,\"n\":\"not a number\",\"n\":{\"deep\":[1]}}\n");
  EXPECT_EQ(count_of(r.err, "json input: key `n` at stdin:1 repeats within the event"), 1u)
      << r.err;
  EXPECT_EQ(count_of(r.err, "warning"), 1u) << r.err;
  EXPECT_EQ(summary_value(r.err, "p", "out"), 2);
  EXPECT_EQ(summary_value(r.err, "p", "filtered"), 1);
}

TEST(InputKeys, CsvHeaderRepeatingANameKeepsTheFirstColumn) {
  TempDir dir;
  RunResult r = run(dir, config(dir, "{ format: csv, header: true, types: { n: int } }", "n == 1"),
                    "n,m,n\n1,x,not a number\n2,y,1\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"n\":1,\"m\":\"x\"}\n");
  EXPECT_EQ(read_file(dir.file("selected.ndjson")),
            "{\"_raw\":\"1,x,not a number\",\"_source\":\"stdin:2\",\"n\":1}\n");
  EXPECT_EQ(read_file(dir.file("table.csv")), "1,x\n");
  EXPECT_EQ(count_of(r.err, "csv header of stdin: column 3 `n` repeats an earlier column"), 1u)
      << r.err;
  EXPECT_EQ(summary_value(r.err, "p", "filtered"), 1);
  EXPECT_EQ(summary_value(r.err, "p", "dead_lettered"), 0);
}

TEST(InputKeys, JsonKeysNamedLikeMetadataAreLeftOut) {
  TempDir dir;
  const std::string line =
      "{\"_raw\":\"forged\",\"n\":1,\"_source\":\"forged:9\",\"_error\":\"forged\"}";
  RunResult r = run(dir, config(dir, "{ format: json }"), line + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"n\":1}\n");
  EXPECT_EQ(read_file(dir.file("selected.ndjson")),
            "{\"_raw\":\"{\\\"_raw\\\":\\\"forged\\\",\\\"n\\\":1,\\\"_source\\\":\\\"forged:9\\\","
            "\\\"_error\\\":\\\"forged\\\"}\",\"_source\":\"stdin:1\",\"n\":1}\n");
  EXPECT_EQ(read_file(dir.file("table.csv")), "1\n");
  EXPECT_EQ(read_file(dir.file("raw.log")), line + "\n");
  EXPECT_EQ(count_of(r.err, "json input: key `_raw` at stdin:1 is a metadata name"), 1u) << r.err;
}

TEST(InputKeys, CsvHeaderNamingMetadataLeavesThatColumnOut) {
  TempDir dir;
  RunResult r =
      run(dir, config(dir, "{ format: csv, header: true }"), "_source,n,_raw\nforged,1,forged\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"n\":\"1\"}\n");
  EXPECT_EQ(read_file(dir.file("selected.ndjson")),
            "{\"_raw\":\"forged,1,forged\",\"_source\":\"stdin:2\",\"n\":\"1\"}\n");
  EXPECT_EQ(read_file(dir.file("table.csv")), "1\n");
  EXPECT_EQ(count_of(r.err,
                     "column 1 `_source` is a metadata name; column 3 `_raw` is a metadata "
                     "name; left out of every event"),
            1u)
      << r.err;
}

TEST(InputKeys, DeadLetterOfALineWithMetadataNamedKeysCarriesTheRealMetadata) {
  TempDir dir;
  const std::string line = "{\"_raw\":\"forged\",\"_error\":\"forged\",\"n\":\"x\"}";
  RunResult r = run(dir, config(dir, "{ format: json, types: { n: int } }"), line + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(
      read_file(dir.file("rejects.ndjson")),
      "{\"_raw\":\"{\\\"_raw\\\":\\\"forged\\\",\\\"_error\\\":\\\"forged\\\",\\\"n\\\":\\\"x\\\"}"
      "\",\"_source\":\"stdin:1\",\"_error\":\"field 'n': cannot convert 'x' to int\"}\n");
  EXPECT_EQ(summary_value(r.err, "p", "dead_lettered"), 1);
}

TEST(InputKeys, CsvColumnsNamingAFieldTwiceIsAConfigError) {
  TempDir dir;
  write_file(dir.file("c.yaml"), config(dir, "{ format: csv, columns: [n, m, n] }"));
  RunResult v = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(v.exit_code, 78);
  EXPECT_NE(v.err.find("csv `columns` names `n` twice; field names must be unique"),
            std::string::npos)
      << v.err;
}

TEST(InputKeys, CsvColumnsNamingMetadataIsAConfigError) {
  TempDir dir;
  write_file(dir.file("c.yaml"), config(dir, "{ format: csv, columns: [a, _raw] }"));
  RunResult v = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(v.exit_code, 78);
  EXPECT_NE(v.err.find("csv `columns` names `_raw`, which is metadata"), std::string::npos)
      << v.err;
}

TEST(InputKeys, RegexGroupNamedTwiceIsAConfigError) {
  TempDir dir;
  write_file(dir.file("c.yaml"),
             config(dir, R"({ format: regex, pattern: '(?P<n>\d+) (?<n>\d+)' })"));
  RunResult v = run_sluice({"validate", dir.file("c.yaml")});
  EXPECT_EQ(v.exit_code, 78);
  EXPECT_NE(v.err.find("regex pattern names `n` twice"), std::string::npos) << v.err;
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")}, "1 2\n");
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace sluice::e2e
