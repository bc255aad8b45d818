// End to end: configurations that used to hang, crash, corrupt events or leak internal text, run
// through the real binary. Each must end `validate` and `run` alike with exit 78 and one clear
// line per problem, `FILE:LINE:COL: message` where the problem has a place in the file. The
// scenarios are listed in docs/RELIABILITY.md.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

constexpr size_t kCapBytes = size_t{4} << 20;  // daemon/config_file.h: kMaxConfigBytes

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// A valid configuration of exactly `bytes` bytes: comment lines pad a small generate pipeline.
std::string padded_config(size_t bytes) {
  std::string config =
      "pipelines:\n"
      "  g:\n"
      "    source: { type: generate, count: 1 }\n"
      "    routes: [{ to: out }]\n"
      "sinks:\n"
      "  out: { type: \"null\" }\n";
  std::string line = "#" + std::string(98, 'x') + "\n";
  while (config.size() + line.size() <= bytes) {
    config += line;
  }
  if (config.size() < bytes) {
    config += "#" + std::string(bytes - config.size() - 2, 'x') + "\n";
  }
  return config;
}

// `validate` and `run` refuse the configuration at `path` alike: exit 78, exactly `expected` on
// stderr, and run starts nothing.
void expect_refused_alike(const std::string& path, const std::string& expected) {
  RunResult validate = run_sluice({"validate", path});
  EXPECT_EQ(validate.exit_code, 78);
  EXPECT_EQ(validate.err, expected);
  RunResult run = run_sluice({"run", "-c", path}, "x\n");
  EXPECT_EQ(run.exit_code, 78);
  EXPECT_EQ(run.err, expected);
  EXPECT_EQ(run.out, "");
}

