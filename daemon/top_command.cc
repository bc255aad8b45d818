// `sluice top`: scrapes a daemon's /metrics every second and redraws the frame of top_frame.h.
// Single-threaded: the main thread waits in poll() on a signalfd (SIGINT, SIGTERM, SIGHUP), the
// terminal (the q key) and the one-second timer.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "daemon/commands.h"
#include "daemon/http_get.h"
#include "daemon/prometheus_text.h"
#include "daemon/top_frame.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kInterval = std::chrono::seconds(1);
// Below the interval, so a daemon that hangs shows as an error line rather than a frozen view.
constexpr auto kScrapeTimeout = std::chrono::milliseconds(900);

struct Scrape {
  std::vector<PrometheusSample> samples;
  Clock::time_point at;
};

// The daemon's metrics page: URL/metrics, unless the URL already names it.
HttpUrl metrics_url(HttpUrl url) {
  constexpr std::string_view kMetrics = "/metrics";
  std::string_view path = url.path;
  if (path.size() < kMetrics.size() || path.substr(path.size() - kMetrics.size()) != kMetrics) {
    while (!url.path.empty() && url.path.back() == '/') {
      url.path.pop_back();
    }
    url.path += kMetrics;
  }
  return url;
}

Result<Scrape> scrape(const HttpUrl& url) {
  Scrape result{{}, Clock::now()};
  Result<HttpResponse> response = http_get(url, kScrapeTimeout);
  if (!response.ok()) {
    return response.status();
  }
  if (response->status != 200) {
    return Status::error(url.text() + " answered " + std::to_string(response->status) + " " +
                         response->reason);
  }
  Result<std::vector<PrometheusSample>> samples = parse_prometheus_text(response->body);
  if (!samples.ok()) {
    return Status::error(url.text() + " is not Prometheus text: " + samples.status().message());
  }
  result.samples = std::move(samples.value());
  return result;
}

void print_error(const std::string& message) {
  std::string line = "sluice top: " + message + "\n";
  std::fputs(line.c_str(), stderr);
}

void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

double seconds_between(const Scrape& a, const Scrape& b) {
  return std::chrono::duration<double>(b.at - a.at).count();
}

// Key presses without Enter and without echo while top runs; the terminal's settings come back
// when it ends. Ctrl-C still raises SIGINT (ISIG stays on).
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) {
      return;
    }
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

// Control signals arrive on a descriptor, so the wait below sees them like a key press.
class SignalWatch {
 public:
  SignalWatch() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    fd_ = ::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd_ < 0) {
      // Without the descriptor a blocked signal would never end top: leave them to their
      // default action (the terminal is then not restored, but top still stops).
      pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
    }
  }
  ~SignalWatch() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;
  int fd() const { return fd_; }

 private:
  sigset_t set_{};
  int fd_ = -1;
};

// Waits until `until`; false when the user asked to stop first (a signal, or q on `keys_fd`).
bool wait_until(Clock::time_point until, const SignalWatch& signals, int& keys_fd) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) {
      return true;
    }
    pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {keys_fd, POLLIN, 0}};
    int n = ::poll(fds, keys_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (n <= 0) {
      continue;  // the timeout (checked above) or EINTR
    }
    if ((fds[0].revents & POLLIN) != 0) {
      return false;
    }
    if (keys_fd >= 0 && fds[1].revents != 0) {
      char key = 0;
      ssize_t got = ::read(keys_fd, &key, 1);
      if (got <= 0) {
        keys_fd = -1;  // the terminal went away: only signals end top now
      } else if (key == 'q' || key == 'Q') {
        return false;
      }
    }
  }
}

}  // namespace

int top_command(const TopOptions& options) {
  Result<HttpUrl> parsed = parse_http_url(options.url);
  if (!parsed.ok()) {
    print_error("-u " + parsed.status().message());
    return kExitUsage;
  }
  const HttpUrl url = metrics_url(parsed.value());
  const std::string source = url.text();
  SignalWatch signals;
  Result<Scrape> previous = scrape(url);
  if (!previous.ok()) {
    print_error(previous.status().message());
    return kExitFailure;
  }
  int no_keys = -1;
  if (options.once) {
    if (!wait_until(previous->at + kInterval, signals, no_keys)) {
      return kExitOk;
    }
    Result<Scrape> current = scrape(url);
    if (!current.ok()) {
      print_error(current.status().message());
      return kExitFailure;
    }
    print(render_top_frame(previous->samples, current->samples,
                           seconds_between(previous.value(), current.value()), source));
    return kExitOk;
  }

  RawTerminal terminal;
  int keys_fd = terminal.active() ? STDIN_FILENO : -1;
  constexpr std::string_view kClearHome = "\x1b[H\x1b[2J";
  Clock::time_point next = previous->at + kInterval;
  while (wait_until(next, signals, keys_fd)) {
    next += kInterval;
    Result<Scrape> current = scrape(url);
    if (!current.ok()) {
      // The daemon may be restarting: say so and keep trying rather than leaving the view.
      print(std::string(kClearHome) + "sluice top  " + source + "\n\n" +
            current.status().message() + "\n(retrying every second; q quits)\n");
      continue;
    }
    print(std::string(kClearHome) +
          render_top_frame(previous->samples, current->samples,
                           seconds_between(previous.value(), current.value()), source) +
          "\n(q quits)\n");
    previous = std::move(current);
    if (Clock::now() > next) {
      next = Clock::now();  // a slow scrape: do not try to catch up with a burst
    }
  }
  return kExitOk;
}

}  // namespace sluice
