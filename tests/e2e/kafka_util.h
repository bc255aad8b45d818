// Helpers for end-to-end tests against Kafka: an embedded cluster (`sluice kafka-mock`, started
// by the test on 127.0.0.1 and stopped with it) and kcat as the independent producer and
// consumer. Used from the test's thread only; every wait is bounded.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace sluice::e2e {

// `sluice kafka-mock` as a child process with its stdin and stdout on pipes. ok() is false (and
// error() says why) when it did not print its bootstrap list within about 10 s. Stopped with
// SIGKILL when it goes out of scope unless stop() ended it.
class KafkaMock {
 public:
  // `topics` are NAME:PARTITIONS.
  KafkaMock(int brokers, const std::vector<std::string>& topics);
  ~KafkaMock();
  KafkaMock(const KafkaMock&) = delete;
  KafkaMock& operator=(const KafkaMock&) = delete;

  bool ok() const { return !bootstrap_.empty(); }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  // host:port,... as printed on the first line.
  const std::string& bootstrap() const { return bootstrap_; }
  // Sends one command line (e.g. "down 1") and returns the answer line without its newline,
  // or "" when none came within about 10 s.
  std::string command(const std::string& line);
  // Closes the mock's stdin (it keeps running).
  void close_stdin();
  // SIGTERM, then the exit code (bounded wait).
  int stop();

 private:
  // The next line on the mock's stdout, or "" after about 10 s.
  std::string read_line();

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string pending_;
  std::string bootstrap_;
  std::string error_;
};

// A sluice started in the background (spawn_sluice), killed with SIGKILL when it goes out of
// scope unless stop() or kill9() ended it: a failed assertion leaves no daemon behind.
class SpawnedSluice {
 public:
  SpawnedSluice(const std::vector<std::string>& args, const std::string& dir)
      : pid_(spawn_sluice(args, dir)) {}
  ~SpawnedSluice() { kill9(); }
  SpawnedSluice(const SpawnedSluice&) = delete;
  SpawnedSluice& operator=(const SpawnedSluice&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Still running (or not yet reaped).
  bool alive() const;
  // SIGTERM, then the exit code (bounded wait: `polls` x 100 ms).
  int stop(int polls = 300);
  // SIGKILL, and reaped.
  void kill9();

 private:
  pid_t pid_;
};

// `kcat -P`: produces each line of `lines` as one message to `topic` (partitioned by kcat's
// default, random without a key); `extra` adds kcat arguments (e.g. {"-p", "0"}).
RunResult kcat_produce(const std::string& bootstrap, const std::string& topic,
                       const std::string& lines, const std::vector<std::string>& extra = {});

// Produces line i (from 0) of `lines` to partition i % partitions, one kcat run per partition,
// so that every partition gets its share in a known order (kcat's own partitioner sticks to one
// partition for a while). The first failing run's result, or the last one.
RunResult kcat_produce_spread(const std::string& bootstrap, const std::string& topic,
                              int partitions, const std::string& lines);

// `kcat -C -e`: every message of `topic` from the beginning to the current end, each printed
// with `format` (kcat -f; default: the payload and a newline).
RunResult kcat_consume(const std::string& bootstrap, const std::string& topic,
                       const std::string& format = "%s\\n");

}  // namespace sluice::e2e
