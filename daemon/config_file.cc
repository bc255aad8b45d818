#include "daemon/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "config/config_loader.h"
#include "stages/log.h"

namespace sluice {
namespace {

enum class ReadResult { kOk, kError, kTooLarge };

// Reads `fd` to its end, but never more than kMaxConfigBytes: one byte past the cap is enough to
// know the input is too large, so an endless device stops being read right there.
ReadResult read_capped(int fd, std::string& out) {
  char buf[65536];
  while (true) {
    size_t room = kMaxConfigBytes + 1 - out.size();
    ssize_t n = ::read(fd, buf, std::min(sizeof(buf), room));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ReadResult::kError;
    }
    if (n == 0) {
      return ReadResult::kOk;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxConfigBytes) {
      return ReadResult::kTooLarge;
    }
  }
}

void log_too_large(const std::string& shown) {
  log_error("configuration " + shown + " is larger than " + std::to_string(kMaxConfigBytes >> 20) +
            " MiB; a sluice configuration is a few KiB of YAML, so this is probably not the file "
            "meant");
}

}  // namespace

std::unique_ptr<Runtime> build_config_file(const std::string& path, std::string* text_out) {
  std::string text;
  std::string shown = path == "-" ? "<stdin>" : path;
  // Opened here (and closed here) unless it is stdin; compared by ownership, not by number,
  // since with stdin closed the file may well be opened as descriptor 0.
  const bool from_stdin = path == "-";
  int fd = STDIN_FILENO;
  if (!from_stdin) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      log_error("cannot open configuration " + path + ": " + std::strerror(errno));
      return nullptr;
    }
    // A pipe or a device (`-c <(gen-config)`) is read like a file, within the cap; a directory
    // can only fail, so say plainly what it is.
    struct stat st {};
    if (::fstat(fd, &st) == 0) {
      bool directory = S_ISDIR(st.st_mode);
      bool too_large = S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxConfigBytes;
      if (directory || too_large) {
        ::close(fd);
        if (directory) {
          log_error("configuration " + path + " is a directory, not a file");
        } else {
          log_too_large(shown);
        }
        return nullptr;
      }
    }
  }
  ReadResult result = read_capped(fd, text);
  int err = errno;
  if (!from_stdin) {
    ::close(fd);
  }
  if (result == ReadResult::kTooLarge) {
    log_too_large(shown);
    return nullptr;
  }
  if (result == ReadResult::kError) {
    log_error("cannot read configuration " + shown + ": " + std::strerror(err));
    return nullptr;
  }
  if (text_out != nullptr) {
    *text_out = text;
  }
  return build_config_text(text, shown);
}

std::unique_ptr<Runtime> build_config_text(const std::string& text, const std::string& shown) {
  LoadedConfig loaded = load_config(text, process_environment());
  if (loaded.ok()) {
    auto runtime = Runtime::build(loaded.config);
    if (runtime.ok()) {
      return std::move(runtime.value());
    }
    // The loader accepts only what builds; a build error is a gap in the loader, still reported
    // as a problem of the file rather than as a failure at run time.
    const Status& status = runtime.status();
    loaded.problems.push_back({status.line(), status.column(), status.message()});
  }
  std::string lines = format_problems(loaded.problems, shown);
  if (log_to_journal()) {
    // One error record per problem, so journald shows each at error priority.
    for (size_t at = 0, end; at < lines.size(); at = end + 1) {
      end = std::min(lines.find('\n', at), lines.size());
      log_error(std::string_view(lines).substr(at, end - at));
    }
    return nullptr;
  }
  ssize_t ignored = ::write(STDERR_FILENO, lines.data(), lines.size());
  (void)ignored;
  return nullptr;
}

}  // namespace sluice
