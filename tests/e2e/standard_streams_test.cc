// End to end: sluice started with stdin, stdout or stderr closed (`sluice run -c C >&-`, a
// supervisor that closes them). Its own descriptors must not take their numbers, and a stdin
// source or stdout sink with nothing behind it is refused before anything runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "tests/e2e/e2e_util.h"

extern char** environ;

namespace sluice::e2e {
namespace {

// What the spawned sluice finds as descriptor 0, 1 or 2: a file (read for 0, created for
// writing for 1 and 2), or, with nullopt, a closed descriptor.
using Stream = std::optional<std::string>;

pid_t launch_with(const std::vector<std::string>& args, const Stream& in, const Stream& out,
                  const Stream& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const Stream* streams[3] = {&in, &out, &err};
  for (int fd = 0; fd < 3; ++fd) {
    if (!*streams[fd]) {
      posix_spawn_file_actions_addclose(&actions, fd);
    } else if (fd == 0) {
      posix_spawn_file_actions_addopen(&actions, fd, (*streams[fd])->c_str(), O_RDONLY, 0);
    } else {
      posix_spawn_file_actions_addopen(&actions, fd, (*streams[fd])->c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
  }
  std::vector<std::string> storage{sluice_bin()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Runs `sluice run -c dir/c.yaml` with the given streams; the exit code, or -1 when it had not
// ended after about 10 s (a hang: it was killed).
int run_with(const TempDir& dir, const Stream& in, const Stream& out, const Stream& err) {
  pid_t pid = launch_with({"run", "-c", dir.file("c.yaml")}, in, out, err);
  return pid < 0 ? -2 : wait_exit(pid, 100);
}

// One pipeline `p` reading `source` unparsed and sending every line to `archive`
// (dir/archive.log, the lines as read) and, with `console`, to a stdout sink `console` too.
void write_config(const TempDir& dir, const std::string& source, bool console = false) {
  std::string archive =
      "  archive: { type: file, path: " + dir.file("archive.log") + ", encoding: raw }\n";
  write_file(dir.file("c.yaml"),
             "data_dir: " + dir.file("data") + "\npipelines:\n  p:\n    source: " + source +
                 "\n    parse: { format: none }\n    routes: [ { to: " +
                 (console ? "[console, archive]" : "archive") + " } ]\nsinks:\n" + archive +
                 (console ? "  console: { type: stdout }\n" : ""));
}

const char* const kInput = "one\ntwo\n";

TEST(StandardStreams, ClosedStdoutWithStdoutSinkIsAnError) {
  TempDir dir;
  write_file(dir.file("in"), kInput);
  write_config(dir, "{ type: stdin }", /*console=*/true);
  EXPECT_EQ(run_with(dir, dir.file("in"), std::nullopt, dir.file("err")), 1);
  EXPECT_EQ(read_file(dir.file("err")),
            "sluice: error: sink console: stdout was closed when sluice started\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("archive.log")));
}

TEST(StandardStreams, ClosedStdoutWithFileSinkOnlyRuns) {
  TempDir dir;
  write_file(dir.file("in"), kInput);
  write_config(dir, "{ type: stdin }");
  EXPECT_EQ(run_with(dir, dir.file("in"), std::nullopt, dir.file("err")), 0)
      << read_file(dir.file("err"));
  EXPECT_EQ(read_file(dir.file("archive.log")), kInput);
}

// Without the check the source would read the placeholder (or, before placeholders, whatever
// descriptor took number 0) and either end at once or wait forever.
TEST(StandardStreams, ClosedStdinWithStdinSourceIsAnError) {
  TempDir dir;
  write_config(dir, "{ type: stdin }");
  EXPECT_EQ(run_with(dir, std::nullopt, dir.file("out"), dir.file("err")), 1);
  EXPECT_EQ(read_file(dir.file("err")),
            "sluice: error: pipeline p: source stdin: stdin was closed when sluice started\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("archive.log")));
  EXPECT_EQ(read_file(dir.file("out")), "");
}

// Log lines and the summary go to descriptor 2: with it closed they must go nowhere, not into
// whatever sluice opened next (the sink's file).
TEST(StandardStreams, ClosedStderrKeepsLogLinesOutOfSinkFiles) {
  TempDir dir;
  write_file(dir.file("in"), kInput);
  write_config(dir, "{ type: stdin }");
  EXPECT_EQ(run_with(dir, dir.file("in"), dir.file("out"), std::nullopt), 0);
  EXPECT_EQ(read_file(dir.file("archive.log")), kInput);
  EXPECT_EQ(read_file(dir.file("out")), "");
}

// A closed stdin matters only to a stdin source: a pipeline reading a file runs as usual.
TEST(StandardStreams, ClosedStdinWithFileSourceRuns) {
  TempDir dir;
  write_file(dir.file("in"), kInput);
  write_config(dir, "{ type: file, paths: [" + dir.file("in") + "], follow: false }");
  EXPECT_EQ(run_with(dir, std::nullopt, dir.file("out"), dir.file("err")), 0)
      << read_file(dir.file("err"));
  EXPECT_EQ(read_file(dir.file("archive.log")), kInput);
}

}  // namespace
}  // namespace sluice::e2e
