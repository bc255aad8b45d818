// End to end: the hardening round's findings (docs/RELIABILITY.md, findings 5-13), each through
// the real binary: the memory budget never deadlocks against itself, SIGTERM ends a process
// whose sink or source is blocked in a system call, a full disk clears, every event that
// entered ends in a bucket of the summary, files are opened within a descriptor bound, and a
// thread that cannot be created is one line. Numbered events make loss and duplication exact.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

std::string numbered_line(unsigned long long n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%010llu\n", n);
  return buf;
}

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) {
      nl = text.size();
    }
    out.insert(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

// in = out + filtered + dead_lettered + dropped + undelivered, read off the summary line.
void expect_books_close(const std::string& err, const std::string& pipeline) {
  long long in = summary_value(err, pipeline, "in");
  long long sum = summary_value(err, pipeline, "out") + summary_value(err, pipeline, "filtered") +
                  summary_value(err, pipeline, "dead_lettered") +
                  summary_value(err, pipeline, "dropped") +
                  summary_value(err, pipeline, "undelivered");
  EXPECT_GT(in, 0) << err;
  EXPECT_EQ(in, sum) << err;
  EXPECT_EQ(err.find("unaccounted="), std::string::npos) << err;
}

// A child sluice with chosen standard descriptors, resource limits and user. Everything the
// child runs between fork and exec is async-signal-safe.
struct ChildOptions {
  int stdin_fd = -1;   // -1: /dev/null
  int stdout_fd = -1;  // -1: dir/sluice.out
  rlim_t max_files = 0;
  rlim_t max_processes = 0;
  uid_t uid = 0;  // 0: unchanged
  gid_t gid = 0;
  std::vector<std::string> extra_env;  // NAME=value, after the test's own environment
};

pid_t spawn_child(const std::vector<std::string>& args, const TempDir& dir, const ChildOptions& o) {
  std::vector<std::string> storage{sluice_bin()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    // An extra NAME=value replaces the inherited one (getenv finds the first).
    std::string_view entry(*e);
    bool replaced = std::any_of(o.extra_env.begin(), o.extra_env.end(), [&](const std::string& x) {
      return entry.substr(0, entry.find('=') + 1) == x.substr(0, x.find('=') + 1);
    });
    if (!replaced) {
      env_storage.emplace_back(entry);
    }
  }
  env_storage.insert(env_storage.end(), o.extra_env.begin(), o.extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  std::string out = dir.file("sluice.out");
  std::string err = dir.file("sluice.err");
  int in_fd = o.stdin_fd >= 0 ? o.stdin_fd : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out_fd = o.stdout_fd >= 0
                   ? o.stdout_fd
                   : ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    signal(SIGPIPE, SIG_DFL);
    if (o.max_files > 0) {
      rlimit l{o.max_files, o.max_files};
      ::setrlimit(RLIMIT_NOFILE, &l);
    }
    if (o.uid != 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(o.gid) != 0 || ::setuid(o.uid) != 0) {
        ::_exit(126);
      }
    }
    if (o.max_processes > 0) {
      rlimit l{o.max_processes, o.max_processes};
      ::setrlimit(RLIMIT_NPROC, &l);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  if (o.stdin_fd < 0) {
    ::close(in_fd);
  }
  if (o.stdout_fd < 0) {
    ::close(out_fd);
  }
  ::close(err_fd);
  return pid;
}

std::string err_of(const TempDir& dir) { return read_file(dir.file("sluice.err")); }

// Writes dir/c.yaml: one pipeline `p` reading the files of `glob` line by line into
// dir/out.log unchanged; `top` goes before `pipelines:` (memory_limit...).
void write_files_to_file_config(const TempDir& dir, const std::string& glob, bool follow,
                                const std::string& top = "") {
  write_file(dir.file("c.yaml"), top + "pipelines:\n  p:\n    source: { type: file, paths: [" +
                                     glob + "], follow: " + (follow ? "true" : "false") +
                                     " }\n    parse: { format: none }\n"
                                     "    routes: [ { to: out } ]\nsinks:\n  out: { type: file, "
                                     "path: " +
                                     dir.file("out.log") + ", encoding: raw }\n");
}

// Creates `count` files dir/in/f<i>.log, file i holding `content(i)`.
void make_input_files(const TempDir& dir, int count,
                      const std::function<std::string(int)>& content) {
  std::filesystem::create_directories(dir.file("in"));
  for (int i = 0; i < count; ++i) {
    write_file(dir.file("in/f" + std::to_string(i) + ".log"), content(i));
  }
}

// ---------------------------------------------------------------------------------------------
// Finding 5: the memory budget deadlocked against itself.

TEST(HardeningMemory, ElevenHundredOneLineFilesAllFinishUnderTheDefaultLimit) {
  // Each open file used to keep a 512 KiB read batch until the source ended: the 1,025th file
  // waited forever for budget its own thread held.
  TempDir dir;
  make_input_files(dir, 1100, [](int i) { return numbered_line(i); });
  std::string expected;
  for (int i = 0; i < 1100; ++i) {
    expected += numbered_line(i);
  }
  write_files_to_file_config(dir, dir.file("in/*.log"), false);
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  ASSERT_EQ(wait_exit(pid, 600), 0) << err_of(dir);
  EXPECT_EQ(lines_of(read_file(dir.file("out.log"))), lines_of(expected));
  EXPECT_EQ(summary_value(err_of(dir), "p", "out"), 1100) << err_of(dir);
}

TEST(HardeningMemory, FollowedFilesBeyondTheBudgetKeepFlowing) {
  // 300 followed files against 16 MiB: with a batch held per file, appends stopped after 32.
  TempDir dir;
  constexpr int kFiles = 300;
  make_input_files(dir, kFiles, [](int) { return std::string(); });
  write_files_to_file_config(dir, dir.file("in/*.log"), true, "memory_limit: 16MiB\n");
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(wait_until([&] { return err_of(dir).find("running") != std::string::npos; }));
  std::string expected;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kFiles; ++i) {
      std::string line = numbered_line(round * kFiles + i);
      append_file(dir.file("in/f" + std::to_string(i) + ".log"), line);
      expected += line;
    }
    EXPECT_TRUE(wait_until(
        [&] {
          return count_lines(read_file(dir.file("out.log"))) ==
                 static_cast<size_t>(kFiles * (round + 1));
        },
        600))
        << "round " << round << ": " << count_lines(read_file(dir.file("out.log")));
  }
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 300), 0) << err_of(dir);
  EXPECT_EQ(lines_of(read_file(dir.file("out.log"))), lines_of(expected));
  EXPECT_EQ(summary_value(err_of(dir), "p", "out"), 2 * kFiles) << err_of(dir);
}

