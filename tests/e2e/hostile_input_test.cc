// End to end: hostile input through the real binary. Each case must end in a clear outcome (an
// event delivered, a dead letter with its reason, a counter, or one warning line) while the
// daemon keeps running; where the source follows its file, a good record written after the bad
// input must still come through before the daemon is stopped. Scenarios and results are listed
// in docs/RELIABILITY.md.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <thread>

#include "tests/e2e/e2e_util.h"

extern char** environ;

namespace sluice::e2e {
namespace {

bool alive(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == 0; }

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// True when every line is well-formed UTF-8 without raw control bytes: what a JSON line needs
// from its bytes (the structure is checked by the exact-value tests).
bool lines_are_clean_utf8(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c == '\n') {
      ++p;
      continue;
    }
    if (c < 0x20) {
      return false;
    }
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || end - p < len) {
      return false;
    }
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xc0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    p += len;
  }
  return true;
}

// Random bytes from a fixed seed, with runs of NUL bytes, ending in a newline.
std::string garbage(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>(rng() & 0xff);
  }
  for (size_t i = 0; i + 64 < size; i += 4096) {
    std::fill_n(out.begin() + static_cast<long>(i), 64, '\0');
  }
  out.back() = '\n';
  return out;
}

// What `parse: none` + `encoding: raw` must give for `input`: each line (one trailing CR taken
// off, as for CRLF), empty lines skipped.
std::string expected_lines(const std::string& input) {
  std::string out;
  size_t start = 0;
  while (start < input.size()) {
    size_t nl = input.find('\n', start);
    if (nl == std::string::npos) {
      nl = input.size();
    }
    size_t end = nl;
    if (end > start && input[end - 1] == '\r') {
      --end;
    }
    if (end > start) {
      out.append(input, start, end - start);
      out += '\n';
    }
    start = nl + 1;
  }
  return out;
}

TEST(HostileInput, BinaryGarbageAndNulBytesPassThroughAndJsonStaysValid) {
  TempDir dir;
  FollowedDaemon d(dir, R"(    parse: { format: none }
    routes: [ { to: raw, continue: true }, { to: js } ]
)",
                   "  raw: { type: file, path: " + dir.file("out.raw") +
                       ", encoding: raw }\n  js: { type: file, path: " + dir.file("out.ndjson") +
                       ", encoding: json }\n");
  ASSERT_GT(d.pid(), 0);
  std::string input = garbage(1 << 20, 7) + "SENTINEL\n";
  d.append(input);
  ASSERT_TRUE(wait_until([&] { return ends_with(read_file(dir.file("out.raw")), "SENTINEL\n"); }))
      << d.err();
  EXPECT_TRUE(alive(d.pid()));
  ASSERT_TRUE(wait_until([&] {
    return ends_with(read_file(dir.file("out.ndjson")), "{\"message\":\"SENTINEL\"}\n");
  }));
  ASSERT_EQ(d.stop(), 0) << d.err();
  std::string expected = expected_lines(input);
  std::string raw = read_file(dir.file("out.raw"));
  EXPECT_EQ(raw.size(), expected.size());
  EXPECT_TRUE(raw == expected) << "raw output differs from the input lines";
  std::string json = read_file(dir.file("out.ndjson"));
  long long in = summary_value(d.err(), "p", "in");
  EXPECT_EQ(in, static_cast<long long>(count_lines(expected))) << d.err();
  EXPECT_EQ(summary_value(d.err(), "p", "out"), in);
  EXPECT_EQ(static_cast<long long>(count_lines(json)), in);
  EXPECT_TRUE(lines_are_clean_utf8(json)) << "a JSON line holds invalid UTF-8 or a control byte";
  EXPECT_EQ(count_of(json, "{\"message\":\""), count_lines(json));
}

