// FileIdentity: what tells one file apart from another beyond its name: (device, inode), which a
// file system reuses soon after a delete, and a fingerprint of its first bytes, which a file
// rewritten under the same inode does not keep. Also the hash of the bytes just before a read
// position, which says whether a file still holds what was read from it (a copytruncate
// followed at once by more bytes than the old offset keeps size and inode, not those bytes).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice {

// How many leading bytes identify a file's content.
inline constexpr size_t kFingerprintBytes = 256;
// How many bytes before a position are checked when resuming there.
inline constexpr size_t kTailCheckBytes = 64;

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  uint32_t print_length = 0;  // bytes the fingerprint covers (less than kFingerprintBytes
  uint64_t print = 0;         // only for a file that was shorter)
};

// FNV-1a, 64 bits.
uint64_t fnv1a(std::string_view bytes);
// The hash of `length` bytes of `fd` at `from`; false when fewer could be read.
bool hash_bytes_at(int fd, off_t from, size_t length, uint64_t& out);
// Refreshes identity.print over the first min(kFingerprintBytes, `available`) bytes of `fd`
// when it covers fewer; false when they could not be read.
bool refresh_fingerprint(int fd, off_t available, FileIdentity& identity);
// True when `fd` still starts with the bytes identity.print was taken over.
bool fingerprint_matches(int fd, const FileIdentity& identity);

}  // namespace sluice
