// FileSource: reads the files matching `paths` (globs). Without follow, each file is read to its
// end and the source finishes; with follow, it keeps reading what is appended and picks up new
// files that match (globs are re-scanned). Each file is its own stream: its own framer (so a CSV
// header per file) and its own line numbers in `_source`.
// Files are known by identity (device, inode, and a fingerprint of their first bytes), not by
// name: a file renamed to another name the globs match goes on where it was; a file renamed out
// of the globs or deleted (rotation) is read to its end through its open descriptor and then
// released; a file truncated in place (copytruncate), noticed by its size or by the bytes before
// the read position no longer being what was read there, is read again from its start, and a
// read that landed in the new content is dropped rather than delivered torn.
// With a checkpoint file (a following source), each batch carries its file and byte range as its
// acknowledgement (Batch::set_ack); a PositionTracker per file moves the file's position over
// what every sink acknowledged, and the positions are saved (FileCheckpointStore) about once a
// second when they moved and at shutdown, after the in-flight batches settled. A restart resumes
// each file there once its first bytes and the bytes before the offset check out, also a file
// rotated to another name in the same directory while sluice was down.
// With delivery: exactly_once (all the pipeline's sinks are files), positions are saved only at
// a consistent cut (ConsistentCut) and together with each sink file's length there, made durable
// (fdatasync) first; a start cuts each sink file back to its recorded length before reading, so
// what was written past the record is written again exactly once.
// Files are opened lazily and at most `max_open_files` at once: a finished file is closed, and a
// followed file that is idle is closed when another needs its slot, then reopened by path and
// checked by identity before reading resumes where it stopped. One rotated away while closed is
// found again in its directory by identity and read to its end; one deleted while closed cannot
// be (what was appended after it was closed is lost, and said). Only regular files are read; a
// FIFO or device matched by a glob is skipped with a warning.
// Threading: run() on the ingest thread; acknowledgements arrive on sink threads into an
// AckInbox and are applied on the ingest thread. Saves are made durable on a CheckpointSaver's
// thread while reading goes on; their outcomes are applied on the ingest thread, and run()
// returns only once the last one is durable.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stages/delivery/ack_inbox.h"
#include "stages/delivery/consistent_cut.h"
#include "stages/ingest/checkpoint_saver.h"
#include "stages/ingest/file_checkpoints.h"
#include "stages/ingest/file_watch.h"
#include "stages/ingest/source.h"
#include "stages/ingest/stream_reader.h"

namespace sluice {

struct FileSourceOptions {
  std::vector<std::string> paths;  // glob patterns
  // Glob patterns of paths not to read although `paths` match them (rotated copies, archives):
  // one with a '/' is matched against the whole path, one without against the file's name. A
  // followed file renamed to an excluded name is still read to its end, as one renamed out of
  // the globs is.
  std::vector<std::string> exclude;
  // Files present at start are read from their end; only on a first run (no checkpoint file yet):
  // later, a file without a checkpoint appeared since and is read whole.
  bool read_from_end = false;
  bool follow = true;  // false: read to EOF, then finish (no checkpoints)
  StreamReaderOptions reader;
  // How often a following source scans its globs again and looks at every file, whatever
  // inotify said (its safety net, and all there is where inotify cannot be had: see FileWatch).
  // Shorter notices changes inotify does not report sooner (lines added to a file rotated out of
  // the globs), at one glob scan and a stat per file each time.
  int poll_interval_ms = 200;
  // Files open at once. 0: a quarter of the process's descriptor limit (RLIMIT_NOFILE), between
  // 8 and 1024, leaving room for sinks and the rest of the process.
  size_t max_open_files = 0;
  // Where a following source keeps its positions (file_checkpoint_path()); empty: none.
  std::string checkpoint_file;
  // How often moved positions are saved; a shorter interval bounds the replay after a crash
  // tighter, at one fsync'd write each time.
  int checkpoint_interval_ms = 1000;
  // delivery: exactly_once: the sink file each of the pipeline's targets writes, by target index
  // (Batch::encoded). Empty: at_least_once. Needs a checkpoint file.
  std::vector<std::string> exactly_once_outputs;
};

class FileSource : public Source {
 public:
  using FramerFactory = std::function<std::unique_ptr<RecordFramer>()>;
  FileSource(FileSourceOptions options, FramerFactory make_framer);
  ~FileSource() override;
  // Without follow, a file that could not be read (unreadable, not a regular file, a read
  // error) makes the run end with an error naming how many and the first, after every other
  // file was read.
  Status run(SourceContext& ctx) override;

  size_t open_files() const { return open_count_; }