TEST(HardeningMemory, LongLinesOnStdinUnderASmallLimitAllComeThrough) {
  // The reader used to ask for the next batch (twice the carried tail) while holding the
  // current one: with 8 MiB and multi-MB lines, 2 lines came out and it hung.
  TempDir dir;
  std::string input;
  // 30 lines of 1.0-4.2 MB: with these sizes the old reader ended up holding a batch while it
  // waited for a larger one (it hung after the first few lines).
  size_t lines = 0;
  for (size_t bytes :
       {1563564, 3387414, 1264689, 2069837, 1494586, 3078005, 2885302, 2980740, 3732979, 2592221,
        1880614, 1393675, 3046219, 1118897, 2634976, 2815156, 3547779, 1008833, 3918534, 2868089,
        2117071, 4026358, 1959498, 3479477, 1428771, 2331396, 1128303, 1093625, 1106727, 3724393}) {
    input += std::string(bytes, static_cast<char>('a' + lines % 26)) + "\n";
    ++lines;
  }
  write_file(dir.file("in.txt"), input);
  write_file(dir.file("c.yaml"),
             "memory_limit: 8MiB\npipelines:\n  p:\n    source: { type: stdin, max_event_bytes: "
             "4MiB }\n    parse: { format: none }\n    routes: [ { to: out } ]\nsinks:\n  out: { "
             "type: file, path: " +
                 dir.file("out.txt") + ", encoding: raw }\n");
  ChildOptions o;
  o.stdin_fd = ::open(dir.file("in.txt").c_str(), O_RDONLY);
  pid_t pid = spawn_child({"run", "-c", dir.file("c.yaml")}, dir, o);
  ::close(o.stdin_fd);
  ASSERT_EQ(wait_exit(pid, 600), 0) << err_of(dir);
  EXPECT_TRUE(read_file(dir.file("out.txt")) == input) << "output differs from input";
  EXPECT_EQ(summary_value(err_of(dir), "p", "out"), static_cast<long long>(lines)) << err_of(dir);
}