TEST(HostileInput, BinaryGarbageIntoCsvAndJsonParsersIsCountedExactly) {
  TempDir dir;
  std::string input = garbage(1 << 20, 11);
  write_file(dir.file("in.bin"), input);
  write_file(dir.file("c.yaml"),
             "pipelines:\n  csv:\n    source: { type: file, paths: [" + dir.file("in.bin") +
                 "], follow: false }\n"
                 "    parse: { format: csv, columns: [a, b] }\n"
                 "    routes: [ { to: out } ]\n    dead_letter: rej\n"
                 "  json:\n    source: { type: file, paths: [" +
                 dir.file("in.bin") +
                 "], follow: false }\n"
                 "    parse: { format: json }\n"
                 "    routes: [ { to: out } ]\n    dead_letter: rej\n"
                 "sinks:\n  out: { type: file, path: " +
                 dir.file("out.ndjson") + ", encoding: json }\n  rej: { type: file, path: " +
                 dir.file("rej.ndjson") + ", encoding: json }\n");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* p : {"csv", "json"}) {
    long long in = summary_value(r.err, p, "in");
    EXPECT_GT(in, 0) << r.err;
    EXPECT_EQ(in, summary_value(r.err, p, "out") + summary_value(r.err, p, "dead_lettered"))
        << r.err;
    EXPECT_EQ(summary_value(r.err, p, "dropped"), 0) << r.err;
  }
  EXPECT_EQ(summary_value(r.err, "json", "out"), 0) << "random bytes parsed as a JSON object";
  std::string out = read_file(dir.file("out.ndjson"));
  std::string rej = read_file(dir.file("rej.ndjson"));
  EXPECT_EQ(static_cast<long long>(count_lines(out)), summary_value(r.err, "csv", "out"));
  EXPECT_EQ(
      static_cast<long long>(count_lines(rej)),
      summary_value(r.err, "csv", "dead_lettered") + summary_value(r.err, "json", "dead_lettered"));
  EXPECT_TRUE(lines_are_clean_utf8(out));
  EXPECT_TRUE(lines_are_clean_utf8(rej));
  EXPECT_EQ(count_of(rej, "\",\"_error\":\""), count_lines(rej)) << "a dead letter has no reason";
}

TEST(HostileInput, HundredMibLineIsOneTruncatedDeadLetterAndLaterLinesArrive) {
  TempDir dir;
  FollowedDaemon d(dir, R"(    parse: { format: none }
    routes: [ { to: out } ]
    dead_letter: rej
)",
                   "  out: { type: file, path: " + dir.file("out.log") +
                       ", encoding: raw }\n  rej: { type: file, path: " + dir.file("rej.ndjson") +
                       ", encoding: json }\n");
  ASSERT_GT(d.pid(), 0);
  std::string input = "before\n" + std::string(100 << 20, 'x') + "\nafter\n";
  d.append(input);
  input.clear();
  input.shrink_to_fit();
  ASSERT_TRUE(wait_until([&] { return read_file(dir.file("out.log")) == "before\nafter\n"; }))
      << d.err();
  EXPECT_TRUE(alive(d.pid()));
  // The long line is skipped as it is read, never held whole.
  EXPECT_LT(rss_kib(d.pid()), 64 * 1024);
  ASSERT_EQ(d.stop(), 0) << d.err();
  std::string rej = read_file(dir.file("rej.ndjson"));
  std::string head =
      "{\"_raw\":\"" + std::string(1024, 'x') + "\",\"_source\":\"" + d.input() + ":";
  std::string tail =
      "\",\"_error\":\"record longer than max_event_bytes (1048576 bytes); truncated\"}\n";
  EXPECT_EQ(rej.substr(0, head.size()), head) << rej.substr(0, 2000);
  EXPECT_TRUE(ends_with(rej, tail)) << rej.substr(0, 2000);
  EXPECT_EQ(count_lines(rej), 1u);
  EXPECT_EQ(summary_value(d.err(), "p", "in"), 3) << d.err();
  EXPECT_EQ(summary_value(d.err(), "p", "out"), 2);
  EXPECT_EQ(summary_value(d.err(), "p", "dead_lettered"), 1);
}

