// CheckpointSaver: makes the file source's checkpoint saves durable on a thread of its own, so
// the source keeps reading while a save's fdatasync of the sink files (exactly_once) and its
// fsync'd write of the record run.
// A save is a snapshot by value. Saves run one at a time, in the order submitted; one submitted
// while another runs waits, and a newer one replaces it (only the newest position matters), so an
// older snapshot is never written after a newer one. Each save that ran reports its outcome
// (take_completions); a replaced one reports nothing.
// Threading: submit(), has_completions(), take_completions() and flush() are the source's (one
// thread); the saves run on the saver's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "stages/ingest/file_checkpoints.h"
#include "stages/status.h"

namespace sluice {

// What one save makes durable: the positions, and (exactly_once) the sink files with the length
// the record gives each, as they were when the snapshot was taken.
struct CheckpointSave {
  uint64_t seq = 0;  // set by submit(): increasing
  std::vector<FileCheckpoint> entries;
  struct Sink {
    std::string path;
    uint64_t length = 0;
  };
  std::vector<Sink> sinks;
};

// Syncs each sink file (sync_sink_file) and then saves the record, so a record never names sink
// bytes that are not durable. Sink files only grow while sluice runs: syncing after the snapshot
// was taken makes at least its lengths durable.
Status save_durably(const FileCheckpointStore& store, const CheckpointSave& save);

class CheckpointSaver {
 public:
  // Makes one save durable; runs on the saver's thread, one call at a time.
  using SaveFunction = std::function<Status(const CheckpointSave&)>;
  struct Completion {
    uint64_t seq = 0;
    Status status;
  };

  explicit CheckpointSaver(SaveFunction save);
  // Runs the save in progress and the waiting one (if any) to the end, then stops the thread.
  ~CheckpointSaver();
  CheckpointSaver(const CheckpointSaver&) = delete;
  CheckpointSaver& operator=(const CheckpointSaver&) = delete;

  // Queues `save` (replacing a waiting one) and returns its sequence number.
  uint64_t submit(CheckpointSave save);
  // True when take_completions() has something: a lock-free look, cheap enough for every batch.
  bool has_completions() const { return has_completions_.load(std::memory_order_acquire); }
  // Appends the outcomes of the saves that ran since the last call, oldest first.
  void take_completions(std::vector<Completion>& out);
  // Waits until every save submitted so far has run (or was replaced by one that has).
  void flush();

 private:
  void loop();

  SaveFunction save_;
  std::mutex mu_;
  std::condition_variable wake_;  // the saver: a save waits, or stopping
  std::condition_variable idle_;  // flush(): a save finished
  std::optional<CheckpointSave> pending_;
  bool running_ = false;  // the saver is inside save_
  bool stopping_ = false;
  uint64_t next_seq_ = 1;
  std::vector<Completion> completions_;
  std::atomic<bool> has_completions_{false};
  std::thread thread_;
};

}  // namespace sluice
