#include "stages/ingest/file_watch.h"

#include <fnmatch.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "stages/log.h"

namespace sluice {
namespace {

// Data written, a file made readable (chmod) or truncated, a name appearing or going away, and
// the watched directory itself going away. Not IN_ACCESS or IN_CLOSE_NOWRITE: the source's own
// reads must not wake it. IN_ONLYDIR: a glob's directory part naming a file is not watched.
constexpr uint32_t kMask = IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                           IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool has_wildcard(const std::string& text) {
  return text.find_first_of("*?[{") != std::string::npos;
}

// Said once per process: with many sources over the inotify limits every one of them falls
// back, and one line tells the operator as much as a thousand.
std::atomic<bool> g_fallback_said{false};

}  // namespace

FileWatch::FileWatch(const std::vector<std::string>& patterns, std::chrono::milliseconds interval)
    : interval_(interval), next_rescan_(std::chrono::steady_clock::now() + interval) {
  for (const std::string& p : patterns) {
    Pattern pattern;
    const size_t slash = p.rfind('/');
    if (slash == std::string::npos) {
      pattern.dir = ".";
      pattern.name = p;
    } else {
      pattern.dir = slash == 0 ? "/" : p.substr(0, slash);
      pattern.name = p.substr(slash + 1);
    }
    pattern.dir_is_glob = has_wildcard(pattern.dir);
    patterns_.push_back(std::move(pattern));
  }
  const char* test = std::getenv("SLUICE_TEST_INOTIFY");
  if (test != nullptr && std::strcmp(test, "unavailable") == 0) {
    fall_back("SLUICE_TEST_INOTIFY=unavailable");
    return;
  }
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    fall_back(err == EMFILE ? "no inotify instance left (fs.inotify.max_user_instances)"
                            : std::string("inotify_init1: ") + std::strerror(err));
    return;
  }
  refresh();
}

FileWatch::~FileWatch() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void FileWatch::fall_back(const std::string& reason) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  dirs_.clear();
  fallback_reason_ = reason;
  if (!g_fallback_said.exchange(true)) {
    log_warning("file source: inotify is not available (" + reason +
                "); followed files are polled every poll_interval (" +
                std::to_string(interval_.count()) + " ms here) instead");
  }
}

void FileWatch::refresh() {
  dirs_changed_ = false;
  for (const Pattern& p : patterns_) {
    if (fd_ < 0) {
      return;
    }
    if (!p.dir_is_glob) {
      watch(p.dir, p.name);
      continue;
    }
    glob_t g{};
    if (::glob(p.dir.c_str(), GLOB_NOSORT | GLOB_BRACE | GLOB_ONLYDIR, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc && fd_ >= 0; ++i) {
        watch(g.gl_pathv[i], p.name);
      }
    }
    ::globfree(&g);
  }
}

void FileWatch::watch(const std::string& dir, const std::string& name) {
  const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd < 0) {
    const int err = errno;
    if (err == ENOSPC || err == EMFILE) {
      // One directory left unwatched would make its files slow while the others are quick,
      // with nothing said: every file is polled instead, and that is said.
      fall_back("the inotify watch limit is reached (fs.inotify.max_user_watches) at " + dir);
    }
    // Otherwise not there (yet), not a directory, or not ours to read: the rescan covers it,
    // and retries the watch.
    return;
  }
  auto it = std::find_if(dirs_.begin(), dirs_.end(), [&](const Dir& d) { return d.wd == wd; });
  if (it == dirs_.end()) {
    dirs_.push_back(Dir{wd, {}, false});
    it = dirs_.end() - 1;
  }
  if (name.find('{') != std::string::npos) {
    it->any_name = true;
  } else if (std::find(it->names.begin(), it->names.end(), name) == it->names.end()) {
    it->names.push_back(name);
  }
}

FileWatch::Wake FileWatch::what_changed(const inotify_event& event) {
  if ((event.mask & IN_Q_OVERFLOW) != 0) {
    return Wake::kRenamed;  // events were lost: anything may have changed
  }
  auto dir =
      std::find_if(dirs_.begin(), dirs_.end(), [&](const Dir& d) { return d.wd == event.wd; });
  if ((event.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
    // The directory is gone from its path (a moved one would still be watched where it went):
    // its watch goes, and the path is watched again if it comes back.
    if (dir != dirs_.end()) {
      if ((event.mask & IN_IGNORED) == 0) {
        ::inotify_rm_watch(fd_, event.wd);
      }
      dirs_.erase(dir);
    }
    dirs_changed_ = true;
    return Wake::kRenamed;
  }
  if (dir == dirs_.end()) {
    return Wake::kTimedOut;  // a watch already given up
  }
  bool matches = event.len == 0 || dir->any_name;
  for (size_t i = 0; !matches && i < dir->names.size(); ++i) {
    // FNM_PERIOD: as glob(), a leading dot is matched only by a pattern that has it.
    matches = ::fnmatch(dir->names[i].c_str(), event.name, FNM_PERIOD) == 0;
  }
  if (!matches) {
    return Wake::kTimedOut;
  }
  return (event.mask & (IN_MODIFY | IN_ATTRIB)) != 0 ? Wake::kWritten : Wake::kRenamed;
}

FileWatch::Wake FileWatch::take_events() {
  Wake what = Wake::kTimedOut;
  while (fd_ >= 0) {
    const ssize_t n = ::read(fd_, buffer_, sizeof(buffer_));
    if (n <= 0) {
      break;  // EAGAIN: all read
    }
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer_ + at);
      const Wake w = what_changed(*event);
      if (w == Wake::kRenamed || (w == Wake::kWritten && what == Wake::kTimedOut)) {
        what = w;
      }
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  if (dirs_changed_) {
    refresh();
  }
  return what;
}

FileWatch::Wake FileWatch::wait(SourceContext& ctx, std::chrono::milliseconds max_wait) {
  using std::chrono::milliseconds;
  const bool limited = max_wait != kNoLimit;
  const auto give_up = std::chrono::steady_clock::now() + (limited ? max_wait : milliseconds(0));
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const auto to_rescan =
        std::max(milliseconds(0), std::chrono::ceil<milliseconds>(next_rescan_ - now));
    const auto to_give_up =
        std::max(milliseconds(0), std::chrono::ceil<milliseconds>(give_up - now));
    const bool capped = limited && to_give_up < to_rescan;
    switch (ctx.wait_for_stop_or_readable(fd_, capped ? to_give_up : to_rescan)) {
      case SourceContext::Wake::kStopping:
        return Wake::kStopping;
      case SourceContext::Wake::kReadable:
        if (const Wake w = take_events(); w != Wake::kTimedOut) {
          return w;
        }
        continue;  // about other files: sleep on
      case SourceContext::Wake::kTimedOut:
        if (capped) {
          return Wake::kTimedOut;
        }
        // The context says the wait until the rescan is over; its word is taken over the clock
        // (a test's context ends each wait at once, as one poll round).
        next_rescan_ = std::chrono::steady_clock::now() + interval_;
        take_events();  // the rescan looks at everything these could have said
        refresh();
        return Wake::kRescan;
    }
  }
}

}  // namespace sluice