// Regression for a finding (docs/RELIABILITY.md, "line numbers after an over-long record"): the
// over-long record's `_source` said line 0 and every later line was numbered one too low, because
// the framer did not count the skipped record.
TEST(HostileInput, OverlongLineKeepsLineNumbers) {
  TempDir dir;
  std::string input = "a,1\n" + std::string(2 << 20, 'x') + "\nnot-two-fields\n";
  write_file(dir.file("in.csv"), input);
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: file, paths: [" + dir.file("in.csv") +
                 "], follow: false }\n"
                 "    parse: { format: csv, columns: [k, v] }\n"
                 "    routes: [ { to: out } ]\n    dead_letter: rej\n"
                 "sinks:\n  out: { type: file, path: " +
                 dir.file("out.ndjson") + ", encoding: json }\n  rej: { type: file, path: " +
                 dir.file("rej.ndjson") + ", encoding: json }\n");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string rej = read_file(dir.file("rej.ndjson"));
  EXPECT_NE(rej.find("\",\"_source\":\"" + dir.file("in.csv") +
                     ":2\",\"_error\":\"record longer than max_event_bytes"),
            std::string::npos)
      << rej.substr(rej.size() > 300 ? rej.size() - 300 : 0);
  EXPECT_NE(rej.find("{\"_raw\":\"not-two-fields\",\"_source\":\"" + dir.file("in.csv") + ":3\""),
            std::string::npos)
      << rej.substr(rej.size() > 300 ? rej.size() - 300 : 0);
}

TEST(HostileInput, InvalidUtf8IsReplacedInJsonAndKeptAsBytesInCsv) {
  TempDir dir;
  FollowedDaemon d(dir, R"(    parse: { format: csv, columns: [a, b] }
    routes: [ { to: js, continue: true }, { to: cs } ]
    dead_letter: rej
)",
                   "  js: { type: file, path: " + dir.file("out.ndjson") +
                       ", encoding: json }\n  cs: { type: file, path: " + dir.file("out.csv") +
                       ", encoding: csv }\n  rej: { type: file, path: " + dir.file("rej.ndjson") +
                       ", encoding: json }\n");
  ASSERT_GT(d.pid(), 0);
  // Stray bytes, a bad continuation, an encoded surrogate, a 5-byte form, a truncated sequence,
  // and an invalid line that is also a parse error (one field).
  std::string input =
      "x\xff\xfey,\xc3(z\n"
      "\xed\xa0\x80,\xf8\x88\x80\x80\x80\n"
      "ok,\xe2\x82\n"
      "\xc0\xaf\n"
      "end,end\n";
  d.append(input);
  ASSERT_TRUE(wait_until([&] { return ends_with(read_file(dir.file("out.csv")), "end,end\n"); }))
      << d.err();
  EXPECT_TRUE(alive(d.pid()));
  ASSERT_EQ(d.stop(), 0) << d.err();
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(read_file(dir.file("out.ndjson")),
            "{\"a\":\"x" + r + r + "y\",\"b\":\"" + r + "(z\"}\n" + "{\"a\":\"" + r + r + r +
                "\",\"b\":\"" + r + r + r + r + r + "\"}\n" + "{\"a\":\"ok\",\"b\":\"" + r +
                "\"}\n" + "{\"a\":\"end\",\"b\":\"end\"}\n");
  EXPECT_EQ(read_file(dir.file("out.csv")),
            "x\xff\xfey,\xc3(z\n"
            "\xed\xa0\x80,\xf8\x88\x80\x80\x80\n"
            "ok,\xe2\x82\n"
            "end,end\n");
  EXPECT_EQ(read_file(dir.file("rej.ndjson")), "{\"_raw\":\"" + r + r + "\",\"_source\":\"" +
                                                   d.input() +
                                                   ":4\",\"_error\":\"expected 2 fields, "
                                                   "found 1\"}\n");
  EXPECT_EQ(summary_value(d.err(), "p", "in"), 5) << d.err();
  EXPECT_EQ(summary_value(d.err(), "p", "out"), 4);
  EXPECT_EQ(summary_value(d.err(), "p", "dead_lettered"), 1);
}