// ---------------------------------------------------------------------------------------------
// Finding 6: SIGTERM did not stop a process whose sink was blocked in write(2) or whose source
// was blocked in open(2); a second SIGTERM was ignored.

// A daemon generating events into a FIFO that the test holds open and never reads.
class BlockedFifoDaemon {
 public:
  BlockedFifoDaemon(const TempDir& dir, const std::string& shutdown_timeout) : dir_(dir) {
    fifo_ = dir.file("out.fifo");
    EXPECT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
    reader_ = ::open(fifo_.c_str(), O_RDONLY | O_NONBLOCK);
    write_file(dir.file("c.yaml"), "shutdown_timeout: " + shutdown_timeout +
                                       "\npipelines:\n  p:\n    source: { type: generate, "
                                       "format: csv }\n    parse: { format: none }\n"
                                       "    routes: [ { to: out } ]\nsinks:\n  out: { type: "
                                       "file, path: " +
                                       fifo_ + ", encoding: raw }\n");
    pid_ = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  }
  ~BlockedFifoDaemon() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    ::close(reader_);
  }
  // True once the FIFO is full: the sink is blocked in write(2).
  bool wait_blocked() {
    return wait_until([&] {
      int queued = 0;
      return ::ioctl(reader_, FIONREAD, &queued) == 0 && queued >= 60 * 1024;
    });
  }
  pid_t pid() const { return pid_; }

 private:
  const TempDir& dir_;
  std::string fifo_;
  int reader_ = -1;
  pid_t pid_ = -1;
};

TEST(HardeningShutdown, SigtermEndsASinkBlockedOnAFifoAtTheTimeoutWithExit1) {
  TempDir dir;
  BlockedFifoDaemon d(dir, "2s");
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(d.wait_blocked());
  kill(d.pid(), SIGTERM);
  // shutdown_timeout is 2 s; the bound here is 10 s.
  EXPECT_EQ(wait_exit(d.pid(), 100), 1) << err_of(dir);
  std::string err = err_of(dir);
  EXPECT_NE(err.find("shutdown_timeout reached"), std::string::npos) << err;
  EXPECT_GT(summary_value(err, "p", "undelivered"), 0) << err;
  expect_books_close(err, "p");
}

TEST(HardeningShutdown, SecondSigtermAbortsAtOnceWithTheSameHonesty) {
  TempDir dir;
  BlockedFifoDaemon d(dir, "600s");
  ASSERT_GT(d.pid(), 0);
  ASSERT_TRUE(d.wait_blocked());
  kill(d.pid(), SIGTERM);
  EXPECT_TRUE(wait_until([&] { return err_of(dir).find("stopping") != std::string::npos; }));
  kill(d.pid(), SIGTERM);
  // The drain would wait 600 s; the second signal ends it within this 10 s bound.
  EXPECT_EQ(wait_exit(d.pid(), 100), 1) << err_of(dir);
  std::string err = err_of(dir);
  EXPECT_NE(err.find("stopped by a second signal"), std::string::npos) << err;
  expect_books_close(err, "p");
}

