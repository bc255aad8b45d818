#include "tests/e2e/kafka_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

extern char** environ;

namespace sluice::e2e {

KafkaMock::KafkaMock(int brokers, const std::vector<std::string>& topics) {
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    error_ = "pipe failed";
    return;
  }
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    error_ = "pipe failed";
    return;
  }
  std::vector<std::string> args{sluice_bin(), "kafka-mock", "--brokers", std::to_string(brokers)};
  for (const std::string& t : topics) {
    args.push_back("--topic");
    args.push_back(t);
  }
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  if (pid_ < 0) {
    error_ = "cannot start " + sluice_bin();
    return;
  }
  bootstrap_ = read_line();
  if (bootstrap_.find(':') == std::string::npos) {
    error_ = "kafka-mock printed no bootstrap list: '" + bootstrap_ + "'";
    bootstrap_.clear();
  }
}

KafkaMock::~KafkaMock() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    wait_exit(pid_, 100);
  }
  close_stdin();
  if (out_fd_ >= 0) {
    close(out_fd_);
  }
}

std::string KafkaMock::read_line() {
  for (int polls = 0; polls < 100; ++polls) {
    size_t nl = pending_.find('\n');
    if (nl != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return line;
    }
    pollfd fd{out_fd_, POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0) {
      continue;
    }
    char buf[4096];
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    pending_.append(buf, static_cast<size_t>(n));
  }
  return "";
}

std::string KafkaMock::command(const std::string& line) {
  std::string data = line + "\n";
  if (in_fd_ < 0 || write(in_fd_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    return "";
  }
  return read_line();
}

void KafkaMock::close_stdin() {
  if (in_fd_ >= 0) {
    close(in_fd_);
    in_fd_ = -1;
  }
}

int KafkaMock::stop() {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, SIGTERM);
  int code = wait_exit(pid_, 300);
  pid_ = -1;
  return code;
}

bool SpawnedSluice::alive() const { return pid_ > 0 && kill(pid_, 0) == 0; }

int SpawnedSluice::stop(int polls) {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, SIGTERM);
  int code = wait_exit(pid_, polls);
  pid_ = -1;
  return code;
}

void SpawnedSluice::kill9() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    wait_exit(pid_, 100);
    pid_ = -1;
  }
}

RunResult kcat_produce(const std::string& bootstrap, const std::string& topic,
                       const std::string& lines, const std::vector<std::string>& extra) {
  std::vector<std::string> argv{"kcat", "-P", "-q", "-b", bootstrap, "-t", topic};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_program(argv, lines);
}

RunResult kcat_produce_spread(const std::string& bootstrap, const std::string& topic,
                              int partitions, const std::string& lines) {
  std::vector<std::string> shares(static_cast<size_t>(partitions));
  size_t index = 0;
  for (size_t start = 0; start < lines.size();) {
    size_t nl = lines.find('\n', start);
    size_t end = nl == std::string::npos ? lines.size() : nl + 1;
    shares[index++ % shares.size()].append(lines, start, end - start);
    start = end;
  }
  RunResult result;
  for (int p = 0; p < partitions; ++p) {
    result =
        kcat_produce(bootstrap, topic, shares[static_cast<size_t>(p)], {"-p", std::to_string(p)});
    if (result.exit_code != 0) {
      break;
    }
  }
  return result;
}

RunResult kcat_consume(const std::string& bootstrap, const std::string& topic,
                       const std::string& format) {
  return run_program({"kcat", "-C", "-q", "-e", "-b", bootstrap, "-t", topic, "-f", format});
}

}  // namespace sluice::e2e
