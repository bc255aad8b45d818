// FileSink: appends to one file, created (with its parent directories) as 0640. A write failure
// (full disk) closes the file; the next write reopens it, so the sink recovers when the disk has
// room. A file removed or replaced under it (directory deleted) is noticed before each write and
// a new file is created at the path, so no event goes into a file nobody can see. The path is
// opened without blocking: a FIFO nobody reads is a write error, retried until a reader comes,
// never a call that shutdown cannot end.
#pragma once

#include <sys/types.h>

#include <string>

#include "stages/sinks/sink.h"

namespace sluice {

class FileSink : public Sink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}
  ~FileSink() override;
  Status open() override;
  Status write(std::span<const std::string_view> parts, size_t& written) override;
  Status flush() override;
  Result<bool> prepare() override;
  // The size of the open file as fstat(2) says (not as this sink counted): with delivery:
  // exactly_once the source may have cut the file back since it was opened.
  std::optional<uint64_t> output_length() const override;
  void idle() override { give_back_reserve(); }
  void close() override { close_file(); }

 private:
  // Opens the path unless open; a FIFO without a reader is an error (sets no_reader_). Sets
  // at_start_ when the file it opens is empty.
  Status open_file();
  // True when the open file is still the one at `path_` (one stat per prepare(), that is per
  // write call, which gathers about 1 MiB).
  bool still_at_path() const;

  // Reserves disk space ahead of the end of the file (fallocate, size unchanged) so `bytes` more
  // fit, in steps that double from 1 MiB to 8 MiB. On ext4 a write into reserved space maps each
  // block to an existing extent instead of reserving it one page at a time: about 30 % less CPU
  // per byte written. Where the file system or file kind refuses (FIFO, /dev/*, NFS, a full
  // disk), the file is written without a reserve; that is never an error.
  void reserve_ahead(size_t bytes);
  // Gives back the reserve beyond the end of the file, then closes it. The reserve is kept when
  // the file is longer than what this sink wrote (another writer appends to it too): truncating
  // could cut that writer's data.
  void close_file();
  // Frees the disk reserved beyond the end of the file (see close_file for when it is kept).
  void give_back_reserve();

  std::string path_;
  int fd_ = -1;
  bool at_start_ = false;    // the open file is empty: nothing written to it yet
  off_t size_ = 0;           // the file's size as far as this sink knows: at open, plus written
  off_t reserved_to_ = 0;    // disk space is reserved up to this offset
  off_t reserve_step_ = 0;   // the next reserve's size beyond what a write needs
  bool reserve_ok_ = false;  // false once fallocate failed on this file
  uint64_t disk_full_seen_ = 0;
  bool no_reader_ = false;  // the last open failed because the path is a FIFO nobody reads  // the
                            // process-wide count of ENOSPC failures this sink has seen
};

}  // namespace sluice
