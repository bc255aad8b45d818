#include "stages/ingest/file_checkpoints.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "stages/fd_io.h"

namespace sluice {
namespace {

constexpr std::string_view kHeader = "sluice file checkpoints v1\n";
// A record with sink lengths (delivery: exactly_once): an older sluice refuses it as a whole
// rather than resume its sources without cutting the sinks back.
constexpr std::string_view kHeaderWithSinks = "sluice file checkpoints v2\n";
static_assert(kHeaderWithSinks.size() == kHeader.size());
constexpr std::string_view kSinkPrefix = "sink ";

std::string escape_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '\n' || c == '\r') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

bool unescape_path(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) {
      return false;
    }
    unsigned value = 0;
    if (std::sscanf(std::string(in.substr(i + 1, 2)).c_str(), "%2X", &value) != 1) {
      return false;
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return true;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string file_checkpoint_path(const std::string& data_dir, const std::string& pipeline) {
  std::string name;
  for (char c : pipeline) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '.' || c == '_' || c == '-') {
      name += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", u);
      name += buf;
    }
  }
  if (name.empty() || name == "." || name == "..") {
    name = "%" + name;
  }
  return data_dir + "/checkpoints/" + name + ".files";
}

Result<std::vector<FileCheckpoint>> FileCheckpointStore::load(
    bool* exists, std::vector<SinkFileLength>* sinks) const {
  if (exists != nullptr) {
    *exists = false;
  }
  if (sinks != nullptr) {
    sinks->clear();
  }
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::vector<FileCheckpoint>{};
    }
    return Status::error("cannot read " + path_ + ": " + errno_text());
  }
  if (exists != nullptr) {
    *exists = true;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      Status s = Status::error("cannot read " + path_ + ": " + errno_text());
      ::close(fd);
      return s;
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto corrupt = [this](const std::string& why) {
    return Status::error(path_ + " is not a valid checkpoint file (" + why + ")");
  };
  if (text.compare(0, kHeader.size(), kHeader) != 0 &&
      text.compare(0, kHeaderWithSinks.size(), kHeaderWithSinks) != 0) {
    return corrupt("unknown header");
  }
  // The last line: "end COUNT CHECKSUM", the checksum over everything before it.
  const size_t end_line = text.rfind("\nend ");
  if (end_line == std::string::npos || text.empty() || text.back() != '\n') {
    return corrupt("truncated: no end line");
  }
  unsigned long long count = 0;
  unsigned long long checksum = 0;
  if (std::sscanf(text.c_str() + end_line + 1, "end %llu %llx", &count, &checksum) != 2 ||
      checksum != fnv1a(std::string_view(text).substr(0, end_line + 1))) {
    return corrupt("checksum mismatch");
  }
  std::vector<FileCheckpoint> entries;
  std::vector<SinkFileLength> lengths;
  size_t pos = kHeader.size();
  while (pos < end_line + 1) {
    const size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.compare(0, kSinkPrefix.size(), kSinkPrefix) == 0) {
      SinkFileLength sink;
      unsigned long long dev = 0;
      unsigned long long ino = 0;
      unsigned long long length = 0;
      int consumed = 0;
      if (std::sscanf(line.c_str(), "sink %llu %llu %llu %n", &dev, &ino, &length, &consumed) !=
              3 ||
          consumed <= 0 || static_cast<size_t>(consumed) > line.size() ||
          !unescape_path(std::string_view(line).substr(static_cast<size_t>(consumed)), sink.path) ||
          sink.path.empty()) {
        return corrupt("bad sink entry on line " +
                       std::to_string(entries.size() + lengths.size() + 2));
      }
      sink.dev = static_cast<dev_t>(dev);
      sink.ino = static_cast<ino_t>(ino);
      sink.length = length;
      lengths.push_back(std::move(sink));
      continue;
    }
    FileCheckpoint e;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    unsigned print_length = 0;
    unsigned long long print = 0;
    unsigned long long offset = 0;
    unsigned long long lines = 0;
    unsigned tail_length = 0;
    unsigned long long tail = 0;
    int consumed = 0;
    if (std::sscanf(line.c_str(), "%llu %llu %u %llx %llu %llu %u %llx %n", &dev, &ino,
                    &print_length, &print, &offset, &lines, &tail_length, &tail, &consumed) != 8 ||
        consumed <= 0 || static_cast<size_t>(consumed) > line.size() ||
        !unescape_path(std::string_view(line).substr(static_cast<size_t>(consumed)), e.path) ||
        e.path.empty() || print_length > kFingerprintBytes || tail_length > kTailCheckBytes) {
      return corrupt("bad entry on line " + std::to_string(entries.size() + lengths.size() + 2));
    }
    e.identity.dev = static_cast<dev_t>(dev);
    e.identity.ino = static_cast<ino_t>(ino);
    e.identity.print_length = print_length;
    e.identity.print = print;
    e.offset = offset;
    e.lines = lines;
    e.tail_length = tail_length;
    e.tail = tail;
    entries.push_back(std::move(e));
  }
  if (entries.size() + lengths.size() != count) {
    return corrupt("entry count mismatch");
  }
  if (sinks != nullptr) {
    *sinks = std::move(lengths);
  }
  return entries;
}

Status FileCheckpointStore::save(const std::vector<FileCheckpoint>& entries,
                                 const std::vector<SinkFileLength>& sinks) const {
  std::string text(sinks.empty() ? kHeader : kHeaderWithSinks);
  char buf[256];
  for (const FileCheckpoint& e : entries) {
    std::snprintf(buf, sizeof(buf), "%llu %llu %u %llx %llu %llu %u %llx ",
                  static_cast<unsigned long long>(e.identity.dev),
                  static_cast<unsigned long long>(e.identity.ino), e.identity.print_length,
                  static_cast<unsigned long long>(e.identity.print),
                  static_cast<unsigned long long>(e.offset),
                  static_cast<unsigned long long>(e.lines), e.tail_length,
                  static_cast<unsigned long long>(e.tail));
    text += buf;
    text += escape_path(e.path);
    text += '\n';
  }
  for (const SinkFileLength& sink : sinks) {
    std::snprintf(
        buf, sizeof(buf), "sink %llu %llu %llu ", static_cast<unsigned long long>(sink.dev),
        static_cast<unsigned long long>(sink.ino), static_cast<unsigned long long>(sink.length));
    text += buf;
    text += escape_path(sink.path);
    text += '\n';
  }
  std::snprintf(buf, sizeof(buf), "end %zu %llx\n", entries.size() + sinks.size(),
                static_cast<unsigned long long>(fnv1a(text)));
  text += buf;

  const std::filesystem::path target(path_);
  const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::error("cannot create " + dir + ": " + ec.message());
  }
  const std::string temp = path_ + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::error("cannot write " + temp + ": " + errno_text());
  }
  size_t written = 0;
  if (!write_all(fd, text, written, temp).ok() || ::fsync(fd) != 0) {
    Status s = Status::error("cannot write " + temp + ": " + errno_text());
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path_.c_str()) != 0) {
    Status s = Status::error("cannot replace " + path_ + ": " + errno_text());
    ::unlink(temp.c_str());
    return s;
  }
  // The rename is durable only once the directory is.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status();
}

}  // namespace sluice
