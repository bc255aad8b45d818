// SinkFileLength: a sink file's length as delivery: exactly_once records it with the source
// positions, and the two things done with it: making the bytes it counts durable before the
// record that counts them is saved, and, on the next start, cutting the file back to it, so that
// what was written after the record (and will be written again) is gone.
// Threading: none; the file source cuts back from its own thread at start, and its
// CheckpointSaver syncs from the saver's thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "stages/status.h"

namespace sluice {

// Everything before `length` was written for events before the recorded positions, nothing
// after it. (device, inode) say which file it was; both 0 when it did not exist yet.
struct SinkFileLength {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t length = 0;
};

// `path` at `length`: the file's identity, after fdatasync made its bytes durable. A file not
// there yet is fine while `length` is 0 (nothing written). An error names the file and why.
Result<SinkFileLength> sync_sink_file(const std::string& path, uint64_t length);

// What cut_back_sink_file found.
struct SinkCutBack {
  enum class Kind {
    kUnchanged,  // the file has exactly the recorded length
    kCut,        // bytes past the recorded length were removed (`size_before` says how many)
    kShorter,    // the file is shorter than recorded: something else truncated it
    kReplaced,   // another file (or none) is at the path: the recorded one was moved away
  };
  Kind kind = Kind::kUnchanged;
  uint64_t size_before = 0;
};
// Cuts `recorded.path` back to `recorded.length` (ftruncate, then fsync) when it is the recorded
// file and longer; a file recorded as not there yet is cut back to empty. An error (cannot open,
// cannot truncate) names the file and why.
Result<SinkCutBack> cut_back_sink_file(const SinkFileLength& recorded);

}  // namespace sluice
