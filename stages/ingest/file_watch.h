// FileWatch: wakes a following file source when something it follows may have changed. It asks
// inotify about the directories of the source's globs (a file created, renamed, deleted,
// written or chmod-ed there under a name a glob matches), so an appended line is read at once;
// and it keeps the deadline of the slow safety rescan (`poll_interval`), after which the source
// scans its globs and looks at every file again, whatever inotify said. Where inotify cannot be
// had (no instance left, the watch limit reached, or SLUICE_TEST_INOTIFY=unavailable) that
// rescan is all there is: the source polls at the interval, and the log says so once.
// What the directory watches do not name (lines a writer adds to a file rotated out of the
// globs, a directory that a wildcard in the middle of a glob matches only later) is found by the
// rescan, at most an interval late.
// Threading: used on the source's thread only.
#pragma once

#include <sys/inotify.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "stages/ingest/source.h"

namespace sluice {

class FileWatch {
 public:
  // What ended a wait().
  enum class Wake {
    kWritten,   // a file a glob matches was written to (or chmod-ed): read the files now
    kRenamed,   // a name a glob matches appeared or went away, or inotify lost track: scan the
                // globs, then read the files
    kRescan,    // the safety rescan is due: scan the globs and look at every file
    kTimedOut,  // the caller's `max_wait` passed first
    kStopping,  // the pipeline is asked to stop
  };

  // `patterns`: the source's globs. Watches their directories at once (before the source's first
  // scan, so nothing that changes after that scan goes unnoticed); the first rescan is due an
  // `interval` from now.
  FileWatch(const std::vector<std::string>& patterns, std::chrono::milliseconds interval);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // True when inotify is not used: every wake-up is a rescan at the interval.
  bool polling() const { return fd_ < 0; }
  // Why inotify is not used; empty while it is.
  const std::string& fallback_reason() const { return fallback_reason_; }

  static constexpr std::chrono::milliseconds kNoLimit = std::chrono::milliseconds::max();
  // Sleeps in `ctx` until a change is seen, the rescan is due, `max_wait` passes or the pipeline
  // stops. Events about files no glob matches (another program's log in the same directory, the
  // sink's output) are read and slept through. After kRescan the next rescan is an interval
  // away, and directories that appeared since are watched.
  Wake wait(SourceContext& ctx, std::chrono::milliseconds max_wait = kNoLimit);

 private:
  // A glob split into its directory (itself a glob when it holds a wildcard) and its last part.
  struct Pattern {
    std::string dir;
    std::string name;
    bool dir_is_glob = false;
  };
  // A watched directory and the last parts of the globs that look into it.
  struct Dir {
    int wd;
    std::vector<std::string> names;
    bool any_name = false;  // a last part fnmatch cannot judge (braces): every name counts
  };

  // Adds watches for the patterns' directories that exist now (again: a directory replaced
  // under its name is watched anew).
  void refresh();
  void watch(const std::string& dir, const std::string& name);
  // What the pending events say, read without blocking; kTimedOut when nothing that concerns a
  // followed file.
  Wake take_events();
  Wake what_changed(const inotify_event& event);
  // Gives inotify up for good: closes it and says so (once per process).
  void fall_back(const std::string& reason);

  std::vector<Pattern> patterns_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_rescan_;
  int fd_ = -1;
  std::string fallback_reason_;
  std::vector<Dir> dirs_;
  bool dirs_changed_ = false;  // a watched directory went away or moved: refresh now
  // Events are read into this, never into a fresh allocation.
  alignas(inotify_event) char buffer_[4096];
};

}  // namespace sluice
