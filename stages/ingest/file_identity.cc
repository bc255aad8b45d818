#include "stages/ingest/file_identity.h"

#include <unistd.h>

#include <algorithm>

namespace sluice {

uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (char c : bytes) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return h;
}

bool hash_bytes_at(int fd, off_t from, size_t length, uint64_t& out) {
  char buf[std::max(kFingerprintBytes, kTailCheckBytes)];
  if (length > sizeof(buf) || from < 0) {
    return false;
  }
  ssize_t n = ::pread(fd, buf, length, from);
  if (n < 0 || static_cast<size_t>(n) != length) {
    return false;
  }
  out = fnv1a(std::string_view(buf, length));
  return true;
}

bool refresh_fingerprint(int fd, off_t available, FileIdentity& identity) {
  const auto want =
      static_cast<uint32_t>(std::min<off_t>(static_cast<off_t>(kFingerprintBytes), available));
  if (want <= identity.print_length) {
    return true;
  }
  uint64_t print = 0;
  if (!hash_bytes_at(fd, 0, want, print)) {
    return false;
  }
  identity.print_length = want;
  identity.print = print;
  return true;
}

bool fingerprint_matches(int fd, const FileIdentity& identity) {
  uint64_t print = 0;
  return identity.print_length == 0 ||
         (hash_bytes_at(fd, 0, identity.print_length, print) && print == identity.print);
}

}  // namespace sluice