TEST(HardeningShutdown, SigtermEndsAStdoutSinkWhoseReaderStoppedReading) {
  TempDir dir;
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  write_file(dir.file("c.yaml"),
             "shutdown_timeout: 2s\npipelines:\n  p:\n    source: { type: "
             "generate, format: csv }\n    parse: { format: none }\n"
             "    routes: [ { to: out } ]\nsinks:\n  out: { type: stdout, "
             "encoding: raw }\n");
  ChildOptions o;
  o.stdout_fd = pipe_fds[1];
  pid_t pid = spawn_child({"run", "-c", dir.file("c.yaml")}, dir, o);
  ::close(pipe_fds[1]);
  ASSERT_TRUE(wait_until([&] {
    int queued = 0;
    return ::ioctl(pipe_fds[0], FIONREAD, &queued) == 0 && queued >= 60 * 1024;
  }));
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 100), 1) << err_of(dir);
  expect_books_close(err_of(dir), "p");
  ::close(pipe_fds[0]);
}

TEST(HardeningShutdown, FifoMatchedByAGlobIsSkippedNotWaitedOn) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("in"));
  write_file(dir.file("in/a.log"), numbered_line(1) + numbered_line(2));
  ASSERT_EQ(::mkfifo(dir.file("in/b.log").c_str(), 0600), 0);
  write_files_to_file_config(dir, dir.file("in/*.log"), false);
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  // A finite run that did not read all its inputs fails.
  EXPECT_EQ(wait_exit(pid, 100), 1) << err_of(dir);
  std::string err = err_of(dir);
  EXPECT_NE(err.find(dir.file("in/b.log") + " is not a regular file; skipped"), std::string::npos)
      << err;
  EXPECT_NE(err.find("1 of 2 files could not be read"), std::string::npos) << err;
  EXPECT_EQ(read_file(dir.file("out.log")), numbered_line(1) + numbered_line(2));
}

// ---------------------------------------------------------------------------------------------
// Finding 7: a full disk that never cleared (idle sinks kept their disk reserves).

