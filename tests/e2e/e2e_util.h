// Helpers for end-to-end tests: run the real `sluice` binary (path from $SLUICE_BIN, set by
// CTest) with arguments and stdin, collect its exit code, stdout and stderr; make temporary
// directories; read files. Every wait here is bounded by a loop count, never asserted as a time.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sluice::e2e {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string sluice_bin();
std::string source_dir();

// Runs sluice with `args`, feeding `input` on stdin; waits for it to exit.
RunResult run_sluice(const std::vector<std::string>& args, const std::string& input = "",
                     const std::map<std::string, std::string>& env = {});
// The same for any program (argv[0] is looked up in PATH), e.g. kcat.
RunResult run_program(const std::vector<std::string>& argv, const std::string& input = "",
                      const std::map<std::string, std::string>& env = {});

// Starts sluice in the background with stdout/stderr to files in `dir`; returns its pid.
pid_t spawn_sluice(const std::vector<std::string>& args, const std::string& dir);
// Waits (bounded by `max_polls` x 100 ms) for pid to exit; returns its exit code or -1.
int wait_exit(pid_t pid, int max_polls = 3000);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
size_t count_lines(const std::string& text);
// "first\n" ... "last\n": the numbers as plain decimal lines, the numbered input of tailing tests.
std::string decimal_lines(int first, int last);
// The lines of `text`, without their line ends (a last line without one is kept).
std::vector<std::string> split_lines(const std::string& text);
// Resident set size of a process in KiB, from /proc/PID/status (0 if gone).
long rss_kib(pid_t pid);

// The file offset of the descriptor `pid` has open on `path` (from /proc/PID/fdinfo), or -1.
long long read_position(pid_t pid, const std::string& path);

// Appends `data` to the file at `path` (creating it); a failure fails the test.
void append_file(const std::string& path, const std::string& data);
// Polls (bounded: `polls` x 50 ms) until `done` holds; returns whether it did.
bool wait_until(const std::function<bool()>& done, int polls = 400);
// True once sluice `pid` blocks SIGTERM (it then takes it from its signalfd, so a SIGTERM is a
// clean stop rather than the default death of a process still starting up).
bool wait_for_sigterm_blocked(pid_t pid);

// Parses "name=NUMBER" from the summary line of `pipeline` in sluice's stderr; -1 if absent.
long long summary_value(const std::string& err, const std::string& pipeline,
                        const std::string& name);

// A daemon whose one pipeline follows dir/in.log (created empty), so it keeps running after
// each input; `pipeline_body` holds the pipeline's keys after `source`, `sinks` the sinks' lines,
// `source_keys` more keys of the source (", poll_interval: 1h").
// Killed (SIGKILL) when it goes out of scope unless stop() ended it.
class FollowedDaemon {
 public:
  FollowedDaemon(const TempDir& dir, const std::string& pipeline_body, const std::string& sinks,
                 const std::string& source_keys = "");
  ~FollowedDaemon();
  FollowedDaemon(const FollowedDaemon&) = delete;
  FollowedDaemon& operator=(const FollowedDaemon&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& input() const { return input_; }
  void append(const std::string& data) { append_file(input_, data); }
  // SIGTERM, then the exit code (bounded wait); the stderr is in err().
  int stop();
  std::string err() const;

 private:
  const TempDir& dir_;
  std::string input_;
  pid_t pid_ = -1;
};

// A tmpfs of the given options (e.g. "size=8m") mounted at `path`, unmounted (lazily) when the
// test ends, also when it fails half-way. mounted() is false where mount(2) is not permitted.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, const char* options);
  ~TmpfsMount();
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace sluice::e2e