TEST(HostileInput, InvalidUtf8IntoJsonParserIsADeadLetterWithReason) {
  TempDir dir;
  FollowedDaemon d(dir, R"(    parse: { format: json }
    routes: [ { to: out } ]
    dead_letter: rej
)",
                   "  out: { type: file, path: " + dir.file("out.ndjson") +
                       ", encoding: json }\n  rej: { type: file, path: " + dir.file("rej.ndjson") +
                       ", encoding: json }\n");
  ASSERT_GT(d.pid(), 0);
  d.append("{\"a\":\"\xff\xfe\"}\n{\"end\":1}\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir.file("out.ndjson")) == "{\"end\":1}\n"; }))
      << d.err();
  EXPECT_TRUE(alive(d.pid()));
  ASSERT_EQ(d.stop(), 0) << d.err();
  EXPECT_EQ(read_file(dir.file("rej.ndjson")),
            "{\"_raw\":\"{\\\"a\\\":\\\"\xef\xbf\xbd\xef\xbf\xbd\\\"}\",\"_source\":\"" +
                d.input() + ":1\",\"_error\":\"invalid JSON: The input is not valid UTF-8\"}\n");
}

TEST(HostileInput, DeeplyNestedJsonIsADeadLetterAndModerateNestingPasses) {
  TempDir dir;
  FollowedDaemon d(dir, R"(    parse: { format: json }
    routes: [ { to: out } ]
    dead_letter: rej
)",
                   "  out: { type: file, path: " + dir.file("out.ndjson") +
                       ", encoding: json }\n  rej: { type: file, path: " + dir.file("rej.ndjson") +
                       ", encoding: json }\n");
  ASSERT_GT(d.pid(), 0);
  auto nest = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) {
      s += "{\"a\":";
    }
    s += "1";
    s.append(static_cast<size_t>(depth), '}');
    return s;
  };
  std::string arrays = "{\"d\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  d.append(nest(100) + "\n" + nest(5000) + "\n" + arrays + "\n{\"end\":1}\n");
  ASSERT_TRUE(wait_until([&] {
    return ends_with(read_file(dir.file("out.ndjson")), "{\"end\":1}\n");
  })) << d.err();
  EXPECT_TRUE(alive(d.pid()));
  ASSERT_EQ(d.stop(), 0) << d.err();
  EXPECT_EQ(read_file(dir.file("out.ndjson")), nest(100) + "\n{\"end\":1}\n");
  std::string rej = read_file(dir.file("rej.ndjson"));
  EXPECT_EQ(count_lines(rej), 2u);
  const std::string reason =
      "\",\"_error\":\"invalid JSON: The JSON document was too deep (too many nested objects and "
      "arrays)\"}\n";
  EXPECT_EQ(count_of(rej, reason), 2u) << rej.substr(0, 300);
  EXPECT_NE(rej.find("\",\"_source\":\"" + d.input() + ":2" + reason), std::string::npos);
  EXPECT_NE(rej.find("\",\"_source\":\"" + d.input() + ":3" + reason), std::string::npos);
  EXPECT_EQ(summary_value(d.err(), "p", "in"), 4) << d.err();
  EXPECT_EQ(summary_value(d.err(), "p", "dead_lettered"), 2);
}

