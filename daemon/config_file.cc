#include "daemon/config_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/config_loader.h"
#include "stages/log.h"

namespace sluice {
namespace {

bool read_all(int fd, std::string& out) {
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    if (n == 0) {
      return true;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

std::optional<Config> load_config_file(const std::string& path) {
  std::string text;
  std::string shown = path == "-" ? "<stdin>" : path;
  if (path == "-") {
    if (!read_all(STDIN_FILENO, text)) {
      log_error("cannot read the configuration from stdin: " + std::string(std::strerror(errno)));
      return std::nullopt;
    }
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      log_error("cannot open configuration " + path + ": " + std::strerror(errno));
      return std::nullopt;
    }
    bool ok = read_all(fd, text);
    int err = errno;
    ::close(fd);
    if (!ok) {
      log_error("cannot read configuration " + path + ": " + std::strerror(err));
      return std::nullopt;
    }
  }
  return load_config_text(text, shown);
}

std::optional<Config> load_config_text(const std::string& text, const std::string& shown) {
  LoadedConfig loaded = load_config(text, process_environment());
  if (!loaded.ok()) {
    std::string lines = format_problems(loaded.problems, shown);
    ssize_t ignored = ::write(STDERR_FILENO, lines.data(), lines.size());
    (void)ignored;
    return std::nullopt;
  }
  return std::move(loaded.config);
}

}  // namespace sluice