TEST(HardeningDisk, ThreeSinksSharingASmallDiskAllFinish) {
  TempDir dir;
  TmpfsMount disk(dir.file("disk"), "size=5m");
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a 5 MiB tmpfs (needs root or CAP_SYS_ADMIN): " << disk.error();
  }
  // Three inputs of 1.47 MB (4.4 MB in all, on 5 MiB): the first two finish while the third
  // still writes; their reserves must not keep it from the space.
  std::string config = "pipelines:\n";
  std::vector<std::string> inputs;
  for (int p = 0; p < 3; ++p) {
    std::string input;
    for (unsigned long long n = 0; n < 133636; ++n) {
      input += numbered_line(p * 1000000ull + n);
    }
    inputs.push_back(input);
    std::string name = "p" + std::to_string(p);
    write_file(dir.file(name + ".in"), input);
    config += "  " + name + ":\n    source: { type: file, paths: [" + dir.file(name + ".in") +
              "], follow: false }\n    parse: { format: none }\n    routes: [ { to: " + name +
              " } ]\n";
  }
  config += "sinks:\n";
  for (int p = 0; p < 3; ++p) {
    std::string name = "p" + std::to_string(p);
    config += "  " + name + ": { type: file, path: " + dir.file("disk/" + name + ".out") +
              ", encoding: raw }\n";
  }
  write_file(dir.file("c.yaml"), config);
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_EQ(wait_exit(pid, 600), 0) << err_of(dir);
  for (int p = 0; p < 3; ++p) {
    std::string name = "p" + std::to_string(p);
    EXPECT_TRUE(read_file(dir.file("disk/" + name + ".out")) == inputs[p]) << name;
    EXPECT_EQ(summary_value(err_of(dir), name, "out"), 133636) << err_of(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Finding 8: `out` counted events that were never written, and a broken stdout was retried
// forever.

TEST(HardeningAccounting, BrokenStdoutEndsTheRunAndEveryEventIsInABucket) {
  TempDir dir;
  std::string input;
  for (unsigned long long n = 0; n < 200000; ++n) {
    input += numbered_line(n);
  }
  write_file(dir.file("in.txt"), input);
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: stdin }\n    parse: { "
             "format: none }\n    routes: [ { to: out } ]\nsinks:\n  out: { "
             "type: stdout, encoding: raw }\n");
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ChildOptions o;
  o.stdin_fd = ::open(dir.file("in.txt").c_str(), O_RDONLY);
  o.stdout_fd = pipe_fds[1];
  pid_t pid = spawn_child({"run", "-c", dir.file("c.yaml")}, dir, o);
  ::close(o.stdin_fd);
  ::close(pipe_fds[1]);
  char first[11];
  ASSERT_EQ(::read(pipe_fds[0], first, sizeof(first)), static_cast<ssize_t>(sizeof(first)));
  ::close(pipe_fds[0]);  // like `| head -1`
  EXPECT_EQ(wait_exit(pid, 100), 1) << err_of(dir);
  std::string err = err_of(dir);
  EXPECT_NE(err.find("sink out: cannot write stdout: Broken pipe; the output is gone"),
            std::string::npos)
      << err;
  EXPECT_GT(summary_value(err, "p", "undelivered"), 0) << err;
  EXPECT_LT(summary_value(err, "p", "out"), 200000) << err;
  expect_books_close(err, "p");
}

// ---------------------------------------------------------------------------------------------
// Finding 9: files that could not be opened (descriptor limit) were skipped, and the run
// exited 0.

TEST(HardeningFiles, TwoThousandFilesUnderSixtyFourDescriptorsAreAllRead) {
  TempDir dir;
  make_input_files(dir, 2000, [](int i) { return numbered_line(i); });
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    expected += numbered_line(i);
  }
  write_files_to_file_config(dir, dir.file("in/*.log"), false);
  ChildOptions o;
  o.max_files = 64;
  pid_t pid = spawn_child({"run", "-c", dir.file("c.yaml")}, dir, o);
  ASSERT_EQ(wait_exit(pid, 600), 0) << err_of(dir);
  EXPECT_EQ(lines_of(read_file(dir.file("out.log"))), lines_of(expected));
  EXPECT_EQ(err_of(dir).find("cannot open"), std::string::npos) << err_of(dir);
}

TEST(HardeningFiles, FollowedFilesBeyondTheDescriptorBoundAreStillFollowed) {
  // 100 followed files with 64 descriptors (16 open at once): idle files are closed and
  // reopened by path, resuming where they stopped, an incomplete last line included.
  TempDir dir;
  constexpr int kFiles = 100;
  make_input_files(dir, kFiles, [](int) { return std::string(); });
  write_files_to_file_config(dir, dir.file("in/*.log"), true);
  ChildOptions o;
  o.max_files = 64;
  pid_t pid = spawn_child({"run", "-c", dir.file("c.yaml")}, dir, o);
  EXPECT_TRUE(wait_until([&] { return err_of(dir).find("running") != std::string::npos; }));
  std::string expected;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kFiles; ++i) {
      std::string line = numbered_line(round * kFiles + i);
      // Round 1 writes each line in two halves, the second only in round 2's pass.
      std::string path = dir.file("in/f" + std::to_string(i) + ".log");
      if (round == 1) {
        append_file(path, line.substr(0, 5));
      } else if (round == 2) {
        append_file(path, numbered_line(kFiles + i).substr(5) + line);
      } else {
        append_file(path, line);
      }
      expected += round == 1 ? "" : line;
      if (round == 2) {
        expected += numbered_line(kFiles + i);
      }
    }
    if (round == 1) {
      continue;
    }
    size_t want = round == 0 ? kFiles : 3 * kFiles;
    EXPECT_TRUE(
        wait_until([&] { return count_lines(read_file(dir.file("out.log"))) == want; }, 600))
        << "round " << round << ": " << count_lines(read_file(dir.file("out.log")));
  }
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, 300), 0) << err_of(dir);
  EXPECT_EQ(lines_of(read_file(dir.file("out.log"))), lines_of(expected));
  EXPECT_EQ(count_lines(read_file(dir.file("out.log"))), 3u * kFiles) << "no duplicates";
}

