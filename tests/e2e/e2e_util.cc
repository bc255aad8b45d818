#include "tests/e2e/e2e_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace sluice::e2e {

std::string sluice_bin() {
  const char* bin = std::getenv("SLUICE_BIN");
  return bin ? bin : SLUICE_BIN_PATH;
}

std::string source_dir() {
  const char* dir = std::getenv("SLUICE_SOURCE_DIR");
  return dir ? dir : SLUICE_SOURCE_PATH;
}

namespace {

std::vector<char*> make_argv(std::vector<std::string>& storage) {
  std::vector<char*> argv;
  for (auto& s : storage) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  return argv;
}

std::vector<std::string> make_env(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  for (const auto& [k, v] : extra) {
    env.push_back(k + "=" + v);
  }
  return env;
}

}  // namespace

RunResult run_sluice(const std::vector<std::string>& args, const std::string& input,
                     const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{sluice_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, input, env);
}

RunResult run_program(const std::vector<std::string>& argv_in, const std::string& input,
                      const std::map<std::string, std::string>& env) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    return {};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<std::string> argv_storage = argv_in;
  auto argv = make_argv(argv_storage);
  auto env_storage = make_env(env);
  auto envp = make_argv(env_storage);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return result;
  }
  // Feed stdin and drain both outputs together, so neither side can fill a pipe and stall.
  size_t fed = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                     {err_open ? err_pipe[0] : -1, POLLIN, 0},
                     {in_fd, POLLOUT, 0}};
    poll(fds, 3, 1000);
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, input.data() + fed, input.size() - fed);
      if (n > 0) {
        fed += static_cast<size_t>(n);
      }
      if (n < 0 || fed == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          (i == 0 ? out_open : err_open) = false;
        } else {
          (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
        }
      }
    }
  }
  if (in_fd >= 0) {
    close(in_fd);
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

pid_t spawn_sluice(const std::vector<std::string>& args, const std::string& dir) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::string out = dir + "/sluice.out", err = dir + "/sluice.err";
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_storage{sluice_bin()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  auto argv = make_argv(argv_storage);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int wait_exit(pid_t pid, int max_polls) {
  for (int i = 0; i < max_polls; ++i) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-test-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  path_ = made ? made : "/tmp";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

size_t count_lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) {
    n += c == '\n';
  }
  return n;
}

std::string decimal_lines(int first, int last) {
  std::string out;
  char line[32];
  for (int n = first; n <= last; ++n) {
    std::snprintf(line, sizeof(line), "%d\n", n);
    out += line;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return 0;
}

void append_file(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    ASSERT_GT(n, 0) << path;
    done += static_cast<size_t>(n);
  }
  close(fd);
}

bool wait_until(const std::function<bool()>& done, int polls) {
  for (int i = 0; i < polls; ++i) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

long long read_position(pid_t pid, const std::string& path) {
  std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(fd_dir, ec)) {
    std::error_code link_ec;
    auto target = std::filesystem::read_symlink(entry.path(), link_ec);
    if (link_ec || target.string() != path) {
      continue;
    }
    std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" +
                       entry.path().filename().string());
    std::string line;
    while (std::getline(info, line)) {
      if (line.rfind("pos:", 0) == 0) {
        return std::strtoll(line.c_str() + 4, nullptr, 10);
      }
    }
  }
  return -1;
}

long long summary_value(const std::string& err, const std::string& pipeline,
                        const std::string& name) {
  std::string prefix = "pipeline " + pipeline + ": ";
  size_t at = err.find(prefix);
  if (at == std::string::npos) {
    return -1;
  }
  size_t eol = err.find('\n', at);
  std::string line = err.substr(at, eol - at);
  std::string key = " " + name + "=";
  size_t k = line.find(key);
  if (k == std::string::npos) {
    k = line.find("(" + name + "=");
    if (k == std::string::npos) {
      return -1;
    }
  }
  return std::strtoll(line.c_str() + k + key.size(), nullptr, 10);
}

FollowedDaemon::FollowedDaemon(const TempDir& dir, const std::string& pipeline_body,
                               const std::string& sinks, const std::string& source_keys)
    : dir_(dir), input_(dir.file("in.log")) {
  write_file(input_, "");
  write_file(dir.file("c.yaml"), "data_dir: " + dir.file("data") +
                                     "\npipelines:\n  p:\n    source: { type: file, paths: [" +
                                     input_ + "], follow: true" + source_keys + " }\n" +
                                     pipeline_body + "sinks:\n" + sinks);
  pid_ = spawn_sluice({"run", "-c", dir.file("c.yaml")}, dir.path());
}

FollowedDaemon::~FollowedDaemon() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    wait_exit(pid_, 100);
  }
}

int FollowedDaemon::stop() {
  kill(pid_, SIGTERM);
  int code = wait_exit(pid_, 600);
  pid_ = -1;
  return code;
}

std::string FollowedDaemon::err() const { return read_file(dir_.file("sluice.err")); }

TmpfsMount::TmpfsMount(const std::string& path, const char* options) : path_(path) {
  std::filesystem::create_directories(path_);
  if (mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options) == 0) {
    mounted_ = true;
  } else {
    error_ = std::strerror(errno);
  }
}

TmpfsMount::~TmpfsMount() {
  if (mounted_) {
    umount2(path_.c_str(), MNT_DETACH);
  }
}

bool wait_for_sigterm_blocked(pid_t pid) {
  return wait_until([pid] {
    const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
    const size_t at = status.find("SigBlk:\t");
    if (at == std::string::npos) {
      return false;
    }
    const uint64_t mask = std::stoull(status.substr(at + 8, 16), nullptr, 16);
    return (mask & (uint64_t{1} << (SIGTERM - 1))) != 0;
  });
}

}  // namespace sluice::e2e
