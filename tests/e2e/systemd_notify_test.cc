// End to end: the real binary under a simulated systemd. The test owns the notification socket
// (an AF_UNIX datagram socket, as systemd's NOTIFY_SOCKET) and reads what sluice sends: READY
// after the pipelines are up, STATUS, WATCHDOG at half of WATCHDOG_USEC, RELOADING then READY on
// SIGHUP, STOPPING on SIGTERM; and no WATCHDOG while a stage is stuck (the test fault switch
// SLUICE_TEST_STALL_STAGE, daemon/test_stall.h). JOURNAL_STREAM names the stderr file the test
// made, so the log lines carry journald priorities.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {
namespace {

using Clock = std::chrono::steady_clock;

struct Datagram {
  Clock::time_point at;
  std::string text;
};

// The systemd side of sd_notify: a datagram socket bound in the test's directory.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }

  // Every datagram that arrives within `timeout`, appended to `got`; returns as soon as `done`
  // holds for what was received (or at the timeout): false if it never did.
  bool receive_until(std::vector<Datagram>& got, std::chrono::milliseconds timeout,
                     const std::function<bool(const std::vector<Datagram>&)>& done) {
    const auto deadline = Clock::now() + timeout;
    while (!done(got)) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return false;
      }
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
        continue;
      }
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        got.push_back({Clock::now(), std::string(buf, static_cast<size_t>(n))});
      }
    }
    return true;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// Sets environment variables for the daemon spawned while it lives (spawn_sluice passes the
// test's environment on), and restores them.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) : vars_(vars) {
    for (const auto& [name, value] : vars_) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : vars_) {
      ::unsetenv(name.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

// True when a line of the datagram starts with `line` ("READY=1", "STATUS=running ").
bool has_line(const std::string& datagram, const std::string& line) {
  std::istringstream in(datagram);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(line, 0) == 0) {
      return true;
    }
  }
  return false;
}