// Patterns that take exponential time in a backtracking engine; RE2 is linear, so these
// complete (a backtracking implementation would hang here until the test is killed).
TEST(HostileInput, ExponentialBacktrackingPatternsRunInLinearTime) {
  TempDir dir;
  FollowedDaemon d(dir, R"(    parse: { format: regex, pattern: '^(?P<word>(a+)+)$' }
    filter: 'word =~ "^(a|aa)+$" and word !~ "(.*a){20}b"'
    routes: [ { to: out } ]
    dead_letter: rej
)",
                   "  out: { type: file, path: " + dir.file("out.ndjson") +
                       ", encoding: json }\n  rej: { type: file, path: " + dir.file("rej.ndjson") +
                       ", encoding: json }\n");
  ASSERT_GT(d.pid(), 0);
  std::string long_a(200000, 'a');
  d.append(std::string(40, 'a') + "b\n" + long_a + "!\n" + long_a + "\naaa\n");
  ASSERT_TRUE(wait_until([&] {
    return ends_with(read_file(dir.file("out.ndjson")), "{\"word\":\"aaa\"}\n");
  })) << d.err();
  EXPECT_TRUE(alive(d.pid()));
  ASSERT_EQ(d.stop(), 0) << d.err();
  EXPECT_EQ(read_file(dir.file("out.ndjson")),
            "{\"word\":\"" + long_a + "\"}\n{\"word\":\"aaa\"}\n");
  EXPECT_EQ(read_file(dir.file("rej.ndjson")), "{\"_raw\":\"" + std::string(40, 'a') +
                                                   "b\",\"_source\":\"" + d.input() +
                                                   ":1\",\"_error\":\"does not match pattern\"}\n"
                                                   "{\"_raw\":\"" +
                                                   long_a + "!\",\"_source\":\"" + d.input() +
                                                   ":2\",\"_error\":\"does not match pattern\"}\n");
  EXPECT_EQ(summary_value(d.err(), "p", "in"), 4) << d.err();
}

TEST(HostileInput, UnterminatedQuotedCsvFieldAtEndOfFileIsADeadLetter) {
  TempDir dir;
  write_file(dir.file("a.csv"), "1,2\n3,\"open\n4,5");
  write_file(dir.file("b.csv"), "6,7\n");
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: file, paths: [" + dir.file("*.csv") +
                 "], follow: false }\n"
                 "    parse: { format: csv, columns: [a, b] }\n"
                 "    routes: [ { to: out } ]\n    dead_letter: rej\n"
                 "sinks:\n  out: { type: file, path: " +
                 dir.file("out.ndjson") + ", encoding: json }\n  rej: { type: file, path: " +
                 dir.file("rej.ndjson") + ", encoding: json }\n");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The open quote takes the rest of a.csv into its record; b.csv has its own framer.
  EXPECT_EQ(read_file(dir.file("out.ndjson")),
            "{\"a\":\"1\",\"b\":\"2\"}\n{\"a\":\"6\",\"b\":\"7\"}\n");
  EXPECT_EQ(read_file(dir.file("rej.ndjson")),
            "{\"_raw\":\"3,\\\"open\\n4,5\",\"_source\":\"" + dir.file("a.csv") +
                ":2\",\"_error\":\"unterminated quoted field\"}\n");
  EXPECT_EQ(summary_value(r.err, "p", "in"), 3) << r.err;
  EXPECT_EQ(summary_value(r.err, "p", "dead_lettered"), 1);
}

TEST(HostileInput, ThousandPipelinesDeliverEveryEventOnce) {
  TempDir dir;
  constexpr int kPipelines = 1000, kLines = 10;
  std::string config = "data_dir: " + dir.file("data") + "\npipelines:\n";
  std::string expected;
  for (int i = 0; i < kPipelines; ++i) {
    std::string name = "p" + std::to_string(i);
    std::string lines;
    for (int j = 0; j < kLines; ++j) {
      lines += name + "-" + std::to_string(j) + "\n";
    }
    write_file(dir.file(name + ".log"), lines);
    expected += lines;
    config += "  " + name + ":\n    source: { type: file, paths: [" + dir.file(name + ".log") +
              "], follow: false }\n    parse: { format: none }\n    routes: [ { to: out } ]\n";
  }
  config += "sinks:\n  out: { type: file, path: " + dir.file("out.log") + ", encoding: raw }\n";
  write_file(dir.file("c.yaml"), config);
  RunResult v = run_sluice({"validate", dir.file("c.yaml")});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
  int summaries = 0;
  for (int i = 0; i < kPipelines; ++i) {
    std::string name = "p" + std::to_string(i);
    summaries +=
        summary_value(r.err, name, "in") == kLines && summary_value(r.err, name, "out") == kLines;
  }
  EXPECT_EQ(summaries, kPipelines);
  // Pipelines interleave in the shared sink, so compare as sorted sets of lines.
  auto sorted_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto got = sorted_lines(read_file(dir.file("out.log")));
  auto want = sorted_lines(expected);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(std::adjacent_find(got.begin(), got.end()) == got.end()) << "duplicated lines";
  EXPECT_TRUE(got == want);
}