TEST(ConfigHardening, ValidateDevZeroEndsWithOneLine) {
  RunResult r = run_sluice({"validate", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_TRUE(contains(r.err, "configuration /dev/zero is larger than 4 MiB;")) << r.err;
}

TEST(ConfigHardening, RunDevZeroEndsWithOneLineNotBadAlloc) {
  RunResult r = run_sluice({"run", "-c", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_TRUE(contains(r.err, "configuration /dev/zero is larger than 4 MiB;")) << r.err;
  EXPECT_FALSE(contains(r.err, "bad_alloc")) << r.err;
}

TEST(ConfigHardening, FileJustOverTheCapIsRefusedAndOneAtTheCapLoads) {
  TempDir dir;
  write_file(dir.file("at.yaml"), padded_config(kCapBytes));
  write_file(dir.file("over.yaml"), padded_config(kCapBytes + 1));
  RunResult at = run_sluice({"validate", dir.file("at.yaml")});
  EXPECT_EQ(at.exit_code, 0) << at.err;
  EXPECT_EQ(at.err, "");
  RunResult over = run_sluice({"validate", dir.file("over.yaml")});
  EXPECT_EQ(over.exit_code, 78);
  EXPECT_EQ(count_lines(over.err), 1u) << over.err;
  EXPECT_TRUE(
      contains(over.err, "configuration " + dir.file("over.yaml") + " is larger than 4 MiB;"))
      << over.err;
}

TEST(ConfigHardening, ConfigOnStdinIsCappedToo) {
  // sluice stops reading past the cap and exits while this test is still writing: the write
  // must fail with EPIPE rather than kill the test.
  signal(SIGPIPE, SIG_IGN);
  RunResult over = run_sluice({"validate", "-"}, padded_config(kCapBytes + 4096));
  EXPECT_EQ(over.exit_code, 78);
  EXPECT_EQ(count_lines(over.err), 1u) << over.err;
  EXPECT_TRUE(contains(over.err, "configuration <stdin> is larger than 4 MiB;")) << over.err;
  RunResult small = run_sluice({"validate", "-"}, padded_config(4096));
  EXPECT_EQ(small.exit_code, 0) << small.err;
}

TEST(ConfigHardening, DirectoryIsOneClearLine) {
  TempDir dir;
  RunResult r = run_sluice({"validate", dir.path()});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, "sluice: error: configuration " + dir.path() + " is a directory, not a file\n");
}

TEST(ConfigHardening, SecondStdinPipelineIsRefusedAtItsType) {
  TempDir dir;
  const std::string path = dir.file("two.yaml");
  write_file(path,
             "pipelines:\n"
             "  a:\n"
             "    source: { type: stdin }\n"
             "    routes: [{ to: out }]\n"
             "  b:\n"
             "    source:\n"
             "      type: stdin\n"
             "    routes: [{ to: out }]\n"
             "sinks:\n"
             "  out: { type: stdout }\n");
  const std::string expected =
      path +
      ":7:13: pipelines.b.source.type: pipeline 'a' already reads stdin; only one pipeline can "
      "read it (two would split its input between them)\n";
  expect_refused_alike(path, expected);
}

TEST(ConfigHardening, ReferencesInNamesAndListsNeverShowPlaceholders) {
  TempDir dir;
  const std::string path = dir.file("refs.yaml");
  write_file(path,
             "pipelines:\n"
             "  ${NAME}:\n"
             "    source: { type: stdin }\n"
             "    routes: [${ROUTE}]\n"
             "sinks:\n"
             "  ${SINK}: { type: stdout }\n");
  RunResult r = run_sluice({"validate", path}, "",
                           {{"NAME", "web"}, {"ROUTE", "{to: out}"}, {"SINK", "out"}});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err,
            path +
                ":2:3: pipelines: key '${NAME}' holds an environment reference; references are "
                "replaced in values only, so write the key itself\n" +
                path +
                ":4:14: pipelines.${NAME}.routes[0]: expected a mapping, got '${ROUTE}' (a ${...} "
                "reference is replaced by text, never by a list or a mapping)\n" +
                path +
                ":6:3: sinks: key '${SINK}' holds an environment reference; references are "
                "replaced in values only, so write the key itself\n");
  // Placeholders start with 'Z' and a capital; the file has none, so none may reach stderr (the
  // random temporary path aside).
  std::string messages = r.err;
  for (size_t at = messages.find(path); at != std::string::npos; at = messages.find(path)) {
    messages.erase(at, path.size());
  }
  for (char c = 'A'; c <= 'Z'; ++c) {
    EXPECT_FALSE(contains(messages, std::string("Z") + c)) << r.err;
  }
}

TEST(ConfigHardening, ControlCharacterInPipelineNameIsRefused) {
  TempDir dir;
  const std::string path = dir.file("name.yaml");
  write_file(path,
             "pipelines:\n"
             "  \"web\\nerrors\":\n"
             "    source: { type: generate, count: 1 }\n"
             "    routes: [{ to: out }]\n"
             "sinks:\n"
             "  out: { type: \"null\" }\n");
  const std::string expected =
      path +
      ":2:7: pipelines: pipeline name 'web\\nerrors' contains a control character; names are "
      "written into log lines, metric labels and the run summary, so use printable text\n";
  expect_refused_alike(path, expected);
}

// Keys the build cannot honour are refused with their position by both commands: exactly-once
// delivery is not built, and bounds below what the daemon would use are not raised silently.
// The metrics block beside them is accepted by both (validate binds nothing).
TEST(ConfigHardening, KeysTheBuildCannotHonourAreRefusedByValidateAsByRun) {
  TempDir dir;
  const std::string path = dir.file("c.yaml");
  write_file(path,
             "metrics: { listen: 127.0.0.1:9598 }\n"
             "pipelines:\n"
             "  p:\n"
             "    source: { type: stdin, max_event_bytes: 16 }\n"
             "    routes: [{ to: out }]\n"
             "    queue: { max_bytes: 1KiB }\n"
             "    delivery: exactly_once\n"
             "sinks:\n"
             "  out: { type: stdout }\n");
  const std::string expected =
      path +
      ":4:45: pipelines.p.source.max_event_bytes: must be at least 4096 bytes (the stream reader "
      "cuts records only past that length, so a smaller limit would not hold), got '16'\n" +
      path +
      ":5:20: sink 'out' is a stdout sink, but pipeline 'p' has delivery: exactly_once (line 7), "
      "which writes to file sinks only: a restart can cut a file back to its recorded length, "
      "not take back what was sent\n" +
      path +
      ":6:25: pipelines.p.queue.max_bytes: must be at least 2097152 bytes (it is split over the "
      "pipeline's two queues, and each holds at least one batch of 1MiB), got '1KiB'\n" +
      path +
      ":7:15: pipelines.p.delivery: exactly_once needs a source that resumes where it stopped (a "
      "file source with follow: true); a stdin source cannot be read again from a recorded "
      "position\n";
  expect_refused_alike(path, expected);
}

// Every example the README points to is accepted by the binary's validate (which builds the
// pipelines as run does); the one that ends by itself on its input runs to the same verdict.
TEST(ConfigHardening, EveryExampleIsValidAndTheFiniteOneRuns) {
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() + "/config")) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    ++examples;
    RunResult validate = run_sluice({"validate", entry.path().string()});
    EXPECT_EQ(validate.exit_code, 0) << entry.path();
    EXPECT_EQ(validate.err, "") << entry.path();
  }
  EXPECT_GE(examples, 4);
  RunResult run = run_sluice({"run", "-c", source_dir() + "/config/stdin-json.yaml"},
                             "{\"status\": \"200\", \"path\": \"/\"}\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "{\"status\":200,\"path\":\"/\"}\n");
}

TEST(ConfigHardening, MemoryLimitTooSmallIsRefusedWithTheSmallestWorkable) {
  TempDir dir;
  const std::string path = dir.file("mem.yaml");
  write_file(path,
             "memory_limit: 1MiB\n"
             "pipelines:\n"
             "  p:\n"
             "    source: { type: stdin }\n"
             "    routes: [{ to: out }]\n"
             "sinks:\n"
             "  out: { type: stdout }\n");
  const std::string expected =
      path +
      ":1:15: memory_limit 1MiB is too small for pipeline 'p': it reads records of up to "
      "max_event_bytes 1MiB into buffers of 2MiB; the smallest workable memory_limit for this "
      "configuration is 2MiB\n";
  expect_refused_alike(path, expected);
}

}  // namespace
}  // namespace sluice::e2e
