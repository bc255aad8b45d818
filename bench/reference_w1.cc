// The calibration loop of issue 3: a plain single-threaded scalar program written only for W1
// (mmap, split, atoi, prefix check, hand-built JSON), byte by byte, the yardstick the W1 target was
// set against (about 4.7 M events/s on the project's machines; W1 must reach 8 M). run_e2e.sh runs
// it on the same file in the same run, so sluice's W1 can be read as a ratio to it on a machine
// whose speed drifts. Not a product: it knows W1's columns and assumes well-formed input.
//
// Usage: sluice_reference_w1 INPUT.csv OUTPUT.ndjson   (prints "events=N kept=K seconds=S")
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Columns {
  const char* begin[8];
  size_t len[8];
  int fields;
};

// Splits the record at p: seven plain fields, then the agent (quoted when it holds a comma), up
// to the newline, one byte at a time (scalar, like the loop the target was calibrated with).
// Returns the end of the record (its newline, or `end`).
const char* split(const char* p, const char* end, Columns& c) {
  int field = 0;
  c.begin[0] = p;
  const char* q = p;
  for (; q < end && *q != '\n'; ++q) {
    if (*q == ',' && field < 7) {
      c.len[field] = static_cast<size_t>(q - c.begin[field]);
      c.begin[++field] = q + 1;
    }
  }
  c.len[field] = static_cast<size_t>(q - c.begin[field]);
  if (field == 7 && c.len[7] >= 2 && c.begin[7][0] == '"' && c.begin[7][c.len[7] - 1] == '"') {
    ++c.begin[7];
    c.len[7] -= 2;
  }
  c.fields = field + 1;
  return q;
}

long to_int(const char* p, size_t n) {
  long v = 0;
  for (size_t i = 0; i < n; ++i) {
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

// path =~ "^/api/v[0-9]+/orders"
bool api_orders(const char* p, size_t n) {
  static const char kPrefix[] = "/api/v";
  static const char kSuffix[] = "/orders";
  size_t i = 0;
  for (; i < 6; ++i) {
    if (i >= n || p[i] != kPrefix[i]) {
      return false;
    }
  }
  while (i < n && p[i] >= '0' && p[i] <= '9') {
    ++i;
  }
  if (i == 6) {
    return false;
  }
  for (size_t k = 0; k < 7; ++k, ++i) {
    if (i >= n || p[i] != kSuffix[k]) {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT.csv OUTPUT.ndjson\n", argv[0]);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  int in = ::open(argv[1], O_RDONLY);
  struct stat st {};
  if (in < 0 || ::fstat(in, &st) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  const auto size = static_cast<size_t>(st.st_size);
  const char* data =
      size == 0 ? nullptr
                : static_cast<const char*>(::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, in, 0));
  if (size != 0 && data == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    std::perror(argv[2]);
    return 1;
  }
  static const char* const kKeys[8] = {
      "{\"ts\":\"",     "\",\"host\":\"", "\",\"method\":\"", "\",\"path\":\"",
      "\",\"status\":", ",\"bytes\":",    ",\"latency_ms\":", ",\"agent\":\""};
  std::string buffer;
  buffer.reserve(1 << 20);
  size_t events = 0;
  size_t kept = 0;
  const char* p = data;
  const char* const end = data + size;
  while (p < end) {
    Columns c{};
    const char* line_end = split(p, end, c);
    if (c.fields == 8) {
      ++events;
      const long status = to_int(c.begin[4], c.len[4]);
      const long bytes = to_int(c.begin[5], c.len[5]);
      if (status >= 500 || api_orders(c.begin[3], c.len[3])) {
        ++kept;
        for (int i = 0; i < 8; ++i) {
          buffer.append(kKeys[i]);
          if (i == 4 || i == 5) {
            buffer += std::to_string(i == 4 ? status : bytes);
          } else {
            buffer.append(c.begin[i], c.len[i]);
          }
        }
        buffer.append("\"}\n");
        if (buffer.size() >= (1 << 20)) {
          if (::write(out, buffer.data(), buffer.size()) != static_cast<ssize_t>(buffer.size())) {
            std::perror("write");
            return 1;
          }
          buffer.clear();
        }
      }
    }
    p = line_end + 1;
  }
  if (!buffer.empty() &&
      ::write(out, buffer.data(), buffer.size()) != static_cast<ssize_t>(buffer.size())) {
    std::perror("write");
    return 1;
  }
  ::close(out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("events=%zu kept=%zu seconds=%.4f\n", events, kept, seconds);
  return 0;
}