// Index of the first datagram at or after `from` with such a line, or -1.
int find(const std::vector<Datagram>& got, const std::string& line, size_t from = 0) {
  for (size_t i = from; i < got.size(); ++i) {
    if (has_line(got[i].text, line)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Receives everything until a moment: with receive_until, `never` done.
bool never(const std::vector<Datagram>& /*got*/) { return false; }
std::chrono::milliseconds until(Clock::time_point t) {
  return std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now());
}

// Kills the daemon (SIGKILL) when a failed assertion leaves the test early.
struct KillOnExit {
  pid_t pid;
  ~KillOnExit() {
    if (pid > 0 && ::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
      wait_exit(pid, 50);
    }
  }
};

std::function<bool(const std::vector<Datagram>&)> has(const std::string& line, size_t from = 0) {
  return [line, from](const std::vector<Datagram>& got) { return find(got, line, from) >= 0; };
}

std::string config_text(const TempDir& dir, int rate) {
  return "data_dir: " + dir.path() + "\nshutdown_timeout: 5s\npipelines:\n  gen:\n" +
         "    source: { type: generate, format: csv, rate: " + std::to_string(rate) +
         ", seed: 3 }\n    parse: { format: none }\n    routes: [ { to: out } ]\n" +
         "sinks:\n  out: { type: file, path: " + dir.file("out.ndjson") + ", encoding: raw }\n";
}

// "DEV:INODE" of the file the daemon's stderr will be (spawn_sluice truncates, keeping it).
std::string journal_stream_of(const std::string& path) {
  write_file(path, "");
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

TEST(SystemdNotify, ReadyStatusWatchdogReloadAndStoppingInOrder) {
  TempDir dir;
  NotifySocket socket(dir.file("notify.sock"));
  ASSERT_TRUE(socket.bound()) << socket.path();
  write_file(dir.file("c.yaml"), config_text(dir, 2000));
  const std::string err_path = dir.file("sluice.err");
  ScopedEnv env({{"NOTIFY_SOCKET", socket.path()},
                 {"WATCHDOG_USEC", "1000000"},
                 {"JOURNAL_STREAM", journal_stream_of(err_path)}});
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  KillOnExit guard{pid};

  std::vector<Datagram> got;
  ASSERT_TRUE(socket.receive_until(got, std::chrono::seconds(10), has("READY=1")))
      << read_file(err_path);
  // READY comes once the pipeline runs: its sink is open and the start was logged.
  EXPECT_TRUE(std::filesystem::exists(dir.file("out.ndjson")));
  EXPECT_NE(read_file(err_path).find("running 1 pipeline(s)"), std::string::npos);
  const size_t ready = static_cast<size_t>(find(got, "READY=1"));
  EXPECT_EQ(ready, 0u) << "READY=1 is the first word to systemd: " << got[0].text;

  // Three seconds of a healthy run: STATUS with a rate, WATCHDOG well within WATCHDOG_USEC.
  const auto watch_until = got[ready].at + std::chrono::seconds(3);
  socket.receive_until(got, until(watch_until), never);
  std::vector<Clock::time_point> pings;
  for (size_t i = ready; i < got.size(); ++i) {
    if (has_line(got[i].text, "WATCHDOG=1")) {
      pings.push_back(got[i].at);
    }
  }
  ASSERT_GE(pings.size(), 4u);
  for (size_t i = 1; i < pings.size(); ++i) {
    const auto gap_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(pings[i] - pings[i - 1]).count();
    EXPECT_LT(gap_ms, 1000) << "ping " << i << " came too late";
    EXPECT_GT(gap_ms, 250) << "ping " << i << " came too early";
  }
  int status = find(got, "STATUS=running 1 pipeline(s): in ", ready + 1);
  ASSERT_GE(status, 0);
  EXPECT_EQ(got[status].text.find("in 0 events/s"), std::string::npos) << got[status].text;

  // SIGHUP three times: the same file, a valid changed one (its memory_limit is kept, with a
  // warning), an invalid one. Each is answered with RELOADING=1 then READY=1 whose STATUS says
  // what changed, and the daemon keeps running.
  const std::vector<std::pair<std::string, std::string>> reloads = {
      {config_text(dir, 2000), "no pipeline or sink changed"},
      {"memory_limit: 256MiB\n" + config_text(dir, 3000), "restarted gen"},
      {config_text(dir, 2000) + "bogus_key: 1\n", "is not a valid configuration"}};
  size_t from = got.size();
  for (const auto& [text, said] : reloads) {
    write_file(dir.file("c.yaml"), text);
    ASSERT_EQ(::kill(pid, SIGHUP), 0);
    ASSERT_TRUE(socket.receive_until(got, std::chrono::seconds(10), [&](const auto& g) {
      int r = find(g, "RELOADING=1", from);
      return r >= 0 && find(g, "READY=1", static_cast<size_t>(r) + 1) >= 0;
    })) << read_file(err_path);
    const int reloading = find(got, "RELOADING=1", from);
    EXPECT_TRUE(has_line(got[reloading].text, "RELOADING=1")) << got[reloading].text;
    EXPECT_NE(got[reloading].text.find("\nMONOTONIC_USEC="), std::string::npos);
    const int ready_again = find(got, "READY=1", static_cast<size_t>(reloading) + 1);
    from = static_cast<size_t>(ready_again) + 1;
    EXPECT_NE(read_file(err_path).find(said), std::string::npos) << read_file(err_path);
    EXPECT_NE(got[ready_again].text.find("STATUS="), std::string::npos) << got[ready_again].text;
    EXPECT_NE(got[ready_again].text.find(said), std::string::npos) << got[ready_again].text;
  }
  // Still alive and still pinging after the invalid configuration.
  ASSERT_TRUE(socket.receive_until(got, std::chrono::seconds(3), has("WATCHDOG=1", from)));
  EXPECT_EQ(::kill(pid, 0), 0);

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  ASSERT_TRUE(socket.receive_until(got, std::chrono::seconds(10), has("STOPPING=1", from)));
  EXPECT_EQ(wait_exit(pid, 200), 0) << read_file(err_path);

  // Journald priorities on every log line: info, the changed file's warning, the invalid
  // file's errors (its problem line among them); the summary is plain output.
  const std::string err = read_file(err_path);
  std::istringstream lines(err);
  int info = 0, warning = 0, error = 0;
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("pipeline gen:", 0) == 0) {
      continue;
    }
    ASSERT_TRUE(l.size() > 3 && l[0] == '<' && l[2] == '>') << l;
    info += l.rfind("<6>", 0) == 0;
    warning += l.rfind("<4>", 0) == 0;
    error += l.rfind("<3>", 0) == 0;
    EXPECT_EQ(l.find("sluice: "), std::string::npos) << "journald names the process: " << l;
  }
  EXPECT_GT(info, 0) << err;
  EXPECT_GT(warning, 0) << err;
  EXPECT_GE(error, 2) << err;
  EXPECT_NE(err.find("<3>error: " + dir.file("c.yaml") + ":"), std::string::npos) << err;
}

TEST(SystemdNotify, StuckStageStopsTheWatchdogPings) {
  TempDir dir;
  NotifySocket socket(dir.file("notify.sock"));
  ASSERT_TRUE(socket.bound()) << socket.path();
  write_file(dir.file("c.yaml"), config_text(dir, 2000));
  ScopedEnv env({{"NOTIFY_SOCKET", socket.path()},
                 {"WATCHDOG_USEC", "1000000"},
                 {"SLUICE_TEST_STALL_STAGE", "route"}});
  pid_t pid = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
  ASSERT_GT(pid, 0);
  KillOnExit guard{pid};
  std::vector<Datagram> got;
  ASSERT_TRUE(socket.receive_until(got, std::chrono::seconds(10), has("READY=1")));
  // The route thread holds its first batch from the start; it counts as stuck after 2 s
  // (SystemdNotifier::kMinStuckAfter), so from 3 s after READY no ping may come.
  const auto quiet_from = got.back().at + std::chrono::seconds(3);
  const auto quiet_until = quiet_from + std::chrono::milliseconds(1500);
  socket.receive_until(got, until(quiet_until), never);
  ASSERT_GE(find(got, "STATUS=running "), 0) << "the daemon went quiet altogether";
  for (const Datagram& d : got) {
    if (d.at >= quiet_from && d.at <= quiet_until) {
      EXPECT_FALSE(has_line(d.text, "WATCHDOG=1")) << "a ping while the route thread is stuck";
    }
  }
  EXPECT_NE(read_file(dir.file("sluice.err")).find("watchdog: thread route:gen has been busy"),
            std::string::npos)
      << read_file(dir.file("sluice.err"));
  // The stall ends when the pipeline is asked to stop: the drain still completes.
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  ASSERT_TRUE(socket.receive_until(got, std::chrono::seconds(10), has("STOPPING=1")));
  EXPECT_EQ(wait_exit(pid, 200), 0) << read_file(dir.file("sluice.err"));
}

}  // namespace
}  // namespace sluice::e2e