 private:
  struct TrackedFile;
  struct InFlight {
    uint64_t file_id;
    uint64_t generation;
    int64_t first;
  };
  // An error only with exactly_once: a record that cannot be read or a sink file that cannot be
  // cut back leaves no way to resume without loss or duplicates.
  Status load_checkpoints();
  // exactly_once, before reading: cuts the sink files back to the loaded record's lengths and
  // starts the cut at the lengths they have then.
  Status cut_back_outputs(bool record_exists, const std::vector<SinkFileLength>& recorded);
  // exactly_once: what the cut passed moves the files' saved positions.
  void apply_cut();
  // A scan of the globs. `rescan`: the safety rescan (or the first scan), the only one that
  // counts towards releasing a file no glob names any more, so that a rotated file's writer has
  // poll intervals, not however fast inotify is, to add its last lines.
  void discover(bool first_scan, bool rescan);
  // A file the checkpoints name that no glob match claimed: found again in its directory by
  // identity (rotated while sluice was down) and read to its end, or forgotten.
  void resume_rotated(const FileCheckpoint& entry);
  // A closed file that is gone from its path (rotated away while idle, or deleted): true when it
  // is found again in its directory by (device, inode) and first bytes; it is then followed
  // there as a gone file, read to its end and released.
  bool follow_rotated(TrackedFile& file);
  TrackedFile& track(const std::string& path);
  // Sleeps until the watch sees a change or the rescan is due, taking acknowledgements while
  // batches are in flight; false when the source must return (stopping).
  bool wait_for_change(SourceContext& ctx, FileWatch::Wake& wake);
  // Opens `file` (evicting an idle one when at the bound) and positions it; false when it
  // cannot be read now (the reason is logged once, and recorded when it is final).
  bool open_file(TrackedFile& file);
  // Closes `file`, remembering where to resume (the start of any incomplete record).
  void close_file(TrackedFile& file);
  // True when a closed followed file has bytes past where it stopped (or was replaced).
  bool has_news(TrackedFile& file);
  bool evict_idle_file(const TrackedFile* keep);
  void fail_file(TrackedFile& file, const std::string& reason);
  // The file holds other content than was read from it: it starts again from byte 0.
  void restart_file(TrackedFile& file, const std::string& why);
  // Reads what `file` has; false when the source must return (stopping).
  bool read_file(TrackedFile& file, SourceContext& ctx);
  // Checkpoints: the hook that gives each batch its acknowledgement, the hand-over of
  // acknowledgements, and saving.
  void on_emit(TrackedFile& file, Batch& batch, uint64_t first, uint64_t end, uint64_t lines);
  void settle(std::chrono::milliseconds wait);
  // Takes a snapshot of the positions (and exactly_once's sink lengths) and hands it to the
  // saver when one is due; first applies what the saves that finished since reported.
  void save_checkpoints(bool now);
  // A finished save's outcome: a failed one is warned about (once until one succeeds) and
  // retried; a durable one lets the files it released be forgotten.
  void apply_saved();
  // At the end of run(): the last save is made and is durable (or reported failed) on return.
  void finish_saving();
  // Released, closed, and every batch settled (and past the cut): its position cannot move.
  static bool releasable(const TrackedFile& f);
  // Released files (of `ids`) whose last position a durable save holds are dropped: a save no
  // longer needs them.
  void forget_released(const std::vector<uint64_t>& ids);

  FileSourceOptions options_;
  FramerFactory make_framer_;
  std::vector<std::unique_ptr<TrackedFile>> files_;
  size_t open_count_ = 0;
  uint64_t clock_ = 0;  // a counter standing in for "last used" when choosing what to close
  size_t failed_ = 0;
  std::string first_failure_;
  bool warned_descriptors_ = false;
  std::unique_ptr<FileWatch> watch_;  // a following source's

  // Checkpoints (a following source with a checkpoint file).
  bool checkpointing_ = false;
  bool had_checkpoints_ = false;  // a checkpoint file existed: read_from no longer applies
  std::unique_ptr<FileCheckpointStore> store_;
  std::vector<FileCheckpoint> resume_;  // loaded entries not yet claimed by a file
  std::shared_ptr<AckInbox> inbox_;
  std::unordered_map<uint64_t, InFlight> in_flight_;
  std::vector<AckInbox::Settled> settled_;  // reused
  uint64_t next_cookie_ = 1;
  uint64_t next_file_id_ = 1;
  bool dirty_ = false;  // a position moved since the last snapshot (or its save failed)
  std::chrono::steady_clock::time_point last_save_{};
  bool warned_save_ = false;
  // The saves being made durable: by sequence number, the released files each may let go of.
  std::deque<std::pair<uint64_t, std::vector<uint64_t>>> forgettable_;
  std::vector<CheckpointSaver::Completion> saved_;  // reused
  std::unique_ptr<CheckpointSaver> saver_;  // during run(); uses store_, so declared after it

  // delivery: exactly_once.
  bool exactly_once_ = false;
  std::unique_ptr<ConsistentCut> cut_;
  std::vector<AckInbox::OutputLength> lengths_taken_;  // reused
  std::vector<ConsistentCut::Passed> passed_;          // reused
};

}  // namespace sluice
