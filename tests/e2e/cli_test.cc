// End to end: the command line of SPEC §1 through the real binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <filesystem>

#include "tests/e2e/e2e_util.h"

extern char** environ;

namespace sluice::e2e {
namespace {

// Starts sluice with `args` in directory `cwd` (so a demo run by mistake would write under it,
// not under the build tree), stdin from /dev/null, stdout to `out_fd` when it is >= 0 or else to
// the file `out_path`, stderr to cwd/err. SIGPIPE is set back to its default, so how the binary
// treats a vanished reader does not depend on what the test runner ignores.
pid_t launch(const std::vector<std::string>& args, const TempDir& cwd, const std::string& out_path,
             int out_fd = -1) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.path().c_str());
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  std::string err = cwd.file("err");
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> storage{sluice_bin()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ) != 0) {
    pid = -1;
  }
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Runs sluice in `cwd` with stdout to /dev/null; the exit code, or -1 if it had not ended after
// about 10 s (then it was killed: an endless run where a refusal was expected).
int run_in(const std::vector<std::string>& args, const TempDir& cwd) {
  pid_t pid = launch(args, cwd, "/dev/null");
  return pid < 0 ? -2 : wait_exit(pid, 100);
}

// A finite config: five generated events to dir/out.csv, its state under dir/data.
std::string write_finite_config(const TempDir& dir) {
  write_file(dir.file("c.yaml"), "data_dir: " + dir.file("data") +
                                     "\npipelines:\n  p:\n    source: { type: generate, count: 5 "
                                     "}\n    parse: { format: none }\n    routes: [ { to: out } "
                                     "]\nsinks:\n  out: { type: file, path: " +
                                     dir.file("out.csv") + " }\n");
  return dir.file("c.yaml");
}

bool demo_ran(const TempDir& cwd) { return std::filesystem::exists(cwd.file("sluice-data")); }

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

// EX_USAGE, with the one offending flag named and a pointer to --help, not the help itself.
TEST(Cli, UnknownOptionIsAUsageError) {
  RunResult r = run_sluice({"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(count_lines(r.err), 2u) << r.err;
  EXPECT_EQ(r.err.rfind("sluice: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sluice --help"), std::string::npos) << r.err;
}

TEST(Cli, MissingConfigValueIsAUsageError) {
  RunResult r = run_sluice({"run", "-c"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(count_lines(r.err), 2u) << r.err;
  EXPECT_NE(r.err.find("--config"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sluice run --help"), std::string::npos) << r.err;
}

// `ExecStart=sluice run -c ${CFG}` with CFG unset: a refusal, never the embedded demo.
TEST(Cli, EmptyConfigIsAUsageErrorNotTheDemo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", "-c", ""}, {"-c", ""}}) {
    TempDir cwd;
    EXPECT_EQ(run_in(args, cwd), 64) << args.size();
    std::string err = read_file(cwd.file("err"));
    EXPECT_EQ(count_lines(err), 1u) << err;
    EXPECT_NE(err.find("empty file name"), std::string::npos) << err;
    EXPECT_FALSE(demo_ran(cwd));
  }
}

TEST(Cli, ConfigBeforeAndAfterRunIsAUsageError) {
  TempDir cwd;
  std::string config = write_finite_config(cwd);
  EXPECT_EQ(run_in({"-c", config, "run", "-c", config}, cwd), 64);
  std::string err = read_file(cwd.file("err"));
  EXPECT_EQ(count_lines(err), 1u) << err;
  EXPECT_NE(err.find("both before and after 'run'"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(cwd.file("out.csv")));
  EXPECT_FALSE(demo_ran(cwd));
}

TEST(Cli, ConfigBeforeAnotherCommandIsAUsageError) {
  TempDir cwd;
  std::string config = write_finite_config(cwd);
  EXPECT_EQ(run_in({"-c", config, "validate", config}, cwd), 64);
  EXPECT_NE(read_file(cwd.file("err")).find("not to 'validate'"), std::string::npos);
  EXPECT_EQ(run_in({"-c", config, "gen", "--count", "1"}, cwd), 64);
  EXPECT_NE(read_file(cwd.file("err")).find("not to 'gen'"), std::string::npos);
}

// `sluice -c FILE run` runs FILE, like `sluice -c FILE` and `sluice run -c FILE`.
TEST(Cli, ConfigBeforeRunRunsThatConfig) {
  TempDir cwd;
  std::string config = write_finite_config(cwd);
  EXPECT_EQ(run_in({"-c", config, "run"}, cwd), 0) << read_file(cwd.file("err"));
  EXPECT_EQ(count_lines(read_file(cwd.file("out.csv"))), 5u);
  EXPECT_FALSE(demo_ran(cwd));
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
  EXPECT_EQ(r.exit_code, 64);
}

// A negative count once wrapped to 2^64 - 5 events: an endless run (stdout is /dev/null here,
// and run_in gives up after about 10 s).
TEST(Gen, NegativeCountIsAUsageError) {
  TempDir cwd;
  EXPECT_EQ(run_in({"gen", "--count", "-5"}, cwd), 64);
  std::string err = read_file(cwd.file("err"));
  EXPECT_NE(err.find("--count"), std::string::npos) << err;
  EXPECT_EQ(run_in({"gen", "--count", "1", "--seed", "-1"}, cwd), 64);
}

// Bounded like the test above: a count out of 64 bits was once taken as 2^64 - 1 (endless).
TEST(Gen, NonNumericCountIsAUsageError) {
  for (const char* count : {"abc", "1.5", "", "5x", "+5", "99999999999999999999999"}) {
    TempDir cwd;
    EXPECT_EQ(run_in({"gen", "--count", count}, cwd), 64) << count;
    std::string err = read_file(cwd.file("err"));
    EXPECT_EQ(count_lines(err), 2u) << count << ": " << err;
    EXPECT_NE(err.find("is not a whole number"), std::string::npos) << count << ": " << err;
  }
}

TEST(Gen, WriteErrorIsOneLineAndFailure) {
  TempDir cwd;
  pid_t pid = launch({"gen", "--count", "100000"}, cwd, "/dev/full");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid, 100), 1);
  EXPECT_EQ(read_file(cwd.file("err")),
            "sluice: error: gen: cannot write stdout: No space left on device\n");
}

// Like `yes | head`: the reader leaving is how an endless gen is meant to end.
TEST(Gen, ReaderGoneIsQuietSuccess) {
  TempDir cwd;
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = launch({"gen"}, cwd, "", fds[1]);
  close(fds[1]);
  ASSERT_GT(pid, 0);
  char buf[4096];
  ASSERT_GT(read(fds[0], buf, sizeof(buf)), 0);  // it is writing
  close(fds[0]);
  EXPECT_EQ(wait_exit(pid, 100), 0);
  EXPECT_EQ(read_file(cwd.file("err")), "");
}

}  // namespace
}  // namespace sluice::e2e
