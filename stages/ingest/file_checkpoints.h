// FileCheckpoints: the file source's positions, one file per pipeline in `data_dir`. An entry
// says how far a file was delivered (every sink acknowledged the bytes before `offset`) and how
// to know the file again: (device, inode), a fingerprint of its first bytes and a hash of the
// bytes just before the offset. Saved atomically (a temporary file, fsync, rename, fsync of the
// directory), so a crash leaves the old or the new set, never a mix; a file ends with a count
// and a checksum, so a torn or edited one is refused as a whole rather than half believed.
// With delivery: exactly_once the same record also holds each sink file's length at the same
// cut (SinkFileLength), so positions and lengths are saved together or not at all.
// Threading: none; the file source loads (and at start saves) from its own thread, and its
// CheckpointSaver saves from the saver's thread, one save at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/delivery/sink_file_length.h"
#include "stages/ingest/file_identity.h"
#include "stages/status.h"

namespace sluice {

struct FileCheckpoint {
  std::string path;  // where the file was last seen
  FileIdentity identity;
  uint64_t offset = 0;       // delivered up to here (a record boundary)
  uint64_t lines = 0;        // lines before `offset`, so `_source` line numbers go on
  uint32_t tail_length = 0;  // min(kTailCheckBytes, offset): bytes before `offset` hashed
  uint64_t tail = 0;
};

class FileCheckpointStore {
 public:
  // `path`: the checkpoint file; its directory is created when saving.
  explicit FileCheckpointStore(std::string path) : path_(std::move(path)) {}

  // The saved entries; none when no file exists yet (`exists` says which). A file that cannot be
  // read or does not check out is an error naming it and why; the caller starts fresh.
  // `sinks` (if given) receives the sink file lengths saved with them (none in a record of
  // delivery: at_least_once).
  Result<std::vector<FileCheckpoint>> load(bool* exists = nullptr,
                                           std::vector<SinkFileLength>* sinks = nullptr) const;
  // Replaces the saved entries (and sink lengths) with these, atomically and durably.
  Status save(const std::vector<FileCheckpoint>& entries,
              const std::vector<SinkFileLength>& sinks = {}) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The checkpoint file of pipeline `pipeline` under `data_dir`: DATA_DIR/checkpoints/NAME.files,
// the name with every byte outside [A-Za-z0-9._-] written as %XX.
std::string file_checkpoint_path(const std::string& data_dir, const std::string& pipeline);

}  // namespace sluice