// ---------------------------------------------------------------------------------------------
// Finding 10 and smaller ones: process limits and messages.

TEST(HardeningProcess, ThreadLimitIsOneLineNotAnAbort) {
  if (::getuid() != 0) {
    GTEST_SKIP() << "needs root to run the daemon as another user with a process limit";
  }
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: generate, format: csv, "
             "count: 10 }\n    parse: { format: none }\n    routes: [ { to: "
             "out } ]\nsinks:\n  out: { type: null }\n");
  ::chmod(dir.file("c.yaml").c_str(), 0644);
  ChildOptions o;
  o.uid = nobody->pw_uid;
  o.gid = nobody->pw_gid;
  o.max_processes = 1;  // RLIMIT_NPROC counts the user's threads: none may be created
  // Under the sanitizer run, LeakSanitizer needs a thread of its own at exit; it cannot have one
  // here, and that is not what this test is about.
  const char* asan = std::getenv("ASAN_OPTIONS");
  o.extra_env.push_back(std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") +
                        ":detect_leaks=0");
  pid_t pid = spawn_child({"run", "-c", dir.file("c.yaml")}, dir, o);
  int code = wait_exit(pid, 100);
  std::string err = err_of(dir);
  ASSERT_NE(code, 126) << "could not switch to user nobody";
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find("cannot start a thread"), std::string::npos) << err;
  EXPECT_NE(err.find("ulimit -u"), std::string::npos) << err;
  EXPECT_EQ(err.find("terminate called"), std::string::npos) << err;
}

TEST(HardeningProcess, PinningFailureWarnsOncePerPipeline) {
  TempDir dir;
  write_file(dir.file("c.yaml"),
             "pipelines:\n  p:\n    source: { type: generate, format: csv, "
             "count: 100 }\n    parse: { format: none }\n    threads: { "
             "parse: 3, cpus: [4000] }\n    routes: [ { to: out } ]\nsinks:\n"
             "  out: { type: null }\n");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  size_t warnings = 0;
  for (size_t at = r.err.find("cannot pin"); at != std::string::npos;
       at = r.err.find("cannot pin", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << r.err;
}

TEST(HardeningProcess, LongPipelineNameKeepsTheSummaryLineWhole) {
  TempDir dir;
  const std::string name(128, 'n');
  write_file(dir.file("c.yaml"), "pipelines:\n  " + name +
                                     ":\n    source: { type: generate, format: csv, count: 7 "
                                     "}\n    parse: { format: none }\n    routes: [ { to: out } "
                                     "]\nsinks:\n  out: { type: null }\n");
  RunResult r = run_sluice({"run", "-c", dir.file("c.yaml")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  size_t at = r.err.find("pipeline " + name + ": in=7 out=7 ");
  ASSERT_NE(at, std::string::npos) << r.err;
  size_t eol = r.err.find('\n', at);
  ASSERT_NE(eol, std::string::npos);
  std::string line = r.err.substr(at, eol - at);
  EXPECT_NE(line.find("latency p50<="), std::string::npos) << line;
  EXPECT_NE(line.find(" p99<="), std::string::npos) << line;
}

}  // namespace
}  // namespace sluice::e2e