// Starts sluice so that permission bits bind it: as root it runs without CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH (through setpriv), otherwise as it is. Returns -1 if that cannot be done.
pid_t spawn_without_dac_override(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> argv;
  if (geteuid() == 0) {
    if (access("/usr/bin/setpriv", X_OK) != 0) {
      return -1;
    }
    argv = {"/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"};
  }
  argv.push_back(sluice_bin());
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> ptrs;
  for (auto& a : argv) {
    ptrs.push_back(a.data());
  }
  ptrs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::string out = dir + "/sluice.out", err = dir + "/sluice.err";
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, ptrs[0], &actions, nullptr, ptrs.data(), environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

TEST(HostileInput, UnreadableFileIsOneWarningAndIsReadOnceReadable) {
  TempDir dir;
  write_file(dir.file("locked.log"), "locked-1\nlocked-2\n");
  ASSERT_EQ(chmod(dir.file("locked.log").c_str(), 0), 0);
  write_file(dir.file("open.log"), "open-1\n");
  write_file(dir.file("c.yaml"), "data_dir: " + dir.file("data") +
                                     "\npipelines:\n  p:\n    source: { type: file, paths: [" +
                                     dir.file("*.log") +
                                     "], follow: true }\n    parse: { format: none }\n"
                                     "    routes: [ { to: out } ]\nsinks:\n  out: { type: file, "
                                     "path: " +
                                     dir.file("out/out.txt") + ", encoding: raw }\n");
  pid_t pid = spawn_without_dac_override({"run", "-c", dir.file("c.yaml")}, dir.path());
  if (pid < 0) {
    GTEST_SKIP() << "running as root and /usr/bin/setpriv is missing: cannot drop "
                    "CAP_DAC_OVERRIDE, so a mode-000 file would be readable";
  }
  const std::string warning =
      "file source: cannot open " + dir.file("locked.log") + ": Permission denied";
  bool ok = wait_until([&] {
    return read_file(dir.file("out/out.txt")) == "open-1\n" &&
           read_file(dir.file("sluice.err")).find(warning) != std::string::npos;
  });
  EXPECT_TRUE(ok) << read_file(dir.file("sluice.err"));
  EXPECT_TRUE(alive(pid));
  // Rescans (every 200 ms) go on while it stays unreadable; the warning is said once.
  append_file(dir.file("open.log"), "open-2\n");
  EXPECT_TRUE(wait_until([&] { return read_file(dir.file("out/out.txt")) == "open-1\nopen-2\n"; }));
  ASSERT_EQ(chmod(dir.file("locked.log").c_str(), 0644), 0);
  EXPECT_TRUE(wait_until([&] {
    return read_file(dir.file("out/out.txt")) == "open-1\nopen-2\nlocked-1\nlocked-2\n";
  })) << read_file(dir.file("out/out.txt"));
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 600), 0);
  std::string err = read_file(dir.file("sluice.err"));
  EXPECT_EQ(count_of(err, warning), 1u) << err;
  EXPECT_EQ(summary_value(err, "p", "in"), 4) << err;
  EXPECT_EQ(summary_value(err, "p", "out"), 4) << err;
}

}  // namespace
}  // namespace sluice::e2e
